/**
 * libguestfs's daemon names the failing system call in some errors ("open: /x: No such
 * file or directory"); the backends report "/x: No such file or directory". This puts
 * the call's name in front, keeping the errno code and the cause.
 */
import { ErrnoError, GuestkitError } from '../errors/index.js';

export async function withSyscall<T>(syscall: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof GuestkitError && e.message.startsWith('/')) throw new ErrnoError(e.code, `${syscall}: ${e.message}`, { cause: e });
    throw e;
  }
}
