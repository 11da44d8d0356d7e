/**
 * `guestkit fish --listen`: the shell goes on in the background, holding its
 * handle warm for `--remote` clients. guestfish forks; Node cannot, so the same
 * command line is started again as a detached process that sets everything up
 * (drives, launch, -i/-m/-N), binds its socket and only then says it is ready:
 * the PID line is printed once commands can be sent (guestfish prints it before
 * its child has bound the socket). A setup failure is the child's one-line
 * error on stderr and exit status 1 here. This file is the parent's half; the
 * child serves through fish-serve.ts.
 */
import { spawn } from 'node:child_process';

/** Set in the background process's environment; the fd it reports readiness on. */
export const LISTENER_ENV = 'GUESTKIT_FISH_LISTENER';
export const READY_FD = 3;

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
