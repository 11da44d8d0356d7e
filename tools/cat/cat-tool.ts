/** guestkit cat: virt-cat. Prints guest files to standard output. */
import { Command } from 'commander';
import { addDriveOptions } from '../common/drive-options.js';
import { openGuest } from '../common/open-guest.js';
import { runTool } from '../common/run-tool.js';
import { examplesHelp } from '../common/tool-examples.js';
import { formatError } from '../../src/errors/index.js';
import { guestPathResolver } from '../../src/inspect/windows-path.js';

export function catCommand(): Command {
  const cmd = new Command('cat')
    .description('display files in a virtual machine (virt-cat)')
    .argument('<files...>', 'guest paths to print')
    .usage('[--options] -a disk.img file [file ...]')
    .addHelpText('after', examplesHelp('guestkit cat -a disk.img -m /dev/sda1 /etc/os-release', "guestkit cat -a windows.img 'C:\\Windows\\win.ini'"));
  const driveOpts = addDriveOptions(cmd, { readOnlyDefault: true });
  cmd.action(async (files: string[]) => {
    await runTool('cat', async () => {
      const g = await openGuest(driveOpts(), { tool: 'cat', needMounts: true, readOnly: true });
      let errors = 0;
      try {
        // On an inspected Windows guest, C:\dir\file paths (as virt-cat takes them).
        const resolve = await guestPathResolver(g, true);
        for (const f of files) {
          try {
            await g.download(await resolve(f), '-');
          } catch (e) {
            process.stderr.write(`guestkit cat: error: ${formatError(e)}\n`);
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
