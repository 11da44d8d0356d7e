/** guestkit df: virt-df. Shows free space on a virtual machine's filesystems. */
import { Command } from 'commander';
import { addDriveOptions } from '../common/drive-options.js';
import { openGuest } from '../common/open-guest.js';
import { runTool } from '../common/run-tool.js';
import { GuestkitError } from '../../src/errors/index.js';
import { dfRows, displayName } from './df-compute.js';
import { dfLine, dfTitle, type DfFormat } from './df-output.js';
import { examplesHelp } from '../common/tool-examples.js';

export function dfCommand(): Command {
  const cmd = new Command('df')
    .description('display free space on virtual filesystems (virt-df)')
    .usage('[--options] -a disk.img [-a disk.img ...]')
    .addHelpText('after', examplesHelp('guestkit df -a disk.img -h'))
    .helpOption('--help', 'display help')
    .option('--csv', 'comma-separated values')
    .option('-h, --human-readable', 'human-readable sizes')
    .option('-i, --inodes', 'show inodes instead of blocks')
    .option('--one-per-guest', 'accepted for compatibility (one handle per guest is what guestkit does)')
    .option('-P <nr_threads>', 'accepted for compatibility (libvirt guests only)')
    .option('--uuid', 'accepted for compatibility (libvirt guests only)');
  const driveOpts = addDriveOptions(cmd, { readOnlyDefault: true, mounts: false });
  cmd.action(async (o: { csv?: boolean; humanReadable?: boolean; inodes?: boolean }) => {
    await runTool('df', async () => {
      if (o.humanReadable && o.csv) throw new GuestkitError('EINVAL', 'you cannot use -h and --csv options together.');
      const opts = driveOpts();
      const f: DfFormat = { csv: !!o.csv, human: !!o.humanReadable, inodes: !!o.inodes };
      const g = await openGuest(opts, { tool: 'df', needMounts: false, readOnly: true });
      try {
        const rows = await dfRows(g, (m) => { if (opts.verbose) process.stderr.write(`guestkit df: ${m}\n`); });
        const name = displayName(opts.drives.map((d) => d.file));
        process.stdout.write(dfTitle(f) + rows.map((r) => dfLine(name, r, f)).join(''));
      } finally {
        await g.close();
      }
    });
  });
  return cmd;
}
