/**
 * guestkit diff: virt-diff. Inspects and mounts two guests read-only (-a … for the first,
 * -A … for the second), walks both trees, and prints what differs: "-" removed, "+" added,
 * "=" content changed (followed by a unified diff of the two files), "# changed:" for
 * metadata. Exit status 0 whether or not the guests differ; 1 on errors.
 */
import { Command, Option } from 'commander';
import { addDriveOptions, guestfsOptions, type DriveOptions } from '../common/drive-options.js';
import { runTool } from '../common/run-tool.js';
import { nowSeconds, timeFormat, writeOut as write, type ListingFlags } from '../common/tool-output.js';
import { Guestfs } from '../../src/core/guestfs.js';
import { GuestkitError } from '../../src/errors/index.js';
import type { DriveConfig } from '../../src/backend/backend.js';
import { inspectAndMount } from '../../src/inspect/mount-inspected.js';
import { walkGuest, type WalkOptions } from './diff-walk.js';
import { compareTrees } from './diff-compare.js';
import { changeLines, type DiffFormat } from './diff-output.js';
import { unifiedDiffBody } from './unified-diff.js';

interface DiffCliOptions extends ListingFlags {
  atime?: boolean;
  checksums?: string | boolean;
  dirLinks?: boolean;
  dirTimes?: boolean;
  xattrs?: boolean;
  all?: boolean;
}

/** -x: each call on the handle, as libguestfs traces them (name, then arguments). */
function traced(g: Guestfs, id: string): void {
  const call = g.call.bind(g);
  g.call = async (name, args, opt) => {
    process.stderr.write(`libguestfs: trace: ${id}: ${name}${args.map((a) => ` ${JSON.stringify(a)}`).join('')}\n`);
    return call(name, args, opt);
  };
}

/** Opens one guest read-only and mounts it as inspection finds it. */
async function openSide(drives: DriveConfig[], o: DriveOptions, id: string, verbose: (m: string) => void, xattrs: boolean): Promise<Guestfs> {
  // --xattrs reads xattrs (lgetxattrs, lxattrlist): auto stays in process only where the wasm backend reads them (btrfs).
  const g = new Guestfs(guestfsOptions(o, { commands: xattrs ? ['lgetxattrs', 'lxattrlist'] : [] }));
  try {
    if (o.trace) traced(g, id);
    for (const d of drives) g.addDrive(d.file, { format: d.format, readonly: true });
    await g.launch();
    await inspectAndMount(g, { readOnly: true, verbose, warn: (m: string) => process.stderr.write(`guestkit diff: warning: ${m}\n`) });
    return g;
  } catch (e) {
    await g.close().catch(() => undefined);
    throw e;
  }
}

export function diffCommand(): Command {
  const cmd = new Command('diff')
    .description('differences between files in two virtual machines (virt-diff)')
    .usage('[--options] -a disk1.img [-a disk1b.img ...] -A disk2.img [-A disk2b.img ...]')
    .helpOption('--help', 'display help')
    .option('--atime', 'compare (and with --times show) access times too')
    .addOption(new Option('--checksum [type]', 'compare regular files by checksum (default md5; crc, sha1, sha224, sha256, sha384, sha512)'))
    .addOption(new Option('--checksums [type]').hideHelp())
    .option('--csv', 'comma-separated values')
    .option('--dir-links', 'compare the link counts of directories too')
    .addOption(new Option('--dir-link').hideHelp())
    .option('--dir-times', 'compare the times of directories too')
    .addOption(new Option('--dir-time').hideHelp())
    .option('--extra-stats', 'show device, inode, links, rdev and blocks')
    .addOption(new Option('--extra-stat').hideHelp())
    .option('-h, --human-readable', 'human-readable sizes')
    .option('--times', 'show times (mtime, ctime; atime too with --atime)')
    .addOption(new Option('--time').hideHelp())
    .option('--time-t', 'show times as seconds since the epoch')
    .option('--time-relative', 'show times as seconds before now')
    .option('--time-days', 'show times as days before now')
    .option('--uids', 'show owner and group ids')
    .addOption(new Option('--uid').hideHelp())
    .option('--xattrs', 'compare and show extended attributes (appliance backend: auto chooses it)')
    .addOption(new Option('--xattr').hideHelp())
    .option('--all', 'same as --extra-stats --times --uids --xattrs');
  cmd.addHelpText('after', `
Both guests are opened read-only and mounted as inspection finds them. Exit status: 0 when
both guests could be read (whether or not they differ), 1 on error.

Example:
  guestkit diff -a before.qcow2 -A after.qcow2 --checksum`);
  const driveOpts = addDriveOptions(cmd, { readOnlyDefault: true, mounts: false, secondGuest: true });
  cmd.action(async (o: DiffCliOptions & Record<string, unknown>) => {
    await runTool('diff', async () => {
      const d = driveOpts();
      if (d.drives.length === 0) throw new GuestkitError('EINVAL', 'you must specify at least one -a option.');
      if (d.drives2.length === 0) throw new GuestkitError('EINVAL', 'you must specify at least one -A option.');
      if (o.humanReadable && o.csv) throw new GuestkitError('EINVAL', 'you cannot use -h and --csv options together.');
      const cs = o.checksum ?? o.checksums;
      const checksum = cs === undefined ? undefined : cs === true || cs === '' ? 'md5' : String(cs);
      const times = timeFormat({ ...o, times: !!(o.times || o.time || o.all) });
      const xattrs = !!(o.xattrs || o.xattr || o.all);
      const walk: WalkOptions = { atime: !!o.atime, dirLinks: !!(o.dirLinks || o.dirLink), dirTimes: !!(o.dirTimes || o.dirTime), xattrs, checksum };
      const format: DiffFormat = {
        csv: !!o.csv, human: !!o.humanReadable, uids: !!(o.uids || o.uid || o.all), times, atime: !!o.atime,
        extraStats: !!(o.extraStats || o.extraStat || o.all), xattrs, now: nowSeconds(),
      };
      const verbose = (m: string) => { if (d.verbose) process.stderr.write(`guestkit diff: ${m}\n`); };

      const sides = await Promise.allSettled([openSide(d.drives, d, 'g1', verbose, xattrs), openSide(d.drives2, d, 'g2', verbose, xattrs)]);
      const [g1, g2] = sides.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
      try {
        for (const s of sides) if (s.status === 'rejected') throw s.reason;
        // Two handles, two workers: both trees are read at once.
        const [t1, t2] = await Promise.all([walkGuest(g1!, walk), walkGuest(g2!, walk)]);
        verbose(`read ${t1.length} entries from the first guest, ${t2.length} from the second`);
        for (const c of compareTrees(t1, t2)) {
          await write(changeLines(c, format));
          if (c.kind === 'content' && !format.csv) {
            const [a, b] = await Promise.all([g1!.readFile(c.a.path), g2!.readFile(c.b.path)]);
            await write(Buffer.from(unifiedDiffBody(a, b), 'latin1'));
            await write('@@ End of diff @@\n');
          }
        }
      } finally {
        await Promise.all([g1?.close(), g2?.close()]);
      }
      return 0;
    });
  });
  return cmd;
}
