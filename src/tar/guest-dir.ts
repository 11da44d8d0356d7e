/**
 * The check tar-in and tar-out make first: the guest directory exists and is one
 * (symlinks followed, as tar -C does). `step` names what failed as libguestfs's
 * daemon names it ("stat" for tar-out).
 */
import { ErrnoError } from '../errors/index.js';

/** A command call through the handle's wrapper (CallContext.call). */
export type Call = (name: string, args: unknown[], optargs?: Record<string, unknown>) => Promise<unknown>;

export async function requireGuestDir(call: Call, dir: string, step?: string): Promise<void> {
  if (await call('is-dir', [dir], { followsymlinks: true })) return;
  const exists = await call('exists', [dir]);
  throw new ErrnoError(exists ? 'ENOTDIR' : 'ENOENT', `${step ? `${step}: ` : ''}${dir}: ${exists ? 'Not a directory' : 'No such file or directory'}`);
}
