/**
 * One side of virt-diff: every file of a mounted guest, in the order libguestfs's
 * visitor produces them (the root, then each directory's entries sorted by bytes, each
 * directory's subtree right after its own entry), with its lstat, and optionally its
 * extended attributes and checksum. A directory costs one `ls`, one `lstatnslist`, and
 * a `readlinklist` / `lxattrlist` only when needed: a few requests, however many files.
 */
import type { Guestfs } from '../../src/core/guestfs.js';

export type Statns = Record<string, number>;

export interface Xattr {
  attrname: string;
  attrval: string;
}

export interface GuestFile {
  path: string;
  stat: Statns;
  /** Symlink target (symlinks only). */
  link?: string;
  xattrs: Xattr[];
  /** Checksum of a regular file's content, with --checksum. */
  csum?: string;
}

export interface WalkOptions {
  /** Compare atimes (--atime); otherwise they are zeroed. */
  atime: boolean;
  /** Compare directories' link counts (--dir-links). */
  dirLinks: boolean;
  /** Compare directories' times (--dir-times). */
  dirTimes: boolean;
  /** Read extended attributes (--xattrs). */
  xattrs: boolean;
  /** Checksum type for regular files (--checksum[=TYPE]). */
  checksum?: string;
}

const S_IFMT = 0o170000;
export const isReg = (mode: number) => (mode & S_IFMT) === 0o100000;
export const isDir = (mode: number) => (mode & S_IFMT) === 0o040000;
export const isLnk = (mode: number) => (mode & S_IFMT) === 0o120000;

const joinPath = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/** lxattrlist's flat answer (a header per name: "" and the count) → one list per name. */
function splitXattrList(flat: Xattr[], count: number): Xattr[][] {
  const out: Xattr[][] = [];
  let i = 0;
  for (let n = 0; n < count; n++) {
    const header = flat[i++];
    const k = header && header.attrname === '' ? Number(header.attrval) : 0;
    out.push(flat.slice(i, i + k));
    i += k;
  }
  return out;
}

/** Flattens what the options say not to compare, as virt-diff does before comparing. */
function flatten(stat: Statns, o: WalkOptions): Statns {
  const s = { ...stat };
  if (!o.atime) s.st_atime_sec = s.st_atime_nsec = 0;
  if (isDir(s.st_mode!)) {
    if (!o.dirLinks) s.st_nlink = 0;
    if (!o.dirTimes) {
      s.st_atime_sec = s.st_mtime_sec = s.st_ctime_sec = 0;
      s.st_atime_nsec = s.st_mtime_nsec = s.st_ctime_nsec = 0;
    }
  }
  return s;
}

export async function walkGuest(g: Guestfs, o: WalkOptions): Promise<GuestFile[]> {
  const files: GuestFile[] = [];
  const add = async (path: string, stat: Statns, link: string | undefined, xattrs: Xattr[]) => {
    const f: GuestFile = { path, stat: flatten(stat, o), xattrs };
    if (link !== undefined) f.link = link;
    if (o.checksum && isReg(stat.st_mode!)) f.csum = await g.checksum(o.checksum, path);
    files.push(f);
  };
  const root = (await g.lstatns('/')) as Statns;
  await add('/', root, undefined, o.xattrs ? ((await g.lgetxattrs('/')) as unknown as Xattr[]) : []);

  const visit = async (dir: string): Promise<void> => {
    const names = await g.ls(dir);
    if (names.length === 0) return;
    const stats = (await g.lstatnslist(dir, names)) as Statns[];
    const links = stats.some((s) => isLnk(s.st_mode!)) ? await g.readlinklist(dir, names) : undefined;
    const xattrs = o.xattrs ? splitXattrList((await g.lxattrlist(dir, names)) as unknown as Xattr[], names.length) : undefined;
    for (let i = 0; i < names.length; i++) {
      const path = joinPath(dir, names[i]!), stat = stats[i]!;
      await add(path, stat, isLnk(stat.st_mode!) ? links![i] : undefined, xattrs?.[i] ?? []);
      if (isDir(stat.st_mode!)) await visit(path);
    }
  };
  await visit('/');
  return files;
}
