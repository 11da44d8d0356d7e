/**
 * `copy-in` and `copy-out`, as guestfish does them: through tar, so modes, times
 * and symlinks travel as tar keeps them (owners too when the host side runs as
 * root). Nothing is written outside the directory asked for: a single file is
 * written to a temporary name inside it and renamed over the last component
 * (a symlink already there is replaced, never followed), and the host's GNU tar
 * refuses members that climb out of the directory or write through a symlink.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, mkdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Guestfs } from '../core/guestfs.js';
import { GuestkitError, codeOfError } from '../errors/index.js';

const run = promisify(execFile);

async function withTempDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'guestkit-copy-'));
  try {
    return await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function hostTar(args: string[]): Promise<void> {
  try {
    await run('tar', args, { maxBuffer: 16 << 20 });
  } catch (e) {
    const msg = ((e as { stderr?: string }).stderr ?? '').trim().split('\n')[0] || (e as Error).message;
    throw new GuestkitError('EIO', `tar: ${msg}`, { cause: e });
  }
}

async function isHostDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** copy-in LOCAL... REMOTEDIR: each local file or directory goes into the guest directory. */
export async function copyIn(g: Guestfs, localDir: string, locals: string[], remoteDir: string): Promise<void> {
  if (!(await g.call('is-dir', [remoteDir], { followsymlinks: true }))) {
    throw new GuestkitError('ENOTDIR', `target ‘${remoteDir}’ is not a directory`);
  }
  for (const local of locals) {
    const path = resolve(localDir, local);
    await access(path, constants.R_OK).catch((e: NodeJS.ErrnoException) => {
      throw new GuestkitError(codeOfError(e, 'ENOENT'), `source ‘${local}’ does not exist (or cannot be read)`, { cause: e });
    });
    await withTempDir(async (tmp) => {
      const tarfile = join(tmp, 'in.tar');
      await hostTar(['-C', dirname(path), '-cf', tarfile, '--', basename(path)]);
      await g.call('tar-in', [tarfile, remoteDir]);
    });
  }
}

/** copy-out REMOTE... LOCALDIR: files are downloaded, directories unpacked below LOCALDIR. */
export async function copyOut(g: Guestfs, localDir: string, remotes: string[], local: string): Promise<void> {
  const target = resolve(localDir, local);
  if (!(await isHostDir(target))) throw new GuestkitError('ENOTDIR', `target ‘${local}’ is not a directory`);
  for (const remote of remotes) {
    const name = posix.basename(remote);
    if (name === '.' || name === '..') throw new GuestkitError('EINVAL', `‘${remote}’: cannot name a file in the target directory`);
    if (await g.call('is-file', [remote])) {
      const staged = join(target, `.guestkit-copy-${process.pid}-${Date.now()}`);
      try {
        await g.call('download', [remote, staged]);
        await rename(staged, join(target, name));
      } catch (e) {
        await rm(staged, { force: true });
        throw e;
      }
    } else if (await g.call('is-dir', [remote])) {
      const dest = name === '' ? target : join(target, name);
      let created = false;
      if (name !== '') {
        created = await mkdir(dest).then(() => true, (e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw e;
          return false;
        });
      }
      if (!(await isHostDir(dest))) throw new GuestkitError('ENOTDIR', `${dest}: not a directory`);
      try {
        await withTempDir(async (tmp) => {
          const tarfile = join(tmp, 'out.tar');
          await g.call('tar-out', [remote, tarfile]);
          await hostTar(['-C', dest, '-xf', tarfile]);
        });
      } catch (e) {
        // A directory this call made is removed again (links in it are removed, never followed).
        if (created) await rm(dest, { recursive: true, force: true });
        throw e;
      }
    } else {
      throw new GuestkitError('EINVAL', `‘${remote}’ is not a file or directory`);
    }
  }
}
