/** guestkit resize: virt-resize. Copies a disk into a larger (or smaller) pre-created disk, resizing partitions and their content. */
import { examplesHelp } from '../common/tool-examples.js';
import { Command, Option } from 'commander';
import { ErrnoError } from '../../src/errors/index.js';
import { runTool } from '../common/run-tool.js';
import { jsonMessage, machineReadableSink } from '../common/machine-readable.js';
import { progressBar } from '../common/progress-bar.js';
import { timedMessages } from '../common/timed-messages.js';
import { traceCalls } from '../common/trace-calls.js';
import { writeOut } from '../common/tool-output.js';
import type { ResizeOptions } from './resize-compute.js';
import { completedText, machineReadableFeatures, summaryText } from './resize-output.js';

interface Flags {
  alignFirst: string;
  alignment: string;
  copyBootLoader: boolean;
  debug?: boolean;
  delete?: string[];
  dryRun?: boolean;
  expand?: string;
  expandContent: boolean;
  extraPartition: boolean;
  format?: string;
  ignore?: string[];
  lvExpand?: string[];
  machineReadable?: boolean | string;
  ntfsresizeForce?: boolean;
  outputFormat?: string;
  quiet?: boolean;
  resize?: string[];
  resizeForce?: string[];
  shrink?: string;
  sparse: boolean;
  unknownFilesystems: string;
  verbose?: boolean;
  x?: boolean;
  backend?: string;
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

function once(flag: string) {
  return (v: string, prev: string | undefined) => {
    if (v === '') throw new ErrnoError('EINVAL', `empty ${flag} option`);
    if (prev !== undefined) throw new ErrnoError('EINVAL', `${flag} option given more than once`);
    return v;
  };
}

export function resizeCommand(): Command {
  const cmd = new Command('resize')
    .description('resize a virtual machine disk (virt-resize)')
    .usage('[--options] indisk outdisk')
    .helpOption('--help', 'display brief help')
    .argument('[indisk]', 'the source disk (a file of any format, or an NBD URI); only read')
    .argument('[outdisk]', 'the target disk, created beforehand at the new size (e.g. qemu-img create -f raw out.img 20G)')
    .addOption(new Option('--align-first <when>', 'align the first partition (moving it; only safe for a lone bootable NTFS)').choices(['never', 'always', 'auto']).default('auto'))
    .option('--alignment <sectors>', 'partition alignment', '128')
    .option('--no-copy-boot-loader', "don't copy the boot loader")
    .option('-d, --debug', 'debugging messages (as -v)')
    .option('--delete <part>', 'delete the partition (repeatable)', collect)
    .option('--expand <part>', 'expand the partition into the surplus space', once('--expand'))
    .option('--no-expand-content', "don't grow the content (filesystem, PV, swap) of resized partitions")
    .option('--no-extra-partition', "don't create an extra partition for the surplus")
    .option('--format <format>', 'format of the input disk (default: probed)')
    .option('--ignore <part>', 'create the partition but do not copy its content (repeatable)', collect)
    .option('--lv-expand <lv>', 'expand the logical volume (and its content) to fill its volume group (repeatable; appliance)', collect)
    .option('-n, --dry-run', 'print the summary and make no changes')
    .addOption(new Option('--machine-readable [format]', 'with no disks: the features this tool has; with disks: messages as JSON and progress as POS/TOTAL lines (FORMAT: stream:stdout, stream:stderr, file:NAME, fd:N)'))
    .option('--ntfsresize-force', 'pass --force to ntfsresize (a filesystem marked for chkdsk)')
    .option('--output-format <format>', 'format of the output disk: raw or qcow2 (default: probed)')
    .option('-q, --quiet', "don't print the summary and progress messages")
    .option('--resize <part=size>', 'resize the partition: N[bKMG], +N, -N, N%, +N%, -N% (repeatable)', collect)
    .option('--resize-force <part=size>', 'like --resize, also when shrinking may destroy data (repeatable)', collect)
    .option('--shrink <part>', 'shrink the partition to leave no deficit', once('--shrink'))
    .option('--no-sparse', 'write zeroes too (a target that is not known to read as zeroes)')
    .addOption(new Option('--unknown-filesystems <mode>', 'resizing a partition whose content cannot be grown').choices(['ignore', 'warn', 'error']).default('warn'))
    .option('-v, --verbose', 'verbose messages')
    .option('-x', 'trace each command run on the disk')
    .option('--backend <name>', 'auto, wasm or appliance (default: $GUESTKIT_BACKEND or auto)');
  cmd.addHelpText('after', `
OUTDISK must exist at its new size; its format is kept (raw, or qcow2 rewritten
by guestkit's writer). Partitions are laid out as virt-resize lays them out
(128-sector alignment, the first partition where it was), copied sparsely with
the block layer, and the new table written in process (a GPT's backup header
at the new end). Growing content (resize2fs, ntfsresize, pvresize, mkswap with
the same label and UUID, --lv-expand) runs in the appliance; with nothing to
grow no VM starts. OUTDISK is only replaced once everything succeeded. Make
OUTDISK first, e.g. qemu-img create -f raw out.img 20G.`);
  cmd.addHelpText('after', examplesHelp(
    'guestkit resize --expand /dev/sda2 in.img out.img',
    'guestkit resize --dry-run --resize /dev/sda1=+200M --delete /dev/sda3 in.img out.img',
  ));
  return cmd.action(async (indisk: string | undefined, outdisk: string | undefined, f: Flags) => {
    await runTool('resize', async () => {
      if (f.machineReadable !== undefined && indisk === undefined) {
        await writeOut(machineReadableFeatures());
        return;
      }
      if (indisk === undefined || outdisk === undefined) throw new ErrnoError('EINVAL', 'usage is: [--options] indisk outdisk');
      const alignment = Number(f.alignment);
      if (!Number.isInteger(alignment)) throw new ErrnoError('EINVAL', `--alignment=${f.alignment}: expected a number of sectors`);
      const backend = f.backend ?? process.env.GUESTKIT_BACKEND ?? 'auto';
      if (backend !== 'auto' && backend !== 'wasm' && backend !== 'appliance') throw new ErrnoError('EINVAL', `--backend=${backend}: expected auto, wasm or appliance`);
      const verbose = f.verbose || f.debug;
      // virt-resize's copy progress: a bar on a terminal, POS/TOTAL lines with --machine-readable, none with -q.
      const machine = f.machineReadable !== undefined ? machineReadableSink(f.machineReadable) : undefined;
      const bar = progressBar({ quiet: f.quiet, machineReadable: !!machine, machineOut: machine });
      // virt-resize prints its summary and closing lines also as JSON "info" objects, on stdout with them.
      const info = (text: string) => (machine ? jsonMessage(text, 'info') : '');
      const messages = timedMessages(!!f.quiet);
      const o: ResizeOptions = {
        input: indisk,
        output: outdisk,
        format: f.format,
        outputFormat: f.outputFormat,
        expand: f.expand,
        shrink: f.shrink,
        resize: f.resize ?? [],
        resizeForce: f.resizeForce ?? [],
        ignore: f.ignore ?? [],
        delete: f.delete ?? [],
        lvExpand: f.lvExpand ?? [],
        alignment,
        alignFirst: f.alignFirst as ResizeOptions['alignFirst'],
        extraPartition: f.extraPartition,
        expandContent: f.expandContent,
        dryRun: !!f.dryRun,
        ntfsresizeForce: !!f.ntfsresizeForce,
        copyBootLoader: f.copyBootLoader,
        sparse: f.sparse,
        unknownFilesystems: f.unknownFilesystems as ResizeOptions['unknownFilesystems'],
        backend,
        message: (t) => {
          bar.interrupt();
          if (machine && !f.quiet) machine(jsonMessage(t, 'message'));
          messages(t);
        },
        progress: (done, total) => bar.update(done, total),
        summary: (plan) => {
          if (!f.quiet) process.stdout.write(summaryText(plan, info));
        },
        warn: (t) => process.stderr.write(`guestkit resize: warning: ${t}\n`),
        verbose: verbose ? (l) => process.stderr.write(`${l}\n`) : undefined,
        trace: f.x ? (g) => traceCalls(g, 'guestkit resize') : undefined,
      };
      const { resize } = await import('./resize-compute.js');
      try {
        await resize(o);
      } finally {
        bar.end();
      }
      if (!o.dryRun && !f.quiet) await writeOut(completedText(info));
    });
  });
}
