/**
 * LVM changes on the appliance: lvm(8) in the guest kernel's view, with the
 * options libguestfs uses (forced, no prompts). Devices are passed in the
 * appliance's names (/dev/vdX) and reported back in the caller's (/dev/sdX).
 */
import { ErrnoError } from '../../errors/index.js';
import { byteOrder } from '../../util/byte-order.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { lines, toGuestDev } from './ops-common.js';
import { runStep, type AgentStep } from './agent-batch.js';

/** The script that runs lvm with the agent's configuration (no udev); lvm's own message is the error. */
function lvmScript(args: string[], opts: { out?: boolean } = {}): string {
  return `lvmup; command -v lvm >/dev/null || die ENOTSUP 'lvm2: lvm is not in the appliance'
lvm ${args.map(sq).join(' ')} --config "$LVM_CONFIG" ${opts.out ? '2>/tmp/.lvmerr' : '>/tmp/.lvmerr 2>&1'} || { cat /tmp/.lvmerr >&2; exit 1; }
lvm vgmknodes --config "$LVM_CONFIG" >/dev/null 2>&1; :`;
}

async function lvm(b: ApplianceBackend, args: string[], opts: { out?: boolean } = {}): Promise<string> {
  return b.shText(lvmScript(args, opts));
}

const lvmStep = (args: string[]): AgentStep<string> => ({ script: lvmScript(args), parse: (out) => out.toString('utf8') });

/** The whole-system UUID changes and activation as steps (agent-batch.ts): sysprep's lvm-uuids sends them together. */
export const lvmWriteSteps = {
  pvchangeUuidAll: () => lvmStep(['pvchange', '-u', '-a']),
  vgActivateAll: (on: boolean) => lvmStep(['vgchange', '-a', on ? 'y' : 'n']),
  vgchangeUuidAll: () => lvmStep(['vgchange', '-u']),
};

const guest = (dev: string) => toGuestDev(dev);

function percent(p: number): void {
  if (!Number.isInteger(p) || p < 0 || p > 100) throw new ErrnoError('EINVAL', `percentage must be [0..100] (was ${p})`);
}

/** One report field for one object (vg name, or a device), trimmed; lvm fails for unknown ones. */
async function field(b: ApplianceBackend, cmd: string, name: string, target: string): Promise<string[]> {
  const out = await lvm(b, [cmd, '--noheadings', '-o', name, target], { out: true });
  return lines(out).map((l) => l.trim()).filter(Boolean);
}

/** Removes every LV, VG and PV (libguestfs's order: deactivate, then LVs, VGs, PVs). */
async function lvmRemoveAll(b: ApplianceBackend): Promise<void> {
  // Each lvm run costs a few hundred ms under TCG: one pvs says whether there is anything to remove.
  await b.sh(`lvmup; command -v lvm >/dev/null || exit 0
C=$LVM_CONFIG
[ -n "$(lvm pvs --noheadings -o pv_name --config "$C" 2>/dev/null)" ] || exit 0
lvm vgchange -an --config "$C" >/dev/null 2>&1
for lv in $(lvm lvs --noheadings -o lv_path --config "$C" 2>/dev/null); do lvm lvremove -f "$lv" --config "$C" >/dev/null 2>&1; done
for vg in $(lvm vgs --noheadings -o vg_name --config "$C" 2>/dev/null); do lvm vgremove -f "$vg" --config "$C" >/tmp/.lvmerr 2>&1 || { cat /tmp/.lvmerr >&2; exit 1; }; done
for pv in $(lvm pvs --noheadings -o pv_name --config "$C" 2>/dev/null); do lvm pvremove -ff -y "$pv" --config "$C" >/tmp/.lvmerr 2>&1 || { cat /tmp/.lvmerr >&2; exit 1; }; done
:`);
}

/** /dev/VG/LV for an LV given by either name; EINVAL for anything else. */
async function canonicalLvName(b: ApplianceBackend, name: string): Promise<string> {
  const out = await b.shText(`lvmup; command -v lvm >/dev/null || exit 0
[ -e ${sq(guest(name))} ] || die ENOENT ${sq(`stat: ${name}: No such file or directory`)}
lvm lvs --noheadings --separator / -o vg_name,lv_name --config "$LVM_CONFIG" ${sq(guest(name))} 2>/dev/null; :`);
  const l = lines(out).map((x) => x.trim())[0];
  if (!l) throw new ErrnoError('EINVAL', `${name}: not a logical volume`);
  return `/dev/${l}`;
}

async function isLv(b: ApplianceBackend, dev: string): Promise<boolean> {
  return canonicalLvName(b, dev).then(() => true, (e: unknown) => {
    if (e instanceof ErrnoError && e.code === 'EINVAL') return false;
    throw e;
  });
}

