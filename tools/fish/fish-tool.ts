/** guestkit fish: guestfish. Commands on the command line (chained with ':'), from -f FILE, or on stdin. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { addDriveOptions, guestfsOptions } from '../common/drive-options.js';
import { runTool } from '../common/run-tool.js';
import { mountCommands, mountGuest, mountSpec } from '../common/open-guest.js';
import { GuestkitError } from '../../src/errors/index.js';
import { Guestfs } from '../../src/core/guestfs.js';
import { FishShell } from '../../src/shell/fish.js';
import { stdinKeyReader } from '../../src/shell/key-reader.js';
import { splitCommands } from '../../src/shell/tokenize.js';

export function fishCommand(): Command {
  const cmd = new Command('fish')
    .description('the guest filesystem shell (guestfish)')
    .argument('[command...]', "commands to run, chained with ' : '")
    .usage('[--options] [-a disk.img ...] [command [: command ...]]')
    .passThroughOptions()
    .allowUnknownOption(false);
  const driveOpts = addDriveOptions(cmd, { readOnlyDefault: false });
  cmd.addOption(new Option('-f, --file <script>', 'read commands from the file'));
  cmd.addOption(new Option('--keys-from-stdin', 'read keys and passphrases (luks-format, cryptsetup-open...) from standard input, one a line'));
  cmd.action(async (words: string[], options: { file?: string; keysFromStdin?: boolean }) => {
    await runTool('fish', async () => {
      const o = driveOpts();
      // Nothing is read ahead: auto decides at launch from the drives, and the
      // handle moves to the appliance if a later command needs it.
      const g = new Guestfs(guestfsOptions(o, { commands: mountCommands(o.mounts) }));
      const shell = new FishShell(g, { out: process.stdout, err: process.stderr }, { newHandle: () => new Guestfs(guestfsOptions(o, { commands: mountCommands(o.mounts) })), readKey: options.keysFromStdin ? stdinKeyReader() : undefined });
      shell.trace = o.trace;
      try {
        for (const d of o.drives) g.addDrive(d.file, { format: d.format, readonly: d.readonly, locking: d.locking });
        if (o.inspect && o.mounts.length > 0) throw new GuestkitError('EINVAL', 'cannot use -i and -m together: -i mounts the guest as inspection finds it');
        // -i and -m imply launch, as in guestfish.
        if (o.inspect || o.mounts.length > 0) {
          await g.launch();
          if (o.inspect) await mountGuest(g, o, 'fish', o.drives.every((d) => d.readonly));
          for (const m of o.mounts) await mountSpec(g, m, o.drives.every((d) => d.readonly));
        }
        if (options.file) return await shell.runLines(lines(createReadStream(options.file)));
        if (words.length > 0) return await shell.runCommands(splitCommands(words.map((w) => ({ text: w, quoted: false }))));
        if (!process.stdin.isTTY) return await shell.runLines(lines(process.stdin));
        return await interactive(shell);
      } finally {
        await shell.g.close();
      }
    });
  });
  return cmd;
}

/** Lines as they arrive: each is handed over as soon as its newline (or the end) is read. */
function lines(input: NodeJS.ReadableStream): AsyncIterable<string> {
  return createInterface({ input, crlfDelay: Infinity, terminal: false });
}

async function interactive(shell: FishShell): Promise<number> {
  process.stdout.write("\nWelcome to guestkit fish, the guest filesystem shell.\n\nType: 'help' for help on commands\n      'quit' to quit the shell\n\n");
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: '><fs> ' });
  rl.prompt();
  for await (const line of rl) {
    // Interactive: an error is reported and the session goes on.
    if ((await shell.runLine(line)) === 'quit') break;
    rl.prompt();
  }
  rl.close();
  return 0;
}
