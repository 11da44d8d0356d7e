/**
 * guestkit customize: virt-customize. Opens the disks transactionally (an
 * overlay; qcow2 overlay + qemu-img commit on the appliance), inspects and
 * mounts the guest, runs the operations in order, and commits only when all of
 * them succeeded. Progress lines go to a terminal only (-q silences them).
 */
import { Command } from 'commander';
import { runTool } from '../common/run-tool.js';
import { buildCustomizeCommand, type CustomizeOptions } from './customize-options.js';
import { SignalGuard } from './signal-guard.js';
import { Guestfs } from '../../src/core/guestfs.js';
import { GuestkitError } from '../../src/errors/index.js';
import { inspectAndMount, mountOrder } from '../../src/inspect/mount-inspected.js';
import type { OsFacts } from '../../src/inspect/types.js';
import type { CustomizeReporter } from '../../src/customize/context.js';
import { CustomizeRun, preflight, runCustomize } from '../../src/customize/run.js';
import { Qcow2Overlay } from '../../src/customize/qcow2-overlay.js';
import type { BackendName } from '../../src/backend/backend.js';

const PROG = 'guestkit customize';

/** virt-customize's message style: "[   1.2] text" on a terminal, nothing when piped or -q. */
function reporter(o: CustomizeOptions): CustomizeReporter {
  const t0 = Date.now();
  const progress = !o.quiet && process.stdout.isTTY === true;
  return {
    message: (text) => {
      const line = `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}] ${text}\n`;
      if (progress) process.stdout.write(line);
      else if (o.drive.verbose) process.stderr.write(line); // -v: progress in the debug output even when piped
    },
    warning: (text) => process.stdout.write(`${PROG}: warning: ${text}\n`),
    info: (text) => process.stdout.write(`${PROG}: ${text}\n`),
  };
}

/** 'auto' picks the appliance when commands must run in the guest, else the in-process backend. */
export function chooseBackend(requested: string | undefined, needsAppliance: boolean): BackendName {
  const name = requested ?? process.env.GUESTKIT_BACKEND ?? 'auto';
  if (name === 'auto') return needsAppliance ? 'appliance' : 'wasm';
  if (name === 'wasm' || name === 'appliance') return name;
  throw new GuestkitError('EINVAL', `unknown backend '${name}' (expected auto, wasm or appliance)`);
}

/** -x: each API call on standard error, as guestfish -x prints it. */
function traceCalls(g: Guestfs): void {
  const call = g.call.bind(g);
  g.call = async (name, args, optargs) => {
    const shown = args.map((a) => (a instanceof Uint8Array ? `<${a.length} bytes>` : JSON.stringify(a)));
    process.stderr.write(`${PROG}: trace: ${[name, ...shown].join(' ')}\n`);
    return call(name, args, optargs);
  };
}

/** Mounts the inspected OS's filesystems (rw) on a fresh handle over the overlays. */
async function openOverlays(backend: BackendName, overlays: Qcow2Overlay[], o: CustomizeOptions, facts: OsFacts): Promise<Guestfs> {
  const g = new Guestfs({ backend });
  try {
    for (const ov of overlays) g.addDrive(ov.path, { format: 'qcow2' });
    if (o.drive.trace) traceCalls(g);
    await g.launch();
    for (const [mountpoint, device] of mountOrder(facts.mountpoints)) await g.mount(device, mountpoint);
    return g;
  } catch (e) {
    await g.close().catch(() => undefined);
    throw e;
  }
}

/**
 * --run/--run-command with the automatic backend: the guest is inspected and
 * the file operations run in process (wasm), each group of consecutive
 * commands runs in the appliance; both work on the same qcow2 overlays, which
 * are committed at the end.
 */
