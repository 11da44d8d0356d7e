/**
 * From a failed agent request to a GuestkitError. In order of trust:
 *
 * 1. The agent's own checks fail with die ERRNO MESSAGE: the errno is stated.
 * 2. A guest program that failed on a system call prints, as busybox and
 *    util-linux do, "prog: what: <strerror text>": that text is the errno's,
 *    exactly (the guest's libc has the same table), so it maps back one to one.
 * 3. Otherwise (a program's own wording): a documented fallback guesses the
 *    errno from a strerror text found anywhere in the message, else EIO.
 *
 * Whatever the code, a program's failure is kept as the cause: a
 * GuestProgramError with the program's name and exit status.
 */
import { ERRNO_NAMES, ErrnoError, GuestkitError, isGuestkitCode, type ErrorDetails, type GuestkitCode } from '../../errors/index.js';
import { errnoOfText, strerror } from '../../errors/errno.js';

/** A guest program that exited non-zero: its name (when its message gives it) and exit status. */
export class GuestProgramError extends GuestkitError {
  constructor(readonly program: string | undefined, readonly exitStatus: number, message: string, details: ErrorDetails = {}) {
    super('ECHILD_PROC', `${program ?? 'the request'} exited with status ${exitStatus}: ${message}`, details);
    this.name = 'GuestProgramError';
  }
}

/** The agent's die() line: "ERRNO message". */
const DIE_LINE = /^(E[A-Z0-9]+) (.*)$/;

/** The request's error from its exit status and (cleaned) standard error lines. */
export function guestRequestError(rc: number, lines: string[]): GuestkitError {
  const last = lines[lines.length - 1] ?? '';
  const die = DIE_LINE.exec(last);
  if (die && isGuestkitCode(die[1])) return new ErrnoError(die[1], die[2]!);
  const program = /^([\w.-]+): /.exec(lines[0] ?? '')?.[1];
  const msg = (lines.length ? lines.join('; ') : `exit status ${rc}`).replace(/^[\w.-]+: /, '');
  const cause = new GuestProgramError(program, rc, msg);
  return new ErrnoError(errnoOfPerrorLine(last) ?? errnoFromMessage(msg) ?? 'EIO', msg, { cause });
}

/** "prog: what: No such file or directory" → ENOENT: the text after the last ": " is a strerror text. */
export function errnoOfPerrorLine(line: string): GuestkitCode | undefined {
  const at = line.lastIndexOf(': ');
  return at < 0 ? undefined : errnoOfText(line.slice(at + 2).trim());
}

let table: [string, GuestkitCode][] | null = null;

/**
 * The fallback: the errno of the longest strerror text found anywhere in the
 * message. A guess (a file named "File exists" would fool it), used only when
 * neither the agent nor the program's message format states the errno.
 */
export function errnoFromMessage(msg: string): GuestkitCode | null {
  table ??= ERRNO_NAMES.map((n) => [strerror(n), n] as [string, GuestkitCode])
    .filter(([t, n]) => t !== n && n !== 'EOPNOTSUPP')
    .sort((a, b) => b[0].length - a[0].length);
  for (const [text, name] of table) if (msg.includes(text)) return name;
  return null;
}
