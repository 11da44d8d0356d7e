/**
 * A `fish --remote` command line (`cat /etc/hostname : ls /`): each command sent
 * with its exit-on-error flag, as guestfish does. A failure ends the run with
 * status 1 and, unless the command was written `-cmd`, ends the server too.
 * Kept apart from fish-remote.ts (whose script input needs the whole shell) so
 * that the light client (fish-client.ts) loads only this.
 */
import { FishRemoteClient, type RemoteIo } from '../../src/shell/remote/client.js';
import { splitCommands, type Word } from '../../src/shell/tokenize.js';

export async function runRemoteCommandLine(pid: number, words: Word[]): Promise<number> {
  const client = await FishRemoteClient.connect(pid);
  try {
    return await sendCommands(client, words, { out: process.stdout, err: process.stderr });
  } finally {
    client.close();
  }
}

async function sendCommands(client: FishRemoteClient, words: Word[], io: RemoteIo): Promise<number> {
  for (const command of splitCommands(words)) {
    let name = command[0]!.text;
    const exitOnError = !(name.startsWith('-') && name.length > 1);
    if (!exitOnError) name = name.slice(1);
    const ok = await client.call(name, command.slice(1).map((w) => w.text), exitOnError, io);
    if (!ok && exitOnError) return 1;
  }
  return 0;
}
