/**
 * Inode-level reads of an unmounted (or mounted) filesystem for filesystem-walk,
 * find-inode and download-inode: libguestfs answers them with sleuthkit; here the
 * filesystem driver walks the directories from the root, in on-disk order, and
 * the entries are reported with sleuthkit's fields (tsk_dirent). Only what the
 * directories reach is found: deleted entries that sleuthkit could recover are not.
 */
import { DT_DIR, DT_UNKNOWN, type FsDriver, type SyncDevice } from '../../fs/fs-driver.js';
import { extCrtimeReader } from '../../fs/ext2/ext-inode-times.js';

export interface TskDirent {
  tsk_inode: number;
  tsk_type: string;
  tsk_size: number;
  tsk_name: string;
  tsk_flags: number;
  tsk_atime_sec: number;
  tsk_atime_nsec: number;
  tsk_mtime_sec: number;
  tsk_mtime_nsec: number;
  tsk_ctime_sec: number;
  tsk_ctime_nsec: number;
  tsk_crtime_sec: number;
  tsk_crtime_nsec: number;
  tsk_nlink: number;
  tsk_link: string;
  tsk_spare1: number;
}

export const TSK_FIELDS = ['tsk_inode', 'tsk_type', 'tsk_size', 'tsk_name', 'tsk_flags', 'tsk_atime_sec', 'tsk_atime_nsec',
  'tsk_mtime_sec', 'tsk_mtime_nsec', 'tsk_ctime_sec', 'tsk_ctime_nsec', 'tsk_crtime_sec', 'tsk_crtime_nsec', 'tsk_nlink',
  'tsk_link', 'tsk_spare1'] as const;

/** TSK_FS_DIR_WALK_FLAG_ALLOC: the entry is in use. */
const ALLOCATED = 1;
const S_IFMT = 0o170000;
const TYPE_LETTER: Record<number, string> = {
  0o040000: 'd', 0o100000: 'r', 0o120000: 'l', 0o020000: 'c', 0o060000: 'b', 0o010000: 'f', 0o140000: 's',
};

/** sleuthkit reads ext's 32-bit seconds as unsigned and ignores the extra epoch bits. */
const u32 = (sec: number) => ((sec % 2 ** 32) + 2 ** 32) % 2 ** 32;

/** Every entry, root (".") first, each directory's entries in on-disk order followed by what is below them. */
export function walkFilesystem(driver: FsDriver, device: SyncDevice): TskDirent[] {
  const inodesCount = driver.statfs().files;
  const crtime = driver.type.startsWith('ext') ? extCrtimeReader(device) : undefined;
  const out: TskDirent[] = [];
  const entry = (ino: number, name: string): TskDirent => {
    const a = driver.getattr(ino);
    const type = a.mode & S_IFMT;
    const cr = crtime?.(ino) ?? { sec: 0, nsec: 0 };
    return {
      tsk_inode: ino, tsk_type: TYPE_LETTER[type] ?? 'u', tsk_size: a.size, tsk_name: name, tsk_flags: ALLOCATED,
      tsk_atime_sec: u32(a.atime.sec), tsk_atime_nsec: a.atime.nsec, tsk_mtime_sec: u32(a.mtime.sec), tsk_mtime_nsec: a.mtime.nsec,
      tsk_ctime_sec: u32(a.ctime.sec), tsk_ctime_nsec: a.ctime.nsec, tsk_crtime_sec: u32(cr.sec), tsk_crtime_nsec: cr.nsec,
      tsk_nlink: a.nlink, tsk_link: type === 0o120000 ? driver.readlink(ino) : '', tsk_spare1: 0,
    };
  };
  const walk = (dir: number, prefix: string, seen: Set<number>) => {
    for (const e of driver.readdir(dir)) {
      if (e.name === '.' || e.name === '..') continue;
      out.push(entry(e.ino, prefix + e.name));
      const isDirEntry = e.type === DT_DIR || (e.type === DT_UNKNOWN && (driver.getattr(e.ino).mode & S_IFMT) === 0o040000);
      if (isDirEntry && !seen.has(e.ino)) walk(e.ino, `${prefix}${e.name}/`, new Set([...seen, e.ino]));
    }
  };
  out.push(entry(driver.rootIno, '.'));
  walk(driver.rootIno, '', new Set([driver.rootIno]));
  // sleuthkit's virtual directory of orphan inodes, numbered past the last inode.
  if (crtime) {
    out.push({
      tsk_inode: inodesCount + 1, tsk_type: 'u', tsk_size: 0, tsk_name: '$OrphanFiles', tsk_flags: ALLOCATED,
      tsk_atime_sec: 0, tsk_atime_nsec: 0, tsk_mtime_sec: 0, tsk_mtime_nsec: 0, tsk_ctime_sec: 0, tsk_ctime_nsec: 0,
      tsk_crtime_sec: 0, tsk_crtime_nsec: 0, tsk_nlink: 1, tsk_link: '', tsk_spare1: 0,
    });
  }
  return out;
}
