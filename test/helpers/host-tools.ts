/**
 * Helpers shared by the filesystem driver tests (ext2, ntfs, fat): images
 * are plain files made by the host's tools, opened through FileDevice.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, fstatSync, fsyncSync, mkdtempSync, openSync, readSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsError, type FsDriver, type SyncDevice } from '../../src/fs/fs-driver.js';

/** A SyncDevice over a local file. */
export class FileDevice implements SyncDevice {
  readonly size: number;
  private fd: number;
  constructor(path: string, readonly readOnly = false) {
    this.fd = openSync(path, readOnly ? 'r' : 'r+');
    this.size = fstatSync(this.fd).size;
  }
  read(offset: number, into: Uint8Array): void {
    let done = 0;
    while (done < into.length) {
      const n = readSync(this.fd, into, done, into.length - done, offset + done);
      if (n <= 0) throw new Error(`short read at ${offset + done}`);
      done += n;
    }
  }
  write(offset: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offset + done);
  }
  flush(): void {
    fsyncSync(this.fd);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Closes every device, ignoring those a test already closed. */
export function closeAllQuietly(devices: FileDevice[]): void {
  for (const d of devices) {
    try {
      d.close();
    } catch {
      /* already closed */
    }
  }
}

/** A fresh directory under the system temp dir. */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The environment for host tools: mkfs/fsck live in /sbin on some hosts. */
export function hostToolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${process.env.PATH ?? ''}:/sbin:/usr/sbin`, ...extra };
}

/** Runs a host tool; its stdout (throws on a non-zero exit, stderr in the error). */
export function runTool(env: NodeJS.ProcessEnv, cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a host tool (a checker) whatever its exit status: the status and stdout + stderr. */
export function checkTool(env: NodeJS.ProcessEnv, cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** True when the shell finds `cmd` on the PATH. */
export function haveCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Overwrites bytes of a file in place at `offset` (a corrupt image from a good one). */
export function patchFile(file: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

/** The FsError `fn` throws (any other outcome fails). */
export function fsErrorOf(fn: () => unknown): FsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FsError) return e;
    throw e;
  }
  throw new Error('expected an FsError');
}

/** The errno of the FsError `fn` throws (any other outcome fails). */
export function errno(fn: () => unknown): string {
  return fsErrorOf(fn).errno;
}

/** errno() for a function that may return a promise. */
export async function errnoOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof FsError) return e.errno;
    throw e;
  }
  throw new Error('expected an FsError');
}

/** Resolves a slash path from the root (no symlink following). */
export function resolve(fs: FsDriver, path: string): number {
  let ino = fs.rootIno;
  for (const part of path.split('/').filter(Boolean)) ino = fs.lookup(ino, part);
  return ino;
}

export const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** Deterministic pseudo-random content (xorshift32). */
export function pattern(len: number, seed: number): Buffer {
  const b = Buffer.alloc(len);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}