/** Device-mapper devices other than logical volumes (open LUKS devices, ...), as libguestfs lists them. */
async function listDmDevices(b: ApplianceBackend): Promise<string[]> {
  const out = await b.shText(`lvmup
for f in /dev/mapper/*; do
  [ -b "$f" ] || continue
  command -v lvm >/dev/null && lvm lvs --config "$LVM_CONFIG" "$f" >/dev/null 2>&1 && continue
  echo "$f"
done; :`);
  return lines(out).sort(byteOrder);
}

/** The VG's metadata as lvm backs it up (vgcfgbackup), bytes. */
async function vgmeta(b: ApplianceBackend, vg: string): Promise<Uint8Array> {
  return b.sh(`lvmup; command -v lvm >/dev/null || die ENOTSUP 'lvm2: lvm is not in the appliance'
f=/tmp/.vgmeta.$$
lvm vgcfgbackup -f "$f" ${sq(vg)} --config "$LVM_CONFIG" >/tmp/.lvmerr 2>&1 || { cat /tmp/.lvmerr >&2; exit 1; }
cat "$f"; rm -f "$f"`);
}

export const lvmWriteOps = {
  pvcreate: (b: ApplianceBackend, dev: string) => lvm(b, ['pvcreate', '--force', '--force', '--yes', guest(dev)]),
  pvremove: (b: ApplianceBackend, dev: string) => lvm(b, ['pvremove', '-ff', '--yes', guest(dev)]),
  pvresize: (b: ApplianceBackend, dev: string) => lvm(b, ['pvresize', guest(dev)]),
  pvresizeSize: (b: ApplianceBackend, dev: string, size: number) =>
    lvm(b, ['pvresize', '--yes', '--setphysicalvolumesize', `${size}b`, guest(dev)]),
  pvchangeUuid: (b: ApplianceBackend, dev: string) => lvm(b, ['pvchange', '-u', guest(dev)]),
  pvchangeUuidAll: (b: ApplianceBackend) => runStep(b, lvmWriteSteps.pvchangeUuidAll()),
  vgcreate: (b: ApplianceBackend, vg: string, pvs: string[]) => lvm(b, ['vgcreate', vg, ...pvs.map(guest)]),
  vgremove: (b: ApplianceBackend, vg: string) => lvm(b, ['vgremove', '-f', vg]),
  vgrename: (b: ApplianceBackend, vg: string, to: string) => lvm(b, ['vgrename', vg, to]),
  vgActivate: (b: ApplianceBackend, on: boolean, vgs: string[]) => lvm(b, ['vgchange', '-a', on ? 'y' : 'n', ...vgs]),
  vgActivateAll: (b: ApplianceBackend, on: boolean) => runStep(b, lvmWriteSteps.vgActivateAll(on)),
  vgchangeUuid: (b: ApplianceBackend, vg: string) => lvm(b, ['vgchange', '-u', vg]),
  vgchangeUuidAll: (b: ApplianceBackend) => runStep(b, lvmWriteSteps.vgchangeUuidAll()),
  lvcreate: (b: ApplianceBackend, lv: string, vg: string, mbytes: number) => lvm(b, ['lvcreate', '--yes', '-L', `${mbytes}m`, '-n', lv, vg]),
  lvcreateFree: (b: ApplianceBackend, lv: string, vg: string, pct: number) => {
    percent(pct);
    return lvm(b, ['lvcreate', '--yes', '-l', `${pct}%FREE`, '-n', lv, vg]);
  },
  lvremove: (b: ApplianceBackend, dev: string) => lvm(b, ['lvremove', '-f', dev]),
  lvrename: (b: ApplianceBackend, lv: string, to: string) => lvm(b, ['lvrename', lv, to]),
  lvresize: (b: ApplianceBackend, dev: string, mbytes: number) => lvm(b, ['lvresize', '--force', '-L', `${mbytes}M`, dev]),
  lvresizeFree: (b: ApplianceBackend, dev: string, pct: number) => {
    percent(pct);
    return lvm(b, ['lvresize', '-l', `+${pct}%FREE`, dev]);
  },
  lvmRemoveAll,
  lvmScan: async (b: ApplianceBackend, activate: boolean) => {
    await lvm(b, ['vgscan']);
    if (activate) await lvm(b, ['vgchange', '-ay']);
  },
  lvmCanonicalLvName: canonicalLvName,
  isLv,
  listDmDevices,
  vgmeta,
  pvuuid: async (b: ApplianceBackend, dev: string) => (await field(b, 'pvs', 'pv_uuid', guest(dev)))[0] ?? '',
  vguuid: async (b: ApplianceBackend, vg: string) => (await field(b, 'vgs', 'vg_uuid', vg))[0] ?? '',
  lvuuid: async (b: ApplianceBackend, dev: string) => (await field(b, 'lvs', 'lv_uuid', dev))[0] ?? '',
  vgpvuuids: (b: ApplianceBackend, vg: string) => field(b, 'vgs', 'pv_uuid', vg),
  vglvuuids: (b: ApplianceBackend, vg: string) => field(b, 'vgs', 'lv_uuid', vg),
};
