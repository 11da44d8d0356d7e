/**
 * What `--backend=auto` picks. The rule: the wasm backend when it can serve
 * every filesystem and command involved, otherwise the appliance.
 *
 * - Commands: a command the caller declares it will run and that only the
 *   appliance implements (the command table says so: no `wasm` and no `any`
 *   implementation; today `command`, `sh`, ...) means the appliance.
 * - Filesystems: the drives are opened by the wasm backend (milliseconds) and
 *   every filesystem on them (or only the devices the caller declares it will
 *   mount) is probed. A type the wasm backend does not mount (btrfs,
 *   iso9660, squashfs, ...) or an LVM LV it cannot map (thin, raid, snapshot)
 *   means the appliance. On a writable device (a drive added without
 *   readonly, transactional ones included) or when the caller says it writes,
 *   the type must be one the wasm backend also writes: xfs is read in process
 *   but written only by the appliance (iso9660, which nobody writes, mounts read-only anyway). Devices with no filesystem, swap, LVM PVs and LUKS
 *   (which neither backend opens) do not count. A caller that declares a command
 *   reading extended attributes needs every filesystem to be one whose xattrs the
 *   wasm backend reads (btrfs), else the appliance.
 */
import { findCommand } from '../api/commands.js';
import type { BackendName } from '../backend/backend.js';
import { dmName } from '../lvm/report.js';
import type { WasmBackend } from '../backend/wasm/wasm-backend.js';
import { CAPABILITIES, READ_ONLY_FORMATS, XATTR_READ_COMMANDS } from '../backend/capabilities.js';

/** What a caller knows in advance about its use of the handle. */
export interface BackendNeeds {
  /** Commands (fish names) it will call. */
  commands?: readonly string[];
  /** Devices it will mount; when absent, every filesystem on the drives counts. */
  devices?: readonly string[];
  /** Whether it mounts read-write even on read-only drives (the wasm backend's read-write list then counts everywhere). */
  writes?: boolean;
  /** Commands it will call only when the drives hold LVM physical volumes (sysprep's lvm-uuids). */
  lvmCommands?: readonly string[];
}

export interface BackendChoice {
  name: BackendName;
  /** Why, in a few words (printed under -v). */
  reason: string;
}

/** Types that need no filesystem driver, or that neither backend opens. */
const NOT_A_MOUNT = new Set(['', 'unknown', 'swap', 'LVM2_member', 'crypto_LUKS']);

/** Of these commands, the ones only the appliance implements (aliases resolved, unknown names ignored). */
export function applianceOnlyCommands(names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const n of names) {
    const def = findCommand(n.startsWith('-') ? n.slice(1) : n);
    if (def && !def.impl.wasm && !def.impl.any && def.impl.appliance) out.add(def.name);
  }
  return [...out];
}

/** Decides between the two backends with the wasm backend already launched on the drives. */
export async function chooseBackend(wasm: WasmBackend, needs: BackendNeeds = {}): Promise<BackendChoice> {
  const hasLvm = wasm.devices.lvm.pvs.length > 0;
  const cmds = applianceOnlyCommands([...(needs.commands ?? []), ...(hasLvm ? needs.lvmCommands ?? [] : [])]);
  if (cmds.length) return { name: 'appliance', reason: `${cmds.join(', ')} ${cmds.length === 1 ? 'runs' : 'run'} only in the appliance` };

  const unmappable = wasm.devices.lvm.lvs.filter((lv) => lv.unsupported && lv.visible);
  const wanted = needs.devices ? new Set(needs.devices) : null;
  for (const lv of unmappable) {
    if (!wanted || wanted.has(lv.path) || wanted.has(`/dev/mapper/${dmName(lv.vg, lv.name)}`)) {
      return { name: 'appliance', reason: `${lv.path} is a ${lv.unsupported} LV, which the wasm backend cannot map` };
    }
  }
  const readsXattrs = (needs.commands ?? []).some((n) => XATTR_READ_COMMANDS.has(findCommand(n.startsWith('-') ? n.slice(1) : n)?.name ?? ''));
  const seen = new Set<string>();
  const candidates = wanted ? [...wanted].filter((d) => wasm.devices.get(d)) : wasm.devices.filesystemCandidates().map((d) => d.name);
  for (const name of candidates) {
    // (read-only drives take writes too, into an overlay: their config says what the caller meant)
    const writable = needs.writes || !wasm.drive(wasm.devices.get(name)!.drive)?.readonly;
    let type = '';
    try {
      type = (await wasm.probe(name)).type;
    } catch {
      continue; // unreadable: the command that touches it reports that
    }
    if (NOT_A_MOUNT.has(type)) continue;
    seen.add(type);
    const mountable = writable && !READ_ONLY_FORMATS.has(type) ? CAPABILITIES.wasm.mountsReadWrite : CAPABILITIES.wasm.mountsReadOnly;
    if (!mountable.has(type)) {
      const how = CAPABILITIES.wasm.mountsReadOnly.has(type) ? 'write to' : 'read';
      return { name: 'appliance', reason: `${name} is ${type}, which the wasm backend does not ${how}` };
    }
    if (readsXattrs && !CAPABILITIES.wasm.readsXattrs.has(type)) {
      return { name: 'appliance', reason: `${name} is ${type}, whose extended attributes the wasm backend does not read` };
    }
  }
  const what = seen.size ? `${[...seen].sort().join(', ')} ${seen.size === 1 ? 'is' : 'are'} read in process` : 'no filesystem needs the appliance';
  return { name: 'wasm', reason: what };
}
