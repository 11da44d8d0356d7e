/**
 * The inode-level interface every in-process filesystem implements (ext2/3/4 now;
 * NTFS and FAT later). It is synchronous because it runs inside the fs worker,
 * where the C libraries call their block device synchronously. Path resolution,
 * symlinks and mountpoints live above it, in the worker's VFS.
 */
import { GuestkitError, type ErrorDetails, type GuestkitCode } from '../errors/index.js';

export interface Timespec {
  sec: number;
  nsec: number;
}

export interface Attr {
  ino: number;
  /** Full st_mode: file type bits and permission bits. */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  /** 512-byte blocks allocated. */
  blocks: number;
  blksize: number;
  rdev: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
}

export interface DirEntry {
  name: string;
  ino: number;
  /** One of the DT_* values below. */
  type: number;
}

export const DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8, DT_LNK = 10, DT_SOCK = 12;

export interface StatVfs {
  bsize: number;
  frsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  favail: number;
  fsid: number;
  flag: number;
  namemax: number;
}

export interface SetAttr {
  mode?: number; // permission bits only (07777)
  uid?: number;
  gid?: number;
  atime?: Timespec;
  mtime?: Timespec;
}

/**
 * A filesystem error carrying a Linux errno name, e.g. 'ENOENT': a GuestkitError
 * like every other, so `code`, `cause` and `instanceof GuestkitError` work on it.
 */
export class FsError extends GuestkitError {
  constructor(errno: GuestkitCode, message: string, details: ErrorDetails = {}) {
    super(errno, message, details);
    this.name = 'FsError';
  }

  /** The errno name (the same as `code`). */
  get errno(): GuestkitCode {
    return this.code;
  }
}

/** One extended attribute: its full name (namespace prefix included) and raw value. */
export interface Xattr {
  name: string;
  value: Uint8Array;
}

export interface FsDriver {
  /** 'ext2' | 'ext3' | 'ext4' | ... */
  readonly type: string;
  readonly rootIno: number;
  readonly readOnly: boolean;
  statfs(): StatVfs;
  getattr(ino: number): Attr;
  /** Throws FsError('ENOENT') when absent. */
  lookup(dir: number, name: string): number;
  /** All entries except '.' and '..'. */
  readdir(dir: number): DirEntry[];
  read(ino: number, offset: number, length: number): Uint8Array;
  readlink(ino: number): string;
  /**
   * The inode's extended attributes (security.*, system.posix_acl_*, user.*, ...),
   * in the filesystem's own order. Absent where the driver does not read them.
   */
  listxattrs?(ino: number): Xattr[];
  write(ino: number, offset: number, data: Uint8Array): void;
  truncate(ino: number, size: number): void;
  /** Creates a regular file; FsError('EEXIST') when the name exists. */
  create(dir: number, name: string, mode: number, uid: number, gid: number): number;
  mkdir(dir: number, name: string, mode: number, uid: number, gid: number): number;
  symlink(dir: number, name: string, target: string, uid: number, gid: number): number;
  /** Adds a hard link `name` in `dir` to `ino`. */
  link(ino: number, dir: number, name: string): void;
  /** Removes a non-directory entry, freeing the inode when its last link goes. */
  unlink(dir: number, name: string): void;
  /** Removes an empty directory; FsError('ENOTEMPTY') otherwise. */
  rmdir(dir: number, name: string): void;
  /** POSIX rename: replaces an existing destination of a compatible type. */
  rename(srcDir: number, srcName: string, dstDir: number, dstName: string): void;
  setattr(ino: number, attr: SetAttr): void;
  /** Writes dirty state to the device. */
  flush(): void;
  /** Flushes (when writable) and releases everything. */
  close(): void;
}

/** Synchronous device access as seen from inside the worker. */
export interface SyncDevice {
  readonly size: number;
  readonly readOnly: boolean;
  read(offset: number, into: Uint8Array): void;
  write(offset: number, data: Uint8Array): void;
  flush(): void;
}
