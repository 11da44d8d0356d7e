/**
 * Where a listening fish keeps its socket, as guestfish does: a directory
 * `.guestfish-EUID` (mode 0700, owned by the user, refused otherwise so that no
 * other user can plant or read a socket) holding `socket-PID`. The directory is
 * in $XDG_RUNTIME_DIR when set (the per-user runtime directory), else /tmp.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { GuestkitError } from '../../errors/index.js';

/** A Unix socket path must fit sockaddr_un.sun_path (108 bytes with its NUL). */
const SUN_PATH_MAX = 107;

function euid(): number {
  return process.geteuid?.() ?? 0;
}

export function socketDir(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR;
  return join(runtime && isAbsolute(runtime) ? runtime : '/tmp', `.guestfish-${euid()}`);
}

/** Creates the directory if needed and checks it is the user's own and private. */
export function ensureSocketDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = socketDir(env);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new GuestkitError('EIO', `${dir}: ${(e as Error).message}`, { cause: e });
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || (st.mode & 0o777) !== 0o700 || st.uid !== euid()) {
    throw new GuestkitError('EACCES', `‘${dir}’ is not a directory or has insecure owner or permissions`);
  }
  return dir;
}

export function socketPath(pid: number, env: NodeJS.ProcessEnv = process.env): string {
  const path = join(ensureSocketDir(env), `socket-${pid}`);
  if (Buffer.byteLength(path) > SUN_PATH_MAX) throw new GuestkitError('ENAMETOOLONG', `${path}: socket path too long`);
  return path;
}

/** The socket a client may talk to: a socket owned by this user (a file someone else put there is refused). */
export function checkSocketOwner(path: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st && (!st.isSocket() || st.uid !== euid())) {
    throw new GuestkitError('EACCES', `‘${path}’ is not a socket owned by this user`);
  }
}
