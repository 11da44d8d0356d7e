/** guestkit inspect: virt-inspector. Prints what inspection finds as XML (or --json). */
import { Command, Option } from 'commander';
import { Guestfs } from '../../src/core/guestfs.js';
import { GuestkitError } from '../../src/errors/index.js';
import { addDriveOptions, guestfsOptions } from '../common/drive-options.js';
import { runTool } from '../common/run-tool.js';
import { computeInspection } from './inspect-compute.js';
import { inspectionJson, inspectionXml } from './inspect-output.js';
import { examplesHelp } from '../common/tool-examples.js';

export function inspectCommand(): Command {
  const cmd = new Command('inspect')
    .description('display information about a virtual machine (virt-inspector)')
    .usage('[--options] -a disk.img [-a disk.img ...]')
    .addHelpText('after', examplesHelp('guestkit inspect -a disk.img', 'guestkit inspect --json --no-applications -a disk.img'));
  const driveOpts = addDriveOptions(cmd, { readOnlyDefault: true, mounts: false });
  cmd.addOption(new Option('--json', 'print JSON instead of XML'));
  cmd.addOption(new Option('--no-applications', 'do not list the installed applications'));
  cmd.addOption(new Option('--no-icon', 'do not output the guest icon (guestkit never extracts icons)'));
  cmd.action(async (options: { json?: boolean; applications: boolean }) => {
    await runTool('inspect', async () => {
      const o = driveOpts();
      if (o.drives.length === 0) throw new GuestkitError('EINVAL', 'you must specify at least one -a option (a disk image or NBD URI)');
      const g = new Guestfs(guestfsOptions(o, {}));
      try {
        for (const d of o.drives) g.addDrive(d.file, { format: d.format, readonly: true });
        await g.launch();
        const reports = await computeInspection(g, { applications: options.applications });
        process.stdout.write(options.json ? inspectionJson(reports) : inspectionXml(reports));
      } finally {
        await g.close();
      }
    });
  });
  return cmd;
}
