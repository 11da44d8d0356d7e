/** The background half of `fish --listen`: the set-up shell served on its socket (see fish-listen.ts). */
import { rmSync } from 'node:fs';
import type { FishShell } from '../../src/shell/fish.js';
import { FishServer } from '../../src/shell/remote/server.js';
import { socketPath } from '../../src/shell/remote/socket-path.js';
import { addExitCleanup } from '../../src/util/process-cleanup.js';
import { timingMark } from '../../src/util/timing-trace.js';
import { LISTENER_ENV, sayReady } from './fish-listen.js';

/** The background process, once set up: serves until quit/exit, a failed command, or a signal. */
export async function serve(shell: FishShell, verbose: boolean): Promise<number> {
  delete shell.env[LISTENER_ENV];
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const path = socketPath(process.pid);
  const server = new FishServer(shell, path, (line) => say(`guestkit fish: ${line}`), verbose ? say : undefined);
  await server.listen();
  // Killed (SIGTERM, SIGINT, SIGHUP) or exiting: the socket goes with the helpers the handle started.
  addExitCleanup(() => rmSync(path, { force: true }));
  sayReady();
  timingMark('fish --listen: serving');
  return (await server.done).status;
}
