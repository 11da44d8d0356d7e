/**
 * Path helpers that follow symlinks inside the guest: the filesystem under
 * inspection is the guest's own '/', so an absolute link target such as
 * /usr/lib/os-release is resolved against the guest, never the host.
 */
import type { GuestReader } from '../guest-reader.js';

/** As Linux allows (MAXSYMLINKS): a longer chain is treated as a loop. */
const MAX_LINKS = 40;

/**
 * The guest path with every symlink resolved (like realpath(3) inside the guest),
 * or null on a symlink loop. Components that do not exist are kept as written.
 */
export async function guestRealpath(r: GuestReader, path: string): Promise<string | null> {
  const pending = path.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const here = `/${[...done, part].join('/')}`;
    const target = await r.readlink(here);
    if (target === null) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) return null;
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter((c) => c !== ''));
  }
  return `/${done.join('/')}`;
}

/** True when the path, symlinks followed inside the guest, is a regular file. */
export async function isFileFollowing(r: GuestReader, path: string): Promise<boolean> {
  const real = await guestRealpath(r, path);
  return real !== null && (await r.isFile(real));
}

/** The file's bytes with symlinks followed inside the guest, or null. */
export async function readFollowing(r: GuestReader, path: string, maxBytes?: number): Promise<Uint8Array | null> {
  const real = await guestRealpath(r, path);
  return real === null ? null : r.readBytes(real, maxBytes);
}

/** libguestfs reads release and hostname files only when they are "small" (≤ 2 × 1048 × 1024 bytes). */
export const SMALL_FILE = 2 * 1048 * 1024;

/** The file as lines split on '\n' (as libguestfs's read_small_file), or null when missing or too large. */
export async function readSmallLines(r: GuestReader, path: string): Promise<string[] | null> {
  const bytes = await readFollowing(r, path, SMALL_FILE);
  return bytes === null ? null : new TextDecoder('utf-8').decode(bytes).split('\n');
}
