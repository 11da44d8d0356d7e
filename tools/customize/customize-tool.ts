/**
 * guestkit customize: virt-customize. Opens the disks transactionally (an
 * overlay; qcow2 overlay + qemu-img commit on the appliance), inspects and
 * mounts the guest, runs the operations in order, and commits only when all of
 * them succeeded. Progress lines go to a terminal only (-q silences them).
 */
import { Command } from 'commander';
import { runTool } from '../common/run-tool.js';
import { buildCustomizeCommand, type CustomizeOptions } from './customize-options.js';
import { SignalGuard } from '../common/signal-guard.js';
import { Guestfs } from '../../src/core/guestfs.js';
import { GuestkitError } from '../../src/errors/index.js';
import { inspectAndMount } from '../../src/inspect/mount-inspected.js';
import type { CustomizeReporter } from '../../src/customize/context.js';
import { preflight, runCustomize } from '../../src/customize/run.js';
import type { ParsedOps } from '../../src/customize/ops.js';
import type { BackendNeeds } from '../../src/core/backend-choice.js';
import { guestfsOptions } from '../common/drive-options.js';
import { traceCalls } from '../common/trace-calls.js';

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

/**
 * What customize tells the backend choice: it mounts read-write, and --run /
 * --run-command run guest programs (the `sh` command).
 */
export function customizeNeeds(parsed: ParsedOps): BackendNeeds {
  return { commands: parsed.ops.some((op) => op.op === 'run') ? ['sh'] : [], writes: true };
}

/**
 * One handle, on the backend the one chooser picks (src/core/backend-choice.ts):
 * the disks are transactional (an overlay in process, a qcow2 overlay in the
 * appliance), so nothing reaches them before every operation has succeeded and
 * commit() writes them through; --dry-run opens them read-only (the writes land
 * in a throw-away overlay).
 */
async function customize(o: CustomizeOptions): Promise<number> {
  if (o.error) throw o.error;
  const { drives } = o.drive;
  if (drives.length === 0) throw new GuestkitError('EINVAL', 'you must give at least one -a option (a disk image or NBD URI)');
  const report = reporter(o);
  const verbose = o.drive.verbose ? (m: string) => process.stderr.write(`${PROG}: ${m}\n`) : undefined;
  const guard = new SignalGuard((line) => process.stderr.write(`${PROG}: ${line}\n`));
  report.message('Examining the guest ...');
  const g = new Guestfs(guestfsOptions(o.drive, customizeNeeds(o.parsed)));
  try {
    for (const d of drives) g.addDrive(d.file, { format: d.format, locking: d.locking, ...(o.dryRun ? { readonly: true } : { transactional: true }) });
    if (o.drive.trace) traceCalls(g, PROG);
    await g.launch();
    // Read-write mounts even for --dry-run: the writes land in the drives' throw-away overlays.
    const facts = await inspectAndMount(g, { readOnly: false, verbose });
    preflight(o.parsed, facts, g.capabilities);
    await runCustomize({ g, facts, ...report }, o.parsed);
    report.message('Finishing off');
    if (!o.dryRun) await guard.commit(() => g.commit());
    return 0;
  } finally {
    await g.close().catch(() => undefined);
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
