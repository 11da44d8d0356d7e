/**
 * guestkit sysprep on a guest whose filesystems only the appliance writes (xfs,
 * btrfs), without running the whole sysprep in the appliance:
 *
 * 1. plan, in process: the wasm backend inspects the guest, mounts it read-only
 *    and runs the filesystem operations against a SysprepPlan, which answers
 *    their reads and records their writes (src/sysprep/plan.ts);
 * 2. apply, in the appliance: only the filesystems written to are mounted, and
 *    the planned writes go in one batch;
 * 3. the device operations (lvm-uuids) in process, on the wasm backend.
 *
 * Phases 2 and 3 write into one temporary qcow2 overlay over each image; the
 * overlays are committed once, at the end, when everything succeeded (and are
 * removed on any failure or signal): one transaction, as the plain path's.
 * Which path runs is decided before any operation runs: runPlanned answers
 * 'plain' (having written nothing and printed nothing) when the plan does not
 * apply, and the caller runs the ordinary path.
 */
import { Guestfs } from '../../src/core/guestfs.js';
import { resolveBackendName } from '../../src/core/backend-name.js';
import { CAPABILITIES } from '../../src/backend/capabilities.js';
import { Qcow2Overlay } from '../../src/block/qcow2-overlay.js';
import { LvExport } from '../../src/lvm/lv-export.js';
import { mountOrder } from '../../src/inspect/mount-inspected.js';
import { inspectedRoot } from '../../src/inspect/session.js';
import type { OsFacts } from '../../src/inspect/types.js';
import type { SysprepContext, SysprepOperation } from '../../src/sysprep/operation.js';
import { isPlanUnsupported, SysprepPlan } from '../../src/sysprep/plan.js';
import { applyPlan, mountpointsWritten, planRefusal } from '../../src/sysprep/plan-apply.js';
import { performOnDevices, performOnFilesystems } from '../../src/sysprep/run.js';
import type { SignalGuard } from '../common/signal-guard.js';
import { traceCalls } from '../common/trace-calls.js';
import type { SysprepOptions } from './sysprep-options.js';
import type { SysprepReporter } from './sysprep-output.js';

const PROG = 'guestkit sysprep';

/** Types with nothing to mount. */
const NO_FILESYSTEM = new Set(['', 'unknown', 'swap']);

/** Why the run is not planned, before the guest is opened (undefined: it may be). */
export function planRefusedUpFront(o: SysprepOptions, ops: readonly SysprepOperation[]): string | undefined {
  if (o.dryRun) return '--dry-run writes nothing';
  if (resolveBackendName(o.drive.backend) !== 'auto') return 'a backend was asked for';
  return planRefusal(ops, o.settings, o.mountOptions);
}

/** Why this guest is not planned, from its filesystems: every one written in process, or one the wasm backend cannot read. */
async function planRefusedByGuest(g: Guestfs): Promise<string | undefined> {
  const types = Object.values((await g.listFilesystems()) as Record<string, string>).filter((t) => !NO_FILESYSTEM.has(t));
  const wasm = CAPABILITIES.wasm;
  const unread = types.find((t) => !wasm.mountsReadOnly.has(t));
  if (unread) return `${unread} is not read in process`;
  if (types.every((t) => wasm.mountsReadWrite.has(t))) return 'every filesystem is written in process';
  return undefined;
}

/** Output held back while planning: if the plan turns out impossible, the plain path prints it all again. */
function heldReporter(report: SysprepReporter, plan: SysprepPlan): SysprepReporter & { flush(): void } {
  const held: (() => void)[] = [];
  return {
    message: (text) => {
      const m = /^Performing "(.+)" \.\.\.$/.exec(text);
      if (m) plan.currentOp = m[1]!;
      held.push(() => report.message(text));
    },
    warning: (text) => held.push(() => report.warning(text)),
    info: (text) => held.push(() => report.info(text)),
    output: (text) => held.push(() => report.output(text)),
    flush: () => held.splice(0).forEach((f) => f()),
  };
}

function newHandle(o: SysprepOptions, backend: 'wasm' | 'appliance'): Guestfs {
  const g = new Guestfs({ backend, log: o.drive.verbose ? (line) => process.stderr.write(`${line}\n`) : undefined });
  if (o.drive.trace) traceCalls(g, PROG);
  return g;
}

