/** guestkit filesystems: virt-filesystems. Lists filesystems, partitions, block devices and LVM in a disk image. */
import { Command, Option } from 'commander';
import { Guestfs } from '../../src/core/guestfs.js';
import { GuestkitError } from '../../src/errors/index.js';
import { addDriveOptions, guestfsOptions } from '../common/drive-options.js';
import { runTool } from '../common/run-tool.js';
import { writeOut } from '../common/tool-output.js';
import { computeRows, type Selection } from './filesystems-compute.js';
import { formatRows, type OutputFormat } from './filesystems-output.js';
import { examplesHelp } from '../common/tool-examples.js';

interface Flags {
  all?: boolean;
  filesystems?: boolean;
  extra?: boolean;
  partitions?: boolean;
  blockDevices?: boolean;
  logicalVolumes?: boolean;
  volumeGroups?: boolean;
  physicalVolumes?: boolean;
  long?: boolean;
  csv?: boolean;
  humanReadable?: boolean;
  uuid?: boolean;
  title?: boolean;
}

/** virt-filesystems' other spellings of a flag, as hidden options that set it. */
function aliases(cmd: Command, attribute: keyof Flags, names: string[]): void {
  for (const n of names) {
    cmd.addOption(new Option(`--${n}`).hideHelp());
    cmd.on(`option:${n}`, () => cmd.setOptionValue(attribute, true));
  }
}

export function filesystemsCommand(): Command {
  const cmd = new Command('filesystems')
    .description('list filesystems, partitions, block devices, LVM in a VM (virt-filesystems)')
    .usage('[--options] -a disk.img [-a disk.img ...]')
    .addHelpText('after', examplesHelp('guestkit filesystems -a disk.img --all --long -h'))
    .helpOption('--help', 'display brief help')
    .option('--all', 'display everything')
    .option('--filesystems', 'display mountable filesystems')
    .option('--extra', 'display swap and data filesystems')
    .option('--partitions', 'display partitions (also --parts)')
    .option('--block-devices', 'display block devices (also --blkdevs)')
    .option('--logical-volumes', 'display LVM logical volumes (also --lvs, --logvols)')
    .option('--volume-groups', 'display LVM volume groups (also --vgs, --volgroups)')
    .option('--physical-volumes', 'display LVM physical volumes (also --pvs, --physvols)')
    .option('-l, --long', 'long output')
    .option('--csv', 'output as comma-separated values')
    .option('-h, --human-readable', 'human-readable sizes in --long output')
    .option('--uuid', 'add UUIDs to --long output (also --uuids)')
    .option('--no-title', 'no title in --long output');
  aliases(cmd, 'partitions', ['parts']);
  aliases(cmd, 'blockDevices', ['blkdevs']);
  aliases(cmd, 'logicalVolumes', ['lvs', 'logvols']);
  aliases(cmd, 'volumeGroups', ['vgs', 'volgroups']);
  aliases(cmd, 'physicalVolumes', ['pvs', 'physvols']);
  aliases(cmd, 'uuid', ['uuids']);
  const driveOpts = addDriveOptions(cmd, { readOnlyDefault: true, mounts: false });
  cmd.action(async (o: Flags) => {
    await runTool('filesystems', async () => {
      const opts = driveOpts();
      if (o.humanReadable && o.csv) throw new GuestkitError('EINVAL', 'you cannot use -h and --csv options together.');
      if (opts.drives.length === 0) throw new GuestkitError('EINVAL', 'you must specify at least one -a option (a disk image or NBD URI)');
      const sel = selection(o);
      const long = !!o.long;
      const f: OutputFormat = {
        long,
        vfs: long && sel.filesystems,
        mbr: long && sel.partitions,
        uuid: long && !!o.uuid,
        csv: !!o.csv,
        human: !!o.humanReadable,
        title: long && o.title !== false,
      };
      // Every filesystem is looked at (its size needs a mount): auto weighs them all.
      const g = new Guestfs(guestfsOptions(opts, {}));
      try {
        for (const d of opts.drives) g.addDrive(d.file, { format: d.format, readonly: true });
        await g.launch();
        await writeOut(formatRows(await computeRows(g, sel, f), f));
      } finally {
        await g.close();
      }
    });
  });
  return cmd;
}

/** What the flags select; none at all means --filesystems, as in virt-filesystems. */
function selection(o: Flags): Selection {
  const all = !!o.all;
  const sel: Selection = {
    filesystems: all || !!o.filesystems || !!o.extra,
    extra: all || !!o.extra,
    lvs: all || !!o.logicalVolumes,
    vgs: all || !!o.volumeGroups,
    pvs: all || !!o.physicalVolumes,
    partitions: all || !!o.partitions,
    blockDevices: all || !!o.blockDevices,
  };
  if (!Object.values(sel).some(Boolean)) sel.filesystems = true;
  return sel;
}
