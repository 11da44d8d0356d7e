/**
 * `guestkit fish --listen`: the shell goes on in the background, holding its
 * handle warm for `--remote` clients. guestfish forks; Node cannot, so the same
 * command line is started again as a detached process that sets everything up
 * (drives, launch, -i/-m/-N), binds its socket and only then says it is ready:
 * the PID line is printed once commands can be sent (guestfish prints it before
 * its child has bound the socket). A setup failure is the child's one-line
 * error on stderr and exit status 1 here.
 */
import { spawn } from 'node:child_process';
import { closeSync, rmSync, writeSync } from 'node:fs';
import type { FishShell } from '../../src/shell/fish.js';
import { FishServer } from '../../src/shell/remote/server.js';
import { socketPath } from '../../src/shell/remote/socket-path.js';
import { addExitCleanup } from '../../src/util/process-cleanup.js';

/** Set in the background process's environment; the fd it reports readiness on. */
const LISTENER_ENV = 'GUESTKIT_FISH_LISTENER';
const READY_FD = 3;

export const isListenerProcess = () => process.env[LISTENER_ENV] === String(READY_FD);

/** The parent: starts the listener, prints how to reach it (sh or csh syntax), returns the exit status. */
export async function startListener(csh: boolean): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    // stdout must not be held: `eval "$(guestkit fish --listen)"` waits for it to close.
    stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
    env: { ...process.env, [LISTENER_ENV]: String(READY_FD) },
  });
  const ready = await new Promise<boolean>((resolve) => {
    let said = '';
    const pipe = child.stdio[READY_FD] as NodeJS.ReadableStream;
    pipe.on('data', (c: Buffer) => { said += c.toString(); });
    pipe.on('end', () => resolve(said === 'ready\n'));
    pipe.on('error', () => resolve(false));
  });
  if (!ready) {
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    return 1;
  }
  child.unref();
  process.stdout.write(csh ? `setenv GUESTFISH_PID ${child.pid}\n` : `GUESTFISH_PID=${child.pid}; export GUESTFISH_PID\n`);
  return 0;
}

/** The background process, once set up: serves until quit/exit, a failed command, or a signal. */
export async function serve(shell: FishShell, verbose: boolean): Promise<number> {
  delete shell.env[LISTENER_ENV];
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const path = socketPath(process.pid);
  const server = new FishServer(shell, path, (line) => say(`guestkit fish: ${line}`), verbose ? say : undefined);
  await server.listen();
  // Killed (SIGTERM, SIGINT, SIGHUP) or exiting: the socket goes with the helpers the handle started.
  addExitCleanup(() => rmSync(path, { force: true }));
  writeSync(READY_FD, 'ready\n');
  closeSync(READY_FD);
  return (await server.done).status;
}
