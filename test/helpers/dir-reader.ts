/**
 * A GuestReader over a host directory standing in for the guest's '/', for
 * unit tests of the inspection detectors (no image, no backend). Symlinks are
 * not followed by the host: the detectors must resolve them inside the guest.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CallFn, GuestReader } from '../../src/inspect/guest-reader.js';
import { guestReader } from '../../src/inspect/guest-reader.js';

export function dirReader(root: string, warnings: string[] = [], extra: Record<string, CallFn> = {}): GuestReader {
  const host = (p: string) => join(root, p);
  const lstat = (p: string) => {
    try {
      return lstatSync(host(p));
    } catch {
      return null;
    }
  };
  const call: CallFn = async (name, args, optargs) => {
    const p = String(args[0]);
    switch (name) {
      case 'exists':
        return lstat(p) !== null;
      case 'is-file':
        return lstat(p)?.isFile() ?? false;
      case 'is-dir':
        return lstat(p)?.isDirectory() ?? false;
      case 'is-symlink':
        return lstat(p)?.isSymbolicLink() ?? false;
      case 'readlink':
        return readlinkSync(host(p), 'utf8');
      case 'statns':
        return { st_size: lstat(p)!.size };
      case 'read-file':
        return new Uint8Array(readFileSync(host(p)));
      case 'ls':
        return readdirSync(host(p)).sort();
      default:
        if (extra[name]) return extra[name](name, args, optargs);
        throw new Error(`${name}: not in the test reader`);
    }
  };
  return guestReader(call, (m) => warnings.push(m));
}

/** A file's content, or a symlink to make. */
export type TreeEntry = string | Uint8Array | { symlink: string } | { dir: true };

/** Writes a guest tree under DIR: paths relative to the guest's '/', parents made as needed. */
export function makeTree(dir: string, entries: Record<string, TreeEntry>): void {
  for (const [path, e] of Object.entries(entries)) {
    const host = join(dir, path);
    mkdirSync(dirname(host), { recursive: true });
    if (typeof e === 'string' || e instanceof Uint8Array) writeFileSync(host, e);
    else if ('symlink' in e) symlinkSync(e.symlink, host);
    else mkdirSync(host, { recursive: true });
  }
}
