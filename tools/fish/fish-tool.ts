/** guestkit fish: guestfish. Commands on the command line (chained with ':'), from -f FILE, or on stdin. */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { addDriveOptions, guestfsOptions } from '../common/drive-options.js';
import { runTool } from '../common/run-tool.js';
import { mountCommands, mountGuest, mountSpec } from '../common/open-guest.js';
import { GuestkitError } from '../../src/errors/index.js';
import { Guestfs } from '../../src/core/guestfs.js';
import { FishShell, QuitSignal } from '../../src/shell/fish.js';
import { splitCommands, tokenize, type Word } from '../../src/shell/tokenize.js';
import { chainCommands, scriptCommands } from './fish-needs.js';

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
      // The script is read first: --backend=auto looks at the commands it will run.
      let script: { text: string } | { chain: Word[][] } | null = null;
      if (options.file) script = { text: readFileSync(options.file, 'utf8') };
      else if (words.length > 0) script = { chain: splitCommands(words.map((w) => ({ text: w, quoted: false }))) };
      else if (!process.stdin.isTTY) {
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        script = { text: Buffer.concat(chunks).toString('utf8') };
      }
      const commands = !script ? [] : 'text' in script ? scriptCommands(script.text) : chainCommands(script.chain);
      const g = new Guestfs(guestfsOptions(o, { commands: [...commands, ...mountCommands(o.mounts)] }));
      const shell = new FishShell(g, { out: process.stdout, err: process.stderr });
      shell.trace = o.trace;
      try {
        for (const d of o.drives) g.addDrive(d.file, { format: d.format, readonly: d.readonly });
        if (o.inspect && o.mounts.length > 0) throw new GuestkitError('EINVAL', 'cannot use -i and -m together: -i mounts the guest as inspection finds it');
        // -i and -m imply launch, as in guestfish.
        if (o.inspect || o.mounts.length > 0) {
          await g.launch();
          if (o.inspect) await mountGuest(g, o, 'fish', o.drives.every((d) => d.readonly));
          for (const m of o.mounts) await mountSpec(g, m, o.drives.every((d) => d.readonly));
        }
        if (!script) return await interactive(shell);
        if ('text' in script) return await shell.runScript(script.text);
        return await shell.runCommands(script.chain);
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
