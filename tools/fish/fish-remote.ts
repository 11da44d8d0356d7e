/**
 * `guestkit fish --remote[=PID]`: commands from the command line (split at ':'),
 * from -f FILE or from stdin run in the listening fish. As with guestfish, lines are parsed
 * here (so `!cmd`, `<!cmd` and `| cmd` run on this side) and each command is
 * sent with its exit-on-error flag: a failure ends this run and, unless the
 * command was written `-cmd`, the server too.
 */
import { FishRemoteClient } from '../../src/shell/remote/client.js';
import type { Word } from '../../src/shell/tokenize.js';
import { runRemoteCommandLine } from './remote-commands.js';
import { scriptLines } from './script-input.js';

export async function runRemote(pid: number, words: Word[], opts: { file?: string; pipeError: boolean }): Promise<number> {
  if (words.length > 0) return runRemoteCommandLine(pid, words);
  const client = await FishRemoteClient.connect(pid);
  const io = { out: process.stdout, err: process.stderr };
  try {
    // A script: parsed by a shell here whose handle runs nothing (every command is forwarded).
    const [{ Guestfs }, { FishShell }, { interactive }] = await Promise.all([
      import('../../src/core/guestfs.js'), import('../../src/shell/fish.js'), import('./fish-session.js'),
    ]);
    const shell = new FishShell(new Guestfs(), io);
    shell.pipeError = opts.pipeError;
    shell.forward = (name, args, exitOnError) => client.call(name, args, exitOnError, shell.io);
    if (opts.file === undefined && process.stdin.isTTY) return await interactive(shell);
    return await shell.runLines(scriptLines(opts.file));
  } finally {
    client.close();
  }
}