/** Phase 1: the plan, on the wasm backend, the guest mounted read-only. 'plain' when the guest is not one to plan. */
async function makePlan(o: SysprepOptions, ops: readonly SysprepOperation[], report: SysprepReporter, verbose?: (m: string) => void)
  : Promise<{ plan: SysprepPlan; facts: OsFacts; output: () => void } | { plain: string }> {
  const g = newHandle(o, 'wasm');
  try {
    // transactional (never committed), as the plain path's: launch refuses an image another qemu writes
    for (const d of o.drive.drives) g.addDrive(d.file, { format: d.format, locking: d.locking, transactional: true });
    await g.launch();
    const refused = await planRefusedByGuest(g);
    if (refused) return { plain: refused };
    const roots = (await g.call('inspect-os', [])) as string[];
    if (roots.length !== 1) return { plain: `${roots.length} operating systems found` };
    const facts = inspectedRoot(g, roots[0]!);
    verbose?.(`inspection found ${facts.root}: ${facts.type} ${facts.distro} ${facts.majorVersion}.${facts.minorVersion}`);
    for (const [mountpoint, device] of mountOrder(facts.mountpoints)) {
      try {
        await g.mountRo(device, mountpoint);
      } catch (e) {
        if (mountpoint === '/') throw e;
        verbose?.(`cannot mount ${device} on ${mountpoint}: ${(e as Error).message}`);
      }
    }
    const plan = new SysprepPlan(g, CAPABILITIES.appliance);
    const held = heldReporter(report, plan);
    const ctx: SysprepContext = { g: plan.handle, facts, ...held, effects: { updateSystemCaStore: false }, settings: o.settings };
    try {
      await performOnFilesystems(ctx, ops);
    } catch (e) {
      if (plan.unsupported === undefined && !isPlanUnsupported(e)) {
        held.flush();
        throw e;
      }
    }
    if (plan.unsupported !== undefined) return { plain: `the plan cannot model ${plan.unsupported}` };
    return { plan, facts, output: held.flush };
  } finally {
    await g.close().catch(() => undefined);
  }
}

/**
 * Phase 2: the planned writes in the appliance, into the overlays, with only the
 * filesystems written to mounted. When that is only the root and the root is an
 * LV, the appliance gets the LV alone, as a whole disk (LvExport): no LVM
 * activation in the VM (~0.6 s under TCG).
 */
async function applyInAppliance(o: SysprepOptions, overlays: readonly Qcow2Overlay[], plan: SysprepPlan, facts: OsFacts, verbose?: (m: string) => void): Promise<void> {
  const wanted = mountpointsWritten(facts.mountpoints, plan.steps);
  const root = facts.mountpoints['/'];
  const lv = wanted.size === 1 && root ? await LvExport.open(overlays.map((ov) => ({ file: ov.path, format: 'qcow2' })), root) : undefined;
  try {
    const g = newHandle(o, 'appliance');
    try {
      if (lv) g.addDrive(lv.uri, { format: 'raw', locking: false });
      else for (const ov of overlays) g.addDrive(ov.path, { format: 'qcow2', locking: false });
      await g.launch();
      if (lv) {
        verbose?.(`${root} served to the appliance as a disk of its own`);
        await g.mount('/dev/sda', '/');
      } else {
        for (const [mountpoint, device] of mountOrder(facts.mountpoints)) {
          if (!wanted.has(mountpoint)) continue;
          try {
            await g.mount(device, mountpoint);
          } catch (e) {
            if (mountpoint === '/') throw e;
            verbose?.(`cannot mount ${device} on ${mountpoint}: ${(e as Error).message}`);
          }
        }
      }
      await applyPlan(g, plan.steps);
      await g.umountAll();
    } finally {
      await g.close();
    }
  } finally {
    await lv?.close();
  }
}

/** Phase 3: the device operations in process, writing into the overlays. */
async function devicesInProcess(o: SysprepOptions, overlays: readonly Qcow2Overlay[], ops: readonly SysprepOperation[], facts: OsFacts, report: SysprepReporter): Promise<void> {
  const g = newHandle(o, 'wasm');
  try {
    for (const ov of overlays) g.addDrive(ov.path, { format: 'qcow2', locking: false });
    await g.launch();
    await performOnDevices({ g, facts, ...report, effects: { updateSystemCaStore: false }, settings: o.settings }, ops);
  } finally {
    await g.close();
  }
}

/** The planned run; 'plain' when it does not apply (nothing written, nothing printed). */
export async function runPlanned(o: SysprepOptions, ops: readonly SysprepOperation[], report: SysprepReporter, guard: SignalGuard,
  verbose?: (m: string) => void): Promise<'done' | 'plain'> {
  const made = await makePlan(o, ops, report, verbose);
  if ('plain' in made) {
    verbose?.(`plain path: ${made.plain}`);
    return 'plain';
  }
  const { plan, facts } = made;
  verbose?.(`planned path: inspected and planned in process, ${plan.steps.length} ${plan.steps.length === 1 ? 'write' : 'writes'} applied in the appliance, device operations in process`);
  made.output();
  const overlays: Qcow2Overlay[] = [];
  try {
    for (const d of o.drive.drives) overlays.push(await Qcow2Overlay.create(d.file, d.format, d.locking));
    if (plan.steps.length > 0) await applyInAppliance(o, overlays, plan, facts, verbose);
    if (ops.some((op) => op.onDevices)) await devicesInProcess(o, overlays, ops, facts, report);
    await guard.commit(async () => {
      for (const ov of overlays) await ov.commit();
    });
  } finally {
    for (const ov of overlays) ov.dispose();
  }
  return 'done';
}
