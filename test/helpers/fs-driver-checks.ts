/** What the in-process filesystem driver tests share: hashing a file through the driver, catching its FsErrors. */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { FsError, type FsDriver } from '../../src/fs/fs-driver.js';

/** MD5 of a file's first `size` bytes, read through the driver in 1 MiB pieces. */
export function md5Of(fs: FsDriver, ino: number, size: number): string {
  const h = createHash('md5');
  for (let off = 0; off < size; off += 1 << 20) h.update(fs.read(ino, off, 1 << 20));
  return h.digest('hex');
}

/** The FsError `fn` throws (the test fails if it throws anything else or nothing). */
export function errOf(fn: () => unknown): FsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FsError);
    return e as FsError;
  }
  throw new Error('expected an FsError');
}
