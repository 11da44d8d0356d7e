/**
 * A GuestReader over a host directory standing in for the guest's '/', for
 * unit tests of the inspection detectors (no image, no backend). Symlinks are
 * not followed by the host: the detectors must resolve them inside the guest.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
        try {
          statSync(host(p));
          return true;
        } catch {
          return false;
        }
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
