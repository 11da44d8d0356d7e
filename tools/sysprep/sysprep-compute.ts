/**
 * One guestkit sysprep run. Where the guest has a filesystem only the appliance
 * writes and the selected operations can be planned, the planned path runs
 * (sysprep-planned.ts). Otherwise the plain path: chooses the backend (the
 * operations say which appliance-only commands they call), opens the disks
 * transactionally, inspects them, and for each operating system found mounts
 * it (with --mount-options), runs the filesystem then the device operations;
 * commits only when all of them succeeded.
 */
import { Guestfs } from '../../src/core/guestfs.js';
import type { BackendNeeds } from '../../src/core/backend-choice.js';
import { GuestkitError } from '../../src/errors/index.js';
import type { SysprepReporter } from './sysprep-output.js';
import { preflight } from '../../src/customize/run.js';
import { mountOrder } from '../../src/inspect/mount-inspected.js';
import { inspectedRoot } from '../../src/inspect/session.js';
import type { OsFacts } from '../../src/inspect/types.js';
import type { SysprepOperation } from '../../src/sysprep/operation.js';
import { performOnDevices, performOnFilesystems } from '../../src/sysprep/run.js';
import { scriptCommands } from '../../src/sysprep/customize-operation.js';
import { guestfsOptions } from '../common/drive-options.js';
import { SignalGuard } from '../common/signal-guard.js';
import { traceCalls } from '../common/trace-calls.js';
import { planRefusedUpFront, runPlanned } from './sysprep-planned.js';
import { customizeNeeds } from '../customize/customize-tool.js';
import type { SysprepOptions } from './sysprep-options.js';

const PROG = 'guestkit sysprep';

/** Checks virt-sysprep makes before opening anything. */
export function checkOptions(o: SysprepOptions): void {
  if (o.error) throw o.error;
  if (o.domain !== undefined) {
    if (o.drive.drives.length > 0) throw new GuestkitError('EINVAL', 'you cannot give -a and -d options together.  Read virt-sysprep(1) man page for further information.');
    throw new GuestkitError('ENOTSUP', `-d ${o.domain}: libvirt domains are not supported: give the guest's disk images with -a`);
  }
  if (o.drive.drives.length === 0) throw new GuestkitError('EINVAL', 'you must give either -a or -d options.  Read virt-sysprep(1) man page for further information.');
  if (!o.selection.has('user-account')) {
    if (o.settings.users.keep.size > 0) throw new GuestkitError('EINVAL', 'user-accounts: --keep-user-accounts parameter was used, but the "user-account" operation is not enabled');
    if (o.settings.users.remove.size > 0) throw new GuestkitError('EINVAL', 'user-accounts: --remove-user-accounts parameter was used, but the "user-account" operation is not enabled');
  }
  if (o.scriptdir !== undefined && !o.scriptdir.startsWith('/')) throw new GuestkitError('EINVAL', '--scriptdir: SCRIPTDIR must be an absolute path');
}

/** --mount-options: "MP:OPTS;MP:OPTS" → the options for one mountpoint ('' when none). */
export function mountOptionsFor(spec: string): (mountpoint: string) => string {
  const map = new Map<string, string>();
  for (const item of spec.split(';')) {
    const i = item.indexOf(':');
    if (i >= 0 && !map.has(item.slice(0, i))) map.set(item.slice(0, i), item.slice(i + 1));
  }
  return (mp) => map.get(mp) ?? '';
}

/** What the selected operations tell the backend choice. */
function sysprepNeeds(o: SysprepOptions, ops: readonly SysprepOperation[]): BackendNeeds {
  const customizing = ops.some((op) => op.name === 'customize');
  const commands = customizing ? [...(customizeNeeds(o.settings.customize).commands ?? [])] : [];
  if (o.mountOptions !== '') commands.push('mount-options'); // mounts with options only in the appliance
  if (ops.some((op) => op.name === 'script')) commands.push(...scriptCommands(o.settings));
  const lvmCommands: string[] = [];
  for (const op of ops) {
    commands.push(...(op.applianceCommands ?? []));
    lvmCommands.push(...(op.applianceCommandsWithLvm ?? []));
  }
  return { commands, lvmCommands, writes: true };
}

/** Mounts one inspected OS's filesystems, shortest mountpoint first, with --mount-options ('/' must mount; the others are best effort, as libguestfs's inspect_mount_root). */
async function mountWith(g: Guestfs, facts: OsFacts, optionsFor: (mp: string) => string, verbose?: (m: string) => void): Promise<void> {
  for (const [mountpoint, device] of mountOrder(facts.mountpoints)) {
    try {
      const options = optionsFor(mountpoint);
      if (options === '') await g.mount(device, mountpoint);
      else await g.mountOptions(options, device, mountpoint);
    } catch (e) {
      if (mountpoint === '/') throw e;
      verbose?.(`cannot mount ${device} on ${mountpoint}: ${(e as Error).message}`);
    }
  }
}

export async function runSysprep(o: SysprepOptions, report: SysprepReporter): Promise<void> {
  const ops = o.selection.selected();
  const verbose = o.drive.verbose ? (m: string) => process.stderr.write(`${PROG}: ${m}\n`) : undefined;
  report.message('Examining the guest ...');
  const guard = new SignalGuard((line) => process.stderr.write(`${PROG}: ${line}\n`));
  try {
    // The planned path (sysprep-planned.ts) where it applies, decided before any operation runs.
    const refused = planRefusedUpFront(o, ops);
    if (refused) verbose?.(`plain path: ${refused}`);
    else if ((await runPlanned(o, ops, report, guard, verbose)) === 'done') return;
    await runPlain(o, ops, report, guard, verbose);
  } finally {
    guard.dispose();
  }
}

/** The whole run on one handle: the backend auto chooses (the appliance when a filesystem needs it). */
async function runPlain(o: SysprepOptions, ops: readonly SysprepOperation[], report: SysprepReporter, guard: SignalGuard, verbose?: (m: string) => void): Promise<void> {
  const g = new Guestfs(guestfsOptions(o.drive, sysprepNeeds(o, ops)));
  try {
    for (const d of o.drive.drives) g.addDrive(d.file, { format: d.format, locking: d.locking, ...(o.dryRun ? { readonly: true } : { transactional: true }) });
    if (o.drive.trace) traceCalls(g, PROG);
    await g.launch();
    verbose?.(`backend: ${g.backendName}${g.backendChoice ? ` (${g.backendChoice.reason})` : ''}`);
    const roots = (await g.call('inspect-os', [])) as string[];
    if (roots.length === 0) throw new GuestkitError('ENOENT', 'no operating systems were found in the guest image');
    const all = roots.map((r) => inspectedRoot(g, r));
    if (ops.some((op) => op.name === 'customize')) for (const facts of all) preflight(o.settings.customize, facts, g.capabilities);
    // Each OS in turn, as virt-sysprep: its filesystems mounted, the filesystem operations, unmounted, the device operations.
    for (const facts of all) {
      verbose?.(`inspection found ${facts.root}: ${facts.type} ${facts.distro} ${facts.majorVersion}.${facts.minorVersion}`);
      await mountWith(g, facts, mountOptionsFor(o.mountOptions), verbose);
      const ctx = { g, facts, ...report, effects: { updateSystemCaStore: false }, settings: o.settings };
      await performOnFilesystems(ctx, ops);
      await g.umountAll();
      await performOnDevices(ctx, ops);
    }
    if (!o.dryRun) await guard.commit(() => g.commit());
  } finally {
    await g.close().catch(() => undefined);
  }
}
