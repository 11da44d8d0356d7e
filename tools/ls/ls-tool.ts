/** guestkit ls: virt-ls. Lists directories in a virtual machine. */
import { Command, Option } from 'commander';
import { addDriveOptions } from '../common/drive-options.js';
import { openGuest } from '../common/open-guest.js';
import { runTool } from '../common/run-tool.js';
import { nowSeconds, timeFormat, writeOut as write, type ListingFlags } from '../common/tool-output.js';
import { GuestkitError, formatError } from '../../src/errors/index.js';
import type { Guestfs } from '../../src/core/guestfs.js';
import { guestPathResolver } from '../../src/inspect/windows-path.js';
import { walkTree } from './ls-compute.js';
import { formatRecord, type LsFormat } from './ls-output.js';
import { examplesHelp } from '../common/tool-examples.js';

interface LsOptions extends ListingFlags {
  long?: boolean;
  recursive?: boolean;
}

export function lsCommand(): Command {
  const cmd = new Command('ls')
    .description('list files in a virtual machine (virt-ls)')
    .argument('<directories...>', 'guest directories to list')
    .usage('[--options] -a disk.img directory [directory ...]')
    .addHelpText('after', examplesHelp('guestkit ls -a disk.img -m /dev/sda1 -lR --uids /home', 'guestkit ls -a disk.img /etc'))
    .helpOption('--help', 'display help')
    .option('-l, --long', 'long listing (the guest\'s ls -la); with -R, one line per file')
    .option('-R, --recursive', 'recursive listing')
    .addOption(new Option('--checksum [type]', 'with -lR: checksum of each regular file (default md5)'))
    .addOption(new Option('--checksums [type]').hideHelp())
    .option('--csv', 'with -lR: comma-separated values')
    .option('--extra-stats', 'with -lR: device, inode, links, rdev, blocks')
    .option('-h, --human-readable', 'with -lR: human-readable sizes')
    .option('--times', 'with -lR: atime, mtime, ctime')
    .option('--time-t', 'with -lR: times as seconds since the epoch')
    .option('--time-relative', 'with -lR: times as seconds before now')
    .option('--time-days', 'with -lR: times as days before now')
    .option('--uids', 'with -lR: owner and group ids');
  const driveOpts = addDriveOptions(cmd, { readOnlyDefault: true });
  cmd.action(async (dirs: string[], o: LsOptions & { checksums?: string | boolean }) => {
    await runTool('ls', async () => {
      const checksumOpt = o.checksum ?? o.checksums;
      const checksum = checksumOpt === undefined ? undefined : checksumOpt === true || checksumOpt === '' ? 'md5' : String(checksumOpt);
      const times = timeFormat(o);
      const lR = !!o.long && !!o.recursive;
      if (!lR && (o.csv || o.humanReadable || o.uids || times || o.extraStats || checksum)) {
        throw new GuestkitError('EINVAL', 'used a flag which can only be combined with -lR mode');
      }
      if (o.humanReadable && o.csv) throw new GuestkitError('EINVAL', 'you cannot use -h and --csv options together.');
      const format: LsFormat = {
        csv: !!o.csv, human: !!o.humanReadable, uids: !!o.uids, times, extraStats: !!o.extraStats,
        checksum: !!checksum, now: nowSeconds(),
      };
      const g = await openGuest(driveOpts(), { tool: 'ls', needMounts: true, readOnly: true });
      let errors = 0;
      try {
        // On an inspected Windows guest, C:\dir paths (as virt-ls takes them).
        const resolve = await guestPathResolver(g, true);
        for (const dir of dirs) {
          try {
            await listOne(g, await resolve(dir), { long: !!o.long, recursive: !!o.recursive }, format, checksum);
          } catch (e) {
            process.stderr.write(`guestkit ls: error: ${formatError(e)}\n`);
            errors++;
          }
        }
      } finally {
        await g.close();
      }
      return errors ? 1 : 0;
    });
  });
  return cmd;
}

async function listOne(g: Guestfs, dir: string, mode: { long: boolean; recursive: boolean }, format: LsFormat, checksum?: string): Promise<void> {
  if (mode.long && mode.recursive) {
    await walkTree(g, dir, checksum, (r) => write(formatRecord(r, format)));
  } else if (mode.long) {
    await write(await g.ll(dir));
  } else if (mode.recursive) {
    for (const p of await g.find(dir)) await write(p + '\n');
  } else {
    for (const n of await g.ls(dir)) await write(n + '\n');
  }
}
