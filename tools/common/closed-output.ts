/**
 * A reader that goes away early (`guestkit cat … | head -c 8`) closes our
 * standard output. The virt tools are C and OCaml programs with the default
 * SIGPIPE action: their next write kills them silently, and the shell reports
 * status 141 (128 + SIGPIPE). Node ignores SIGPIPE and turns the write into an
 * EPIPE 'error' event instead, which, unhandled, prints a stack trace. Here the
 * EPIPE ends the process the virt tools' way, silently and by SIGPIPE, but only
 * after the 'exit' hooks ran (they stop qemu/qemu-nbd and remove temp dirs),
 * and never in the middle of a held section such as customize's commit.
 */

const SIGPIPE_STATUS = 128 + 13;

let installed = false;
let holds = 0;
let closedWhileHeld = false;

/** Dies of SIGPIPE: Node's ignore disposition is dropped by adding and removing a listener (libuv then restores SIG_DFL). */
function dieOfSigpipe(): void {
  const noop = (): void => {};
  process.on('SIGPIPE', noop);
  process.off('SIGPIPE', noop);
  process.kill(process.pid, 'SIGPIPE');
}

function leave(): void {
  // Registered last, so it runs after every other 'exit' hook (cleanup first).
  process.once('exit', dieOfSigpipe);
  process.exit(SIGPIPE_STATUS);
}

/** Any other failure to write the output (a full disk, /dev/full): one line and status 1, not a stack trace. */
function failedOutput(e: NodeJS.ErrnoException): void {
  const which = e.syscall === 'write' ? 'writing the output' : 'the output';
  try {
    process.stderr.write(`guestkit: error: ${which}: ${e.message.split('\n')[0]}\n`);
  } finally {
    process.exit(1);
  }
}

function onOutputError(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EPIPE') return failedOutput(e);
  if (holds > 0) closedWhileHeld = true;
  else leave();
}

/** Installs the EPIPE handling on stdout and stderr (idempotent). */
export function endQuietlyOnClosedOutput(): void {
  if (installed) return;
  installed = true;
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', onOutputError);
}

/**
 * Runs `fn` with a closed output deferred: a reader that goes away while it
 * runs ends the process only once it finished (customize's commit is never cut).
 */
export async function holdingClosedOutput<T>(fn: () => Promise<T>): Promise<T> {
  holds++;
  try {
    return await fn();
  } finally {
    holds--;
    if (holds === 0 && closedWhileHeld) leave();
  }
}
