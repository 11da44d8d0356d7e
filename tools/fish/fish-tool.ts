/**
 * guestkit fish: guestfish. Commands on the command line (chained with ':'),
 * from -f FILE, on stdin, from --remote clients (--listen), or sent to a
 * listening fish (--remote).
 */
import { Command } from 'commander';
import { addDriveOptions } from '../common/drive-options.js';
import { runTool } from '../common/run-tool.js';
import { VERSION } from '../version.js';
import { GuestkitError } from '../../src/errors/index.js';
import { examplesHelp } from '../common/tool-examples.js';
import { preparedHelp } from '../../src/shell/prepared-disks.js';
import type { Word } from '../../src/shell/tokenize.js';
import { addFishOptions, newFishFlags, preparedDriveOption, type FishFlags } from './fish-options.js';
import { declineListen, isListenerProcess, startListener } from './fish-listen.js';

export function fishCommand(): Command {
  const cmd = new Command('fish')
    .description('the guest filesystem shell (guestfish)')
    .argument('[command...]', "commands to run, chained with ' : '")
    .usage('[--options] [-a disk.img ...] [command [: command ...]]')
    .addHelpText('after', `
Commands come from the command line (chained with ' : '), from -f FILE, or from standard input, one
per line; each runs as soon as its line arrives. "Double quotes" interpret \\n \\t \\xHH escapes,
'single quotes' do not; integers may be octal (0755) or hex (0x1ed); optional arguments are
name:value words; a command written -cmd continues after an error, otherwise the first error
stops the run with exit status 1. 'help' lists the commands, 'help CMD' documents one.`)
    .addHelpText('after', examplesHelp('guestkit fish --ro -a disk.img run : list-filesystems : mount-ro /dev/sda2 / : cat /etc/hostname', 'guestkit fish -a disk.img -i -f script.gf'))
    .passThroughOptions()
    .allowUnknownOption(false);
  const flags = newFishFlags();
  const driveOpts = addDriveOptions(cmd, { readOnlyDefault: false, blocksize: true, extraDrive: preparedDriveOption(flags) });
  addFishOptions(cmd, flags);
  cmd.action(async (args: string[]) => {
    await runTool('fish', async () => {
      const o = driveOpts();
      if (flags.error) throw flags.error;
      const words = args.map((text): Word => ({ text, quoted: false }));
      // The command table and the handle are loaded only when a session needs them: a --remote client stays light.
      return (await earlyExit(flags, words)) ?? (await (await import('./fish-session.js')).session(o, flags, words));
    });
  });
  return cmd;
}

/** The flags that answer without a handle: -V, -h, -N help, --remote, --listen's parent. */
async function earlyExit(flags: FishFlags, words: Word[]): Promise<number | undefined> {
  // Started as --listen's background process on the launcher's guess from argv: flags that start no listener go back to the parent.
  if (isListenerProcess() && (!flags.listen || flags.version || flags.cmdHelp !== undefined || flags.preparedHelp)) return declineListen();
  if (flags.version) return print(`guestkit fish ${VERSION}\n`);
  if (flags.cmdHelp !== undefined) {
    const name = flags.cmdHelp === true ? (words[0] && !words[0].text.startsWith('-') ? words[0].text : undefined) : flags.cmdHelp;
    const { commandHelp, helpList } = await import('../../src/shell/help.js');
    if (name === undefined) return print(helpList());
    const text = commandHelp(name);
    if (!text) throw new GuestkitError('EINVAL', `${name}: command not known, use -h to list all commands`);
    return print(text);
  }
  if (flags.preparedHelp) return print(preparedHelp());
  if (flags.listen && flags.remote !== undefined) throw new GuestkitError('EINVAL', 'cannot use --listen and --remote options at the same time');
  if (flags.listen && words.length > 0) throw new GuestkitError('EINVAL', 'extra parameters on the command line with --listen flag');
  if (flags.listen && flags.file !== undefined) throw new GuestkitError('EINVAL', 'cannot use --listen and --file options at the same time');
  if (flags.remote !== undefined) {
    const { runRemote } = await import('./fish-remote.js');
    return runRemote(flags.remote, words, { file: flags.file, pipeError: flags.pipeError });
  }
  // The launcher starts listeners itself (fish-client.ts); this is the way for a CLI run from elsewhere.
  if (flags.listen && !isListenerProcess()) {
    const status = await startListener(flags.csh);
    return status === 'declined' ? 1 : status;
  }
  return undefined;
}

async function print(text: string): Promise<number> {
  await new Promise<void>((r) => process.stdout.write(text, () => r()));
  return 0;
}

