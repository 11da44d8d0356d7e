/** guestkit fish: guestfish. Commands on the command line (chained with ':'), from -f FILE, or on stdin. */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { addDriveOptions } from '../common/drive-options.js';
import { runTool } from '../common/run-tool.js';
import { mountGuest } from '../common/open-guest.js';
import { GuestkitError } from '../../src/errors/index.js';
import { Guestfs, type GuestfsOptions } from '../../src/core/guestfs.js';
import { FishShell, QuitSignal } from '../../src/shell/fish.js';
import { splitCommands, tokenize, type Word } from '../../src/shell/tokenize.js';

export function fishCommand(): Command {
  const cmd = new Command('fish')
    .description('the guest filesystem shell (guestfish)')
    .argument('[command...]', "commands to run, chained with ' : '")
    .usage('[--options] [-a disk.img ...] [command [: command ...]]')
    .passThroughOptions()
    .allowUnknownOption(false);
  const driveOpts = addDriveOptions(cmd, { readOnlyDefault: false });
  cmd.addOption(new Option('-f, --file <script>', 'read commands from the file'));
  cmd.action(async (words: string[], options: { file?: string }) => {
    await runTool('fish', async () => {
      const o = driveOpts();
      const g = new Guestfs({ backend: o.backend as GuestfsOptions['backend'] });
      const shell = new FishShell(g, { out: process.stdout, err: process.stderr });
      shell.trace = o.trace;
      try {
        for (const d of o.drives) g.addDrive(d.file, { format: d.format, readonly: d.readonly });
        if (o.inspect && o.mounts.length > 0) throw new GuestkitError('EINVAL', 'cannot use -i and -m together: -i mounts the guest as inspection finds it');
        // -i and -m imply launch, as in guestfish.
        if (o.inspect || o.mounts.length > 0) {
          await g.launch();
          if (o.inspect) await mountGuest(g, o, 'fish', o.drives.every((d) => d.readonly));
          for (const m of o.mounts) {
            if (o.drives.every((d) => d.readonly)) await g.mountRo(m.device, m.mountpoint);
            else await g.mount(m.device, m.mountpoint);
          }
        }
        if (options.file) return await shell.runScript(readFileSync(options.file, 'utf8'));
        if (words.length > 0) {
          const parsed: Word[] = words.map((w) => ({ text: w, quoted: false }));
          return await shell.runCommands(splitCommands(parsed));
        }
        if (process.stdin.isTTY) return await interactive(shell);
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        return await shell.runScript(Buffer.concat(chunks).toString('utf8'));
      } finally {
        await g.close();
      }
    });
  });
  return cmd;
}

async function interactive(shell: FishShell): Promise<number> {
  process.stdout.write("\nWelcome to guestkit fish, the guest filesystem shell.\n\nType: 'help' for help on commands\n      'quit' to quit the shell\n\n");
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: '><fs> ' });
  rl.prompt();
  for await (const line of rl) {
    try {
      await shell.runWords(tokenize(line));
    } catch (e) {
      if (e instanceof QuitSignal) break;
      process.stderr.write(`${(e as Error).message}\n`);
    }
    rl.prompt();
  }
  rl.close();
  return 0;
}
