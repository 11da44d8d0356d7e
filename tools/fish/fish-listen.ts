/**
 * `guestkit fish --listen`: the shell goes on in the background, holding its
 * handle warm for `--remote` clients. guestfish forks; Node cannot, so the same
 * command line is started again as a detached process that sets everything up
 * (drives, launch, -i/-m/-N), binds its socket and only then says it is ready:
 * the PID line is printed once commands can be sent (guestfish prints it before
 * its child has bound the socket). A setup failure is the child's one-line
 * error on stderr and exit status 1 here. This file is the parent's half; the
 * child serves through fish-serve.ts.
 *
 * The launcher starts the child on a guess from argv, before any flag is parsed
 * (fish-fast-path.ts): a child whose flags mean no listener declines, and the
 * parent runs the command line itself.
 */
import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import { guestkitNodeEnv } from '../launcher-env.js';

/** Set in the background process's environment; the fd it reports readiness on. */
export const LISTENER_ENV = 'GUESTKIT_FISH_LISTENER';
export const READY_FD = 3;

export const isListenerProcess = () => process.env[LISTENER_ENV] === String(READY_FD);

const READY = 'ready\n';
const DECLINED = 'not-listen\n';

/**
 * The parent: starts the listener, prints how to reach it (sh or csh syntax), returns the
 * exit status, or 'declined' when the command line turned out to start no listener.
 */
export async function startListener(csh: boolean): Promise<number | 'declined'> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    // stdout must not be held: `eval "$(guestkit fish --listen)"` waits for it to close.
    stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
    env: guestkitNodeEnv({ ...process.env, [LISTENER_ENV]: String(READY_FD) }),
  });
  const said = await new Promise<string>((resolve) => {
    let text = '';
    const pipe = child.stdio[READY_FD] as NodeJS.ReadableStream;
    pipe.on('data', (c: Buffer) => { text += c.toString(); });
    pipe.on('end', () => resolve(text));
    pipe.on('error', () => resolve(''));
  });
  if (said === DECLINED) {
    child.unref();
    return 'declined';
  }
  if (said !== READY) {
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    return 1;
  }
  child.unref();
  process.stdout.write(csh ? `setenv GUESTFISH_PID ${child.pid}\n` : `GUESTFISH_PID=${child.pid}; export GUESTFISH_PID\n`);
  return 0;
}

/** The background process, once serving: the parent prints the PID and exits. */
export function sayReady(): void {
  tellParent(READY);
}

/** The background process, started for flags that mean no listener: the parent runs them instead. */
export function declineListen(): number {
  tellParent(DECLINED);
  return 0;
}

function tellParent(what: string): void {
  writeSync(READY_FD, what);
  closeSync(READY_FD);
}