async function customizeMixed(o: CustomizeOptions, report: CustomizeReporter, guard: SignalGuard, verbose?: (m: string) => void): Promise<void> {
  const overlays: Qcow2Overlay[] = [];
  let g: Guestfs | undefined;
  try {
    for (const d of o.drive.drives) overlays.push(await Qcow2Overlay.create(d.file, d.format));
    g = new Guestfs({ backend: 'wasm' });
    for (const ov of overlays) g.addDrive(ov.path, { format: 'qcow2' });
    if (o.drive.trace) traceCalls(g);
    await g.launch();
    const facts = await inspectAndMount(g, { readOnly: false, verbose });
    preflight(o.parsed, facts, 'appliance');
    const run = new CustomizeRun(o.parsed);
    const ctx = () => ({ g: g!, facts, ...report });
    await run.begin(ctx());
    let current: BackendName = 'wasm';
    const switchTo = async (backend: BackendName) => {
      if (backend === current) return;
      verbose?.(backend === 'appliance' ? 'running commands in the appliance' : 'back to the in-process backend');
      await g!.close();
      g = undefined;
      g = await openOverlays(backend, overlays, o, facts);
      current = backend;
    };
    for (const op of o.parsed.ops) {
      await switchTo(op.op === 'run' ? 'appliance' : 'wasm');
      await run.op(ctx(), op);
    }
    await switchTo('wasm');
    await run.finish(ctx());
    report.message('Finishing off');
    await g.close();
    g = undefined;
    if (!o.dryRun) await guard.commit(async () => { for (const ov of overlays) await ov.commit(); });
  } finally {
    await g?.close().catch(() => undefined);
    for (const ov of overlays) ov.dispose();
  }
}

async function customize(o: CustomizeOptions): Promise<number> {
  if (o.error) throw o.error;
  const { drives } = o.drive;
  if (drives.length === 0) throw new GuestkitError('EINVAL', 'you must give at least one -a option (a disk image or NBD URI)');
  const needsAppliance = o.parsed.ops.some((op) => op.op === 'run');
  const requested = o.drive.backend ?? process.env.GUESTKIT_BACKEND ?? 'auto';
  const backend = chooseBackend(requested, needsAppliance);
  const report = reporter(o);
  const verbose = o.drive.verbose ? (m: string) => process.stderr.write(`${PROG}: ${m}\n`) : undefined;
  const guard = new SignalGuard((line) => process.stderr.write(`${PROG}: ${line}\n`));
  report.message('Examining the guest ...');
  if (requested === 'auto' && needsAppliance) {
    try {
      await customizeMixed(o, report, guard, verbose);
      return 0;
    } finally {
      guard.dispose();
    }
  }
  const overlays: Qcow2Overlay[] = [];
  const g = new Guestfs({ backend });
  try {
    for (const d of drives) {
      if (o.dryRun) g.addDrive(d.file, { format: d.format, readonly: true });
      else if (backend === 'wasm') g.addDrive(d.file, { format: d.format, transactional: true });
      else {
        const ov = await Qcow2Overlay.create(d.file, d.format);
        overlays.push(ov);
        g.addDrive(ov.path, { format: 'qcow2' });
      }
    }
    if (o.drive.trace) traceCalls(g);
    await g.launch();
    // Read-write mounts even for --dry-run: the writes land in the drives' throw-away overlays.
    const facts = await inspectAndMount(g, { readOnly: false, verbose });
    preflight(o.parsed, facts, backend);
    await runCustomize({ g, facts, ...report }, o.parsed);
    report.message('Finishing off');
    if (o.dryRun) {
      await g.close();
      return 0;
    }
    await guard.commit(async () => {
      if (backend === 'wasm') {
        await g.commit();
        await g.close();
      } else {
        await g.close(); // the appliance syncs, unmounts and leaves; qemu-nbd flushes the overlay
        for (const ov of overlays) await ov.commit();
      }
    });
    return 0;
  } finally {
    await g.close().catch(() => undefined);
    for (const ov of overlays) ov.dispose();
    guard.dispose();
  }
}

export function customizeCommand(): Command {
  const { cmd, options } = buildCustomizeCommand();
  cmd.action(async () => {
    await runTool('customize', () => customize(options()));
  });
  return cmd;
}
