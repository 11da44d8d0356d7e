/** guestkit sparsify: virt-sparsify. Makes a disk image sparse: a sparse copy, or holes punched in place. */
import { Command, Option } from 'commander';
import { ErrnoError } from '../../src/errors/index.js';
import { runTool } from '../common/run-tool.js';
import { jsonMessage, machineReadableSink } from '../common/machine-readable.js';
import { progressBar } from '../common/progress-bar.js';
import { timedMessages } from '../common/timed-messages.js';
import { traceCalls } from '../common/trace-calls.js';
import { writeOut } from '../common/tool-output.js';
import type { Backend, CheckTmpdir, SparsifyOptions } from './sparsify-compute.js';
import { CHECK_TARGET_ADVICE, machineReadableFeatures } from './sparsify-output.js';

interface Flags {
  checkTmpdir: string;
  compress?: boolean;
  convert?: string;
  format?: string;
  ignore?: string[];
  inPlace?: boolean;
  machineReadable?: boolean | string;
  o?: string;
  quiet?: boolean;
  tmp?: string;
  verbose?: boolean;
  x?: boolean;
  zero?: string[];
  backend?: string;
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

function backendOf(flag: string | undefined): Backend {
  const b = flag ?? process.env.GUESTKIT_BACKEND ?? 'auto';
  if (b === 'auto' || b === 'wasm' || b === 'appliance') return b;
  throw new ErrnoError('EINVAL', `--backend=${b}: expected auto, wasm or appliance`);
}

/** "Press RETURN to continue or ^C to quit." and one line of standard input. */
async function pressReturn(): Promise<void> {
  process.stderr.write('Press RETURN to continue or ^C to quit.\n');
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin });
  try {
    const answered = await new Promise<boolean>((resolve) => {
      rl.once('line', () => resolve(true));
      rl.once('close', () => resolve(false));
    });
    if (!answered) throw new ErrnoError('EINTR', '--check-tmpdir=warn: no answer on standard input');
  } finally {
    rl.close();
  }
}

export function sparsifyCommand(): Command {
  const cmd = new Command('sparsify')
    .description('make a virtual machine disk sparse (virt-sparsify)')
    .usage('[--options] indisk outdisk\n       guestkit sparsify [--options] --in-place disk')
    .helpOption('--help', 'display brief help')
    .argument('[indisk]', 'the disk to sparsify (a file of any format, or an NBD URI); never written in copy mode')
    .argument('[outdisk]', 'the new sparse disk (copy mode); it appears only when complete')
    .addOption(new Option('--check-tmpdir <mode>', 'check there is enough space in $TMPDIR for the overlay (appliance route): ignore, continue, warn, fail').choices(['ignore', 'continue', 'warn', 'fail']).default('warn'))
    .option('--compress', 'compressed qcow2 output (zlib clusters, as qemu-img convert -c)')
    .option('--convert <format>', 'output format: raw or qcow2 (default: the input format)')
    .option('--format <format>', 'format of the input disk (default: probed)')
    .option('--ignore <filesystem|volgroup>', 'leave this filesystem or volume group alone (repeatable)', collect)
    .option('--in-place', 'sparsify the disk itself: punch holes for its free space')
    .addOption(new Option('--machine-readable [format]', 'with no disks: the features this tool has; with disks: messages as JSON and progress as POS/TOTAL lines (FORMAT: stream:stdout, stream:stderr, file:NAME, fd:N)'))
    .addOption(new Option('-o <option>', 'qcow2 output options: compat=1.1, cluster_size=SIZE, compression_type=zlib'))
    .option('-q, --quiet', "don't print progress messages")
    .option('--tmp <dir>', 'directory for the overlay of the appliance route (default: $TMPDIR or /tmp)')
    .option('-v, --verbose', 'verbose messages')
    .option('-x', 'trace each command run on the disk')
    .option('--zero <filesystem>', 'zero this whole filesystem or device (repeatable)', collect)
    .option('--backend <name>', 'auto, wasm or appliance (default: $GUESTKIT_BACKEND or auto)');
  cmd.addHelpText('after', `
Copy mode writes a new disk in which the free space of each filesystem reads as
zeroes and is left unallocated; the input is only read. In process (no VM):
ext2/3/4 free blocks from the block bitmaps, FAT free clusters, Linux swap
areas (cleared after their header, so label and UUID stay), --zero devices.
LVM, ntfs, xfs and btrfs are zeroed in the appliance through a qcow2 overlay, as virt-sparsify
does. --in-place punches holes in a raw file (fallocate), or trims each
filesystem in the appliance (fstrim; other formats).
Examples:
  guestkit sparsify disk.img disk-sparse.img
  guestkit sparsify --convert qcow2 disk.img disk.qcow2
  guestkit sparsify --convert qcow2 --compress disk.img disk-small.qcow2
  guestkit sparsify --in-place disk.img`);
  return cmd.action(async (indisk: string | undefined, outdisk: string | undefined, f: Flags) => {
    await runTool('sparsify', async () => {
      if (f.machineReadable !== undefined && indisk === undefined) {
        await writeOut(machineReadableFeatures());
        return;
      }
      if (f.inPlace ? indisk === undefined || outdisk !== undefined : indisk === undefined || outdisk === undefined) {
        throw new ErrnoError('EINVAL', f.inPlace ? 'usage is: --in-place disk' : 'usage is: [--options] indisk outdisk');
      }
      if (f.inPlace && (f.convert || f.compress || f.o !== undefined || f.tmp !== undefined)) {
        throw new ErrnoError('EINVAL', '--in-place cannot be used with --convert, --compress, -o or --tmp');
      }
      // virt-sparsify's progress bars: on a terminal, as POS/TOTAL lines with --machine-readable, none with -q.
      const machine = f.machineReadable !== undefined ? machineReadableSink(f.machineReadable) : undefined;
      const bar = progressBar({ quiet: f.quiet, machineReadable: !!machine, machineOut: machine });
      const messages = timedMessages(!!f.quiet);
      const o: SparsifyOptions = {
        input: indisk!,
        output: outdisk,
        inPlace: !!f.inPlace,
        format: f.format,
        convert: f.convert,
        compress: !!f.compress,
        option: f.o,
        ignore: f.ignore ?? [],
        zero: f.zero ?? [],
        checkTmpdir: f.checkTmpdir as CheckTmpdir,
        tmp: f.tmp,
        backend: backendOf(f.backend),
        message: (t) => {
          bar.interrupt();
          if (machine && !f.quiet) machine(jsonMessage(t, 'message'));
          messages(t);
        },
        progress: (done, total) => bar.update(done, total),
        warn: (t) => process.stderr.write(`guestkit sparsify: warning: ${t}`),
        confirm: pressReturn,
        verbose: f.verbose ? (l) => process.stderr.write(`${l}\n`) : undefined,
        trace: f.x ? (g) => traceCalls(g, 'guestkit sparsify') : undefined,
      };
      const { sparsify, TmpdirCheckFailed } = await import('./sparsify-compute.js');
      let r;
      try {
        r = await sparsify(o);
      } catch (e) {
        if (!(e instanceof TmpdirCheckFailed)) throw e;
        process.stderr.write(`${e.message}\n`);
        return 2;
      } finally {
        bar.end();
      }
      if (f.verbose) process.stderr.write(`sparsify: ${r.route}, ${r.zeroedBytes} bytes found free\n`);
      if (!o.inPlace && !f.quiet) {
        if (machine) machine(jsonMessage(CHECK_TARGET_ADVICE, 'info'));
        await writeOut(`guestkit sparsify: ${CHECK_TARGET_ADVICE}\n`);
      }
    });
  });
}
