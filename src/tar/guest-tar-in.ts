/**
 * Unpacking a tar archive (a host file) into a guest directory on top of the
 * command table, for backends without a guest tar program. As GNU tar run as
 * root: owners, modes and modification times are restored, existing files are
 * replaced, existing directories kept, directories' times set last. Stricter
 * than GNU tar where safety asks for it: every member is checked before the
 * first write, so an archive with a ".." member (or a hard link to one) is
 * refused whole instead of partly unpacked; leading '/' is dropped (the member
 * stays inside the directory); a member below a symlink the archive itself made
 * is refused (it would write through the link).
 */
import type { FileHandle } from 'node:fs/promises';
import { ErrnoError } from '../errors/index.js';
import { TarFormatError, type TarEntry } from './tar-format.js';
import { readTarMembers, type TarMember } from './tar-reader.js';
import { requireGuestDir, type Call } from './guest-dir.js';

const CHUNK = 1 << 20;
const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFLNK = 0o120000;
/** utimens's "now": GNU tar sets the access time to the time of extraction, the modification time from the archive. */
const UTIME_NOW = -1;
const NODE_TYPE = { chardev: 0o020000, blockdev: 0o060000, fifo: 0o010000 } as const;

/** The member's path components below the target directory; '..' anywhere is refused. */
export function memberComponents(name: string, what = 'Member name'): string[] {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new ErrnoError('EINVAL', `${name}: ${what} contains '..'`);
  return parts;
}

interface DirTimes { path: string; entry: TarEntry }

/** `progress` is told the archive bytes unpacked so far, of `fileSize`, as members and their chunks are written. */
export async function unpackIntoGuest(call: Call, fh: FileHandle, fileSize: number, dir: string, progress?: (done: number, total: number) => void): Promise<void> {
  await requireGuestDir(call, dir);
  const members = await readTarMembers(fh, fileSize).catch((e: unknown) => {
    // In libguestfs's words for an archive its tar cannot read.
    if (e instanceof TarFormatError) throw new ErrnoError('EINVAL', `tar subcommand failed on directory: ${dir}: tar: ${e.message}`, { cause: e });
    throw e;
  });
  // Every name is checked before anything is written.
  const planned = members.map((m) => ({
    m,
    parts: memberComponents(m.entry.name),
    linkParts: m.entry.type === 'hardlink' ? memberComponents(m.entry.linkname ?? '', 'Hard link target') : undefined,
  }));
  const base = dir.replace(/\/+$/, '');
  const guestPath = (parts: string[]) => (parts.length ? `${base}/${parts.join('/')}` : base || '/');
  const madeSymlinks = new Set<string>();
  const knownDirs = new Set<string>([base || '/']);
  const dirTimes: DirTimes[] = [];

  const ensureParents = async (parts: string[], name: string): Promise<void> => {
    for (let i = 1; i < parts.length; i++) {
      const p = guestPath(parts.slice(0, i));
      if (knownDirs.has(p)) continue;
      if (madeSymlinks.has(p)) throw new ErrnoError('ELOOP', `${name}: Cannot open: member is below a symbolic link the archive made`);
      const st = await lstatOrNull(call, p);
      if (st === null) await call('mkdir', [p]);
      else if ((st.st_mode! & S_IFMT) !== S_IFDIR && (st.st_mode! & S_IFMT) !== S_IFLNK) throw new ErrnoError('ENOTDIR', `${name}: Cannot open: Not a directory`);
      knownDirs.add(p);
    }
  };

  progress?.(0, fileSize);
  for (const { m, parts, linkParts } of planned) {
    progress?.(m.dataOffset, fileSize);
    const e = m.entry;
    const path = guestPath(parts);
    if (parts.length > 0) await ensureParents(parts, e.name);
    if (madeSymlinks.has(path)) madeSymlinks.delete(path);
    const existing = parts.length ? await lstatOrNull(call, path) : ({ st_mode: S_IFDIR } as Record<string, number>);
    const existingIsDir = existing !== null && (existing.st_mode! & S_IFMT) === S_IFDIR;
    if (e.type === 'directory') {
      if (existing !== null && !existingIsDir) await call('rm-f', [path]);
      if (!existingIsDir) await call('mkdir', [path]);
      knownDirs.add(path);
      await call('lchown', [e.uid, e.gid, path]);
      await call('chmod', [e.mode, path]);
      dirTimes.push({ path, entry: e });
      continue;
    }
    if (existingIsDir) throw new ErrnoError('EISDIR', `${e.name}: Cannot open: Is a directory`);
    if (existing !== null) await call('rm-f', [path]);
    knownDirs.delete(path);
    switch (e.type) {
      case 'file':
        await copyIn(call, fh, m, path, progress && ((at) => progress(at, fileSize)));
        break;
      case 'symlink':
        await call('ln-s', [e.linkname ?? '', path]);
        madeSymlinks.add(path);
        await call('lchown', [e.uid, e.gid, path]);
        await call('utimens', [path, 0, UTIME_NOW, e.mtime, 0]);
        continue;
      case 'hardlink':
        await call('ln', [guestPath(linkParts!), path]);
        continue;
      default:
        await call('mknod', [NODE_TYPE[e.type] | e.mode, e.devmajor ?? 0, e.devminor ?? 0, path]);
    }
    await call('lchown', [e.uid, e.gid, path]);
    await call('chmod', [e.mode, path]);
    await call('utimens', [path, 0, UTIME_NOW, e.mtime, 0]);
  }
  // Directory times last, deepest first: creating their contents moved them.
  for (const { path, entry } of dirTimes.reverse()) await call('utimens', [path, 0, UTIME_NOW, entry.mtime, 0]);
  progress?.(fileSize, fileSize);
}

async function lstatOrNull(call: Call, path: string): Promise<Record<string, number> | null> {
  try {
    return (await call('lstatns', [path])) as Record<string, number>;
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return null;
    throw e;
  }
}

/** `copied` is told the archive offset reached after each chunk. */
async function copyIn(call: Call, fh: FileHandle, m: TarMember, path: string, copied?: (archiveOffset: number) => void): Promise<void> {
  const size = m.entry.size;
  let off = 0;
  do {
    const len = Math.min(CHUNK, size - off);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, m.dataOffset + off);
    await call(off === 0 ? 'write' : 'write-append', [path, buf]);
    off += len;
    copied?.(m.dataOffset + off);
  } while (off < size);
}
