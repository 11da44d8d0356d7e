/**
 * Windows paths on an inspected Windows guest, as virt-cat, virt-ls and virt-edit take them:
 * "C:\Windows\System32\config\SOFTWARE", "d:\users\admin\documents\readme.txt".
 *  - A drive letter selects the filesystem inspection mapped it to (MountedDevices): every
 *    filesystem is unmounted and that one mounted on / in its place, so it stays the
 *    current drive for the paths that follow without a letter.
 *  - Backslashes become slashes; an empty path is the root.
 *  - The path is then looked up case-insensitively (case-sensitive-path), as Windows would.
 * On any other guest (or without inspection) paths pass through unchanged.
 */
import type { Guestfs } from '../core/guestfs.js';
import { ErrnoError } from '../errors/index.js';
import { inspectedRoot } from './session.js';
import type { OsFacts } from './types.js';

export type GuestPathResolver = (path: string) => Promise<string>;

/**
 * The resolver for the handle's guest: Windows path rules when the last inspection found
 * exactly one OS and it is Windows, else the identity. `readOnly` chooses how a drive
 * letter's filesystem is mounted.
 */
export async function guestPathResolver(g: Guestfs, readOnly: boolean): Promise<GuestPathResolver> {
  const roots = await g.inspectGetRoots();
  if (roots.length !== 1) return async (p) => p;
  const os = inspectedRoot(g, roots[0]!);
  if (os.type !== 'windows') return async (p) => p;
  return (path) => windowsPath(g, os, path, readOnly);
}

export async function windowsPath(g: Guestfs, os: OsFacts, path: string, readOnly: boolean): Promise<string> {
  let rest = path;
  if (/^[A-Za-z]:/.test(path)) {
    await mountDrive(g, os, path[0]!.toLowerCase(), readOnly);
    rest = path.slice(2);
  } else if (path === '') {
    rest = '/';
  }
  return g.caseSensitivePath(rest.replace(/\\/g, '/'));
}

async function mountDrive(g: Guestfs, os: OsFacts, letter: string, readOnly: boolean): Promise<void> {
  const mappings = Object.entries(os.driveMappings);
  if (mappings.length === 0) throw new ErrnoError('EINVAL', 'to use Windows drive letters, this must be a Windows guest');
  const device = mappings.find(([l]) => l.toLowerCase() === letter)?.[1];
  if (device === undefined) throw new ErrnoError('ENOENT', `drive '${letter}:' not found.`);
  await g.umountAll();
  if (readOnly) await g.mountRo(device, '/');
  else await g.mount(device, '/');
}
