/**
 * What virt-ls computes: plain names (ls), the guest's ls -la (ll), relative paths
 * (find), or the -lR walk — pre-order, names in byte order — that produces one
 * record per file. The walk goes through the command table only (ls, lstatnslist,
 * readlinklist, checksum: a few requests per directory), so both backends serve it
 * and give the same records.
 */
import type { Guestfs } from '../../src/core/guestfs.js';
import type { StatResult } from '../../src/fs/vfs.js';
import { byteOrder } from '../../src/util/byte-order.js';
import { ErrnoError } from '../../src/errors/index.js';

export interface FileRecord {
  path: string;
  attr: StatResult;
  link?: string;
  checksum?: string;
}

const S_IFMT = 0o170000;
const isDir = (mode: number) => (mode & S_IFMT) === 0o040000;
const isReg = (mode: number) => (mode & S_IFMT) === 0o100000;
const isLnk = (mode: number) => (mode & S_IFMT) === 0o120000;

const joinPath = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/** A statns struct (what lstatns and lstatnslist return) as the attributes ls-output prints. */
export function statnsAttr(s: Record<string, number | string>): StatResult {
  const n = (k: string) => Number(s[k] ?? 0);
  return {
    dev: n('st_dev'), ino: n('st_ino'), mode: n('st_mode'), nlink: n('st_nlink'), uid: n('st_uid'), gid: n('st_gid'),
    rdev: n('st_rdev'), size: n('st_size'), blksize: n('st_blksize'), blocks: n('st_blocks'),
    atime: { sec: n('st_atime_sec'), nsec: n('st_atime_nsec') },
    mtime: { sec: n('st_mtime_sec'), nsec: n('st_mtime_nsec') },
    ctime: { sec: n('st_ctime_sec'), nsec: n('st_ctime_nsec') },
  };
}

/** Walks DIR, calling `emit` for DIR itself and then every entry below it, in virt-ls -lR order. */
export async function walkTree(g: Guestfs, start: string, checksum: string | undefined, emit: (r: FileRecord) => Promise<void> | void): Promise<void> {
  const dir = start.length > 1 ? start.replace(/\/+$/, '') || '/' : start;
  const withSum = async (r: FileRecord) => {
    if (checksum && isReg(r.attr.mode)) r.checksum = await g.checksum(checksum, r.path);
    await emit(r);
  };
  const self = statnsAttr(await g.lstatns(dir));
  await withSum({ path: dir, attr: self, link: isLnk(self.mode) ? await g.readlink(dir) : undefined });
  // virt-ls prints a file given as the directory, then fails on listing it.
  if (!isDir(self.mode)) throw new ErrnoError('ENOTDIR', `${dir}: Not a directory`);
  const visit = async (d: string): Promise<void> => {
    const names = (await g.ls(d)).sort(byteOrder);
    if (names.length === 0) return;
    const stats = (await g.lstatnslist(d, names)).map(statnsAttr);
    const links = stats.some((s) => isLnk(s.mode)) ? await g.readlinklist(d, names) : [];
    for (const [i, name] of names.entries()) {
      const path = joinPath(d, name);
      const attr = stats[i]!;
      if (attr.ino === -1) throw new ErrnoError('EIO', `${path}: lstat failed`);
      await withSum({ path, attr, link: isLnk(attr.mode) ? links[i] : undefined });
      if (isDir(attr.mode)) await visit(path);
    }
  };
  await visit(dir);
}
