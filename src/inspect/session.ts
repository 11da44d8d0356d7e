/** The result of the last inspect-os, kept on the handle like libguestfs keeps it. */
import type { HandleState } from '../api/types.js';
import { ErrnoError } from '../errors/index.js';
import type { FilesystemInfo } from './device-index.js';
import type { OsFacts } from './types.js';

const KEY = 'inspect';
const FILESYSTEMS = 'inspect-filesystems';

/** Keeps the roots, and the filesystems' type, label and UUID read on the way (guestkit inspect prints them). */
export function saveInspection(handle: HandleState, roots: OsFacts[], filesystems: FilesystemInfo[]): void {
  handle.sessions.set(KEY, new Map(roots.map((r) => [r.root, r])));
  handle.sessions.set(FILESYSTEMS, new Map(filesystems.map((f) => [f.device, f])));
}

/** What the last inspect-os read about a filesystem, if it saw it. */
export function inspectedFilesystem(handle: HandleState, device: string): FilesystemInfo | undefined {
  return (handle.sessions.get(FILESYSTEMS) as Map<string, FilesystemInfo> | undefined)?.get(device);
}

/** The facts of ROOT, which must be a root the last inspect-os returned. */
export function inspectedRoot(handle: HandleState, root: string): OsFacts {
  const roots = handle.sessions.get(KEY) as Map<string, OsFacts> | undefined;
  const facts = roots?.get(root) ?? roots?.get(root.replace(/^\/dev\/(?:[hv]|xv)d/, '/dev/sd'));
  if (!facts) {
    throw new ErrnoError('EINVAL', `${root}: root device not found: only call this function with a root device previously returned by inspect-os`);
  }
  return facts;
}
