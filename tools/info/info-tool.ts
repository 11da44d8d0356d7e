/** guestkit info: qemu-img info / nbdinfo for one drive, plus what the guest holds (partitions, filesystems). */
import { Command } from 'commander';
import { runTool } from '../common/run-tool.js';
import { writeOut } from '../common/tool-output.js';
import { computeInfo } from './info-compute.js';
import { formatInfoJson, formatInfoText } from './info-output.js';
import { examplesHelp } from '../common/tool-examples.js';

interface Flags {
  json?: boolean;
  map?: boolean;
  format?: string;
}

export function infoCommand(): Command {
  return new Command('info')
    .description('describe a disk image: format, sizes, backing chain, partitions, filesystems (qemu-img info, nbdinfo)')
    .usage('[--json] [--map] [--format=FMT] DRIVE')
    .addHelpText('after', examplesHelp('guestkit info disk.qcow2', 'guestkit info --map --json nbd://localhost:10809/disk'))
    .helpOption('--help', 'display brief help')
    .argument('<drive>', 'a disk image or an NBD URI')
    .option('--json', 'machine-readable output')
    .option('--map', 'list the allocation map: offset, length, type (data, zero, hole)')
    .option('--format <format>', 'the image format (raw, qcow2, ...); probed when absent')
    .action(async (drive: string, o: Flags) => {
      await runTool('info', async () => {
        const info = await computeInfo(drive, { format: o.format, map: !!o.map });
        await writeOut(o.json ? formatInfoJson(info) : formatInfoText(info));
      });
    });
}
