/** guestkit make-fs: virt-make-fs. Makes a disk image holding one filesystem filled from a directory or tar archive. */
import { Command, Option } from 'commander';
import type { MakeFsOptions } from '../../src/imgtools/make-fs.js';
import { progressBar } from '../common/progress-bar.js';
import { runTool } from '../common/run-tool.js';
import { traceCalls } from '../common/trace-calls.js';
import { makeFsOptions, type MakeFsFlags } from './make-fs-compute.js';
import { verboseSummary } from './make-fs-output.js';

export function makeFsCommand(): Command {
  const cmd = new Command('make-fs')
    .description('make a filesystem from a tar archive or files (virt-make-fs)')
    .usage('[--options] input.tar|input.tar.gz|input.tar.xz|directory output.img')
    .helpOption('--help', 'display brief help')
    .argument('<input>', 'a directory, or a tar archive (plain, gzip, bzip2 or xz compressed): detected by its content')
    .argument('<output>', 'the disk image to create (replaced if it exists, only once complete)')
    .option('--blocksize <512|4096>', 'sector size of the output disk (only 512 is supported)')
    .option('--floppy', 'make a virtual floppy disk: --size=1440K --partition=mbr --type=vfat')
    .addOption(new Option('-F, --format <raw|qcow2>', 'output format').default('raw'))
    .option('--label <label>', 'filesystem label')
    .addOption(new Option('--partition [mbr|gpt]', 'put the filesystem in a partition (mbr when no type is given)'))
    .option('-s, --size <size|+size>', 'size of the output disk: N[kKMGTPE] bytes, or +N added to the estimate')
    .addOption(new Option('-t, --type <fstype>', 'filesystem type: ext2 (default), ext3, ext4, vfat, msdos, ntfs, xfs, btrfs').default('ext2'))
    .option('-q, --quiet', 'no progress bar')
    .option('-v, --verbose', 'verbose messages')
    .option('--debug', 'the same as -v (as the Perl virt-make-fs took)')
    .option('-x', 'trace each command run on the disk')
    .option('--backend <name>', 'auto, wasm or appliance (default: $GUESTKIT_BACKEND or auto)');
  cmd.addHelpText('after', `
The output size, unless --size gives it, is the input's size (du --apparent-size
for a directory, the uncompressed length of an archive) plus room for the
filesystem's own structures (256 KiB; ext3/ext4 journal 4 MiB, ntfs 4 MiB,
xfs 16 MiB, btrfs 256 MiB) plus 10%, as virt-make-fs estimates it. Use
--size=+N to leave free space. Owners, modes, times, symlinks and hard links
are kept (vfat holds no owners: its files must belong to root).
ext2/3/4, vfat and ntfs are made in process (the host's mke2fs / mkfs.vfat /
mkfs.ntfs write the empty filesystem into the new file, mke2fs -d copies a
directory straight in); xfs and btrfs, or --backend=appliance, use the appliance.
Examples:
  guestkit make-fs --type=ext4 --size=+100M --label=DATA ./site data.img
  guestkit make-fs --format=qcow2 --partition=gpt --type=vfat files.tar.gz efi.qcow2`);
  return cmd.action(async (input: string, output: string, flags: MakeFsFlags) => {
    await runTool('make-fs', async () => {
      const o: MakeFsOptions = makeFsOptions(input, output, flags);
      if (flags.x) o.trace = (g) => traceCalls(g, 'guestkit make-fs');
      const bar = progressBar({ quiet: flags.quiet });
      o.progress = (done, total) => bar.update(done, total);
      let result;
      try {
        result = await (await import('../../src/imgtools/make-fs.js')).makeFs(o);
      } finally {
        bar.end();
      }
      if (o.verbose) verboseSummary(result, o.output);
    });
  });
}
