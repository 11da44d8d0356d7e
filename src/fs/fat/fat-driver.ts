/**
 * FAT12/16/32 ('vfat') through js-fatfs (FatFs R0.15 in WebAssembly; see
 * fatfs-module.ts for the facts about that build), with a small reader of
 * the on-disk structures beside it (fat-layout.ts) for what FatFs does not
 * expose: access dates, directory sizes, subdirectory counts, and setting
 * times and the read-only attribute.
 *
 * Division of labour:
 * - FatFs: name resolution (case-insensitive, short-name aliases, trailing
 *   dots), readdir, file data, and every change to the namespace and to
 *   the FAT.
 * - fat-layout.ts: getattr (reads the short directory entry), statfs's free
 *   count check, and setattr (edits the short entry in place; then the
 *   volume is re-mounted in FatFs so its sector window cannot go stale).
 *   Before reading the device directly, dirty FatFs files are f_sync'ed;
 *   every device write (ours or FatFs's) invalidates the reader's cache.
 *
 * Inode numbers: FAT has none. They are synthesized for the life of the
 * mount: root = 1 (like Linux's MSDOS_ROOT_INO), then one number per
 * (parent, name) as names are met in lookup/readdir/create, kept across
 * rename and dropped on unlink/rmdir. Names are compared ASCII-case-
 * insensitively in the table; everything else is FatFs's matching.
 *
 * Attributes follow Linux's vfat with no mount options (what libguestfs
 * does; the appliance runs as root with umask 022): uid = gid = 0, files
 * 0755 (-rwxr-xr-x, no `showexec`), directories 0755; the read-only
 * attribute clears the write bits of files (not of directories: no
 * `rodir`). size; blocks = size rounded up to the cluster, in 512-byte
 * units; blksize = cluster size (fat_getattr). Directory size = clusters in
 * its chain × cluster size (FAT12/16 root: its fixed size); nlink = 2 +
 * subdirectories for directories, 1 for files. mtime from the write
 * date/time, atime from the access date (00:00), ctime = mtime (Linux ≥
 * 5.19: ctime is the change time, the creation time is only statx btime),
 * all read as UTC (the appliance's timezone), and written as UTC too. The
 * root has all times 0, like Linux. An access date of 0 (never set; FatFs
 * does not set it on create) reads as the mtime instead of 1980-01-01.
 */
import {
  DT_DIR,
  DT_REG,
  FsError,
  type Attr,
  type DirEntry,
  type FsDriver,
  type SetAttr,
  type StatVfs,
  type SyncDevice,
} from '../fs-driver.js';
import { readCString } from '../../wasm/heap.js';
import {
  ATTR_DIR,
  ATTR_RO,
  FatReader,
  fatToUnix,
  readGeometry,
  unixToFat,
  type FatGeometry,
  type RawEntry,
} from './fat-layout.js';
import { attachDrive, FF, FR, FR_NAMES, type FatDrive, type FatFsInstance, type FfModule } from './fatfs-module.js';

const S_IFDIR = 0o040000, S_IFREG = 0o100000;
/** Linux's default fmask/dmask under umask 022. */
const FMASK = 0o022, DMASK = 0o022;
/** Linux vfat: FAT_LFN_LEN (255) × NLS_MAX_CHARSET_SIZE (6). */
const NAMEMAX = 1530;
const MAX_FILE_SIZE = 0xffffffff;
const IO_CHUNK = 1 << 20;
const MAX_OPEN_FILES = 16;
const MAX_CACHED_DIRS = 64;
const ST_RDONLY = 1;

const utf8 = new TextEncoder();

/** Characters Linux's vfat refuses in names (vfat_bad_char), '/' and '\\' included (FatFs treats '\\' as a separator). */
function badChar(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || '*?<>|":/\\'.includes(name[i]!)) return true;
  }
  return false;
}

/** The name FatFs stores: trailing dots and spaces stripped (create_name()). */
function storedName(name: string): string {
  return name.replace(/[. ]+$/, '');
}

/** Table key: ASCII case folded (FatFs folds more, but any mismatch only costs an f_stat). */
function foldKey(name: string): string {
  return name.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

function frErrno(res: number): string {
  switch (res) {
    case FR.NO_FILE:
    case FR.NO_PATH:
      return 'ENOENT';
    case FR.INVALID_NAME:
    case FR.INVALID_PARAMETER:
      return 'EINVAL';
    case FR.DENIED:
      return 'EACCES';
    case FR.EXIST:
      return 'EEXIST';
    case FR.WRITE_PROTECTED:
      return 'EROFS';
    case FR.NO_FILESYSTEM:
      return 'EINVAL';
    case FR.NOT_ENOUGH_CORE:
      return 'ENOMEM';
    case FR.TOO_MANY_OPEN_FILES:
      return 'EMFILE';
    default: // DISK_ERR, INT_ERR (broken chains), NOT_READY, INVALID_OBJECT, ...
      return 'EIO';
  }
}

interface Node {
  parent: number;
  name: string;
  dir: boolean;
}

interface OpenFile {
  fp: number;
  writable: boolean;
}

interface Listing {
  byKey: Map<string, RawEntry>;
  byUpper: Map<string, RawEntry>;
  bySfn: Map<string, RawEntry>;
  nClusters: number;
  subdirs: number;
  /** first cluster (0 = root) */
  cluster: number;
}

class FatDriver implements FsDriver, FatDrive {
  readonly type = 'vfat';
  readonly rootIno = 1;
  readonly sectorSize: number;
  readonly dataSector: number;

  private closed = false;
  private readonly ff: FfModule;
  private readonly drive: string;
  private readonly reader: FatReader;

  private readonly nodes = new Map<number, Node>();
  private readonly children = new Map<number, Map<string, number>>();
  private nextIno = 2;

  /** Open FatFs files by ino, least recently used first. */
  private readonly files = new Map<number, OpenFile>();
  private readonly dirty = new Set<number>();
  private readonly listings = new Map<number, Listing>();

  // heap objects
  private fsObj = 0;
  private dirObj = 0;
  private fno = 0;
  private io = 0;
  private word = 0;
  private pathBufs: { ptr: number; cap: number }[] = [{ ptr: 0, cap: 0 }, { ptr: 0, cap: 0 }];
  private freeChecked = false;
  private roFree: number | undefined;

  constructor(
    private readonly inst: FatFsInstance,
    private readonly pdrv: number,
    readonly device: SyncDevice,
    readonly geo: FatGeometry,
    readonly readOnly: boolean,
  ) {
    this.ff = inst.ff;
    this.drive = `${pdrv}:`;
    this.sectorSize = geo.ss;
    this.dataSector = geo.dataOffset / geo.ss;
    this.reader = new FatReader(geo, device);
    this.nodes.set(1, { parent: 1, name: '', dir: true });
  }

  // ---------------------------------------------------------------- plumbing

  onDeviceWrite(offset: number, length: number): void {
    this.reader.invalidate(offset, length);
  }

  /** @internal allocate heap objects and mount */
  mount(): void {
    const ff = this.ff;
    this.fsObj = ff._malloc(FF.sizeof_FATFS);
    this.dirObj = ff._malloc(FF.sizeof_DIR);
    this.fno = ff._malloc(FF.sizeof_FILINFO);
    this.io = ff._malloc(IO_CHUNK);
    this.word = ff._malloc(8);
    if (!this.fsObj || !this.dirObj || !this.fno || !this.io || !this.word) throw new FsError('ENOMEM', 'js-fatfs: out of memory');
    this.call('mount', () => ff._f_mount(this.fsObj, this.path(0, this.drive), 1));
  }

  private remount(): void {
    this.call('mount', () => this.ff._f_mount(this.fsObj, this.path(0, this.drive), 1));
  }

  private freeHeap(): void {
    const ff = this.ff;
    for (const p of [this.fsObj, this.dirObj, this.fno, this.io, this.word, ...this.pathBufs.map((b) => b.ptr)]) {
      if (p) ff._free(p);
    }
    this.fsObj = this.dirObj = this.fno = this.io = this.word = 0;
  }

  /** Copies a NUL-terminated UTF-8 string into path buffer `which` (0 or 1). */
  private path(which: number, s: string): number {
    const bytes = utf8.encode(s);
    const b = this.pathBufs[which]!;
    if (b.cap < bytes.length + 1) {
      if (b.ptr) this.ff._free(b.ptr);
      b.cap = Math.max(256, bytes.length + 1) * 2;
      b.ptr = this.ff._malloc(b.cap);
      if (!b.ptr) throw new FsError('ENOMEM', 'js-fatfs: out of memory');
    }
    this.ff.HEAPU8.set(bytes, b.ptr);
    this.ff.HEAPU8[b.ptr + bytes.length] = 0;
    return b.ptr;
  }

  private frError(res: number, what: string): FsError {
    const dev = this.inst.takeDeviceError();
    const detail = dev === undefined ? '' : `: ${dev instanceof Error ? dev.message : String(dev)}`;
    return new FsError(frErrno(res), `${what}: ${FR_NAMES[res] ?? `FatFs error ${res}`}${detail}`);
  }

  /** Runs a FatFs call that returns an FRESULT; throws FsError unless FR_OK. */
  private call(what: string, fn: () => number): void {
    const res = this.inst.invoke(fn);
    if (res !== FR.OK) throw this.frError(res, what);
  }

  /** Like call() but returns the FRESULT for the caller to interpret (device errors still throw). */
  private try(fn: () => number): number {
    const res = this.inst.invoke(fn);
    if (res === FR.DISK_ERR || res === FR.INT_ERR || res === FR.NOT_READY) throw this.frError(res, 'I/O error');
    return res;
  }

  private check(op: string): void {
    if (this.closed) throw new FsError('EBADF', `${op}: filesystem is closed`);
  }

  private checkWrite(op: string): void {
    this.check(op);
    if (this.readOnly) throw new FsError('EROFS', `${op}: read-only filesystem`);
  }

  private fnoName(): string {
    return readCString(this.ff.HEAPU8, this.ff._FILINFO_fname(this.fno));
  }

  // ---------------------------------------------------------------- inodes

  private node(ino: number): Node {
    const n = this.nodes.get(ino);
    if (!n) throw new FsError('ENOENT', `inode ${ino} does not exist`);
    return n;
  }

  private dirNode(ino: number): Node {
    const n = this.node(ino);
    if (!n.dir) throw new FsError('ENOTDIR', `inode ${ino} is not a directory`);
    return n;
  }

  /** FatFs path of an inode: "N:/a/b" ("N:/" for the root). */
  private fullPath(ino: number): string {
    const parts: string[] = [];
    let i = ino;
    while (i !== 1) {
      const n = this.node(i);
      parts.push(n.name);
      i = n.parent;
    }
    return `${this.drive}/${parts.reverse().join('/')}`;
  }

  private childPath(dir: number, name: string): string {
    const p = this.fullPath(dir);
    return p.endsWith('/') ? p + name : `${p}/${name}`;
  }

  private cachedChild(dir: number, name: string): number | undefined {
    return this.children.get(dir)?.get(foldKey(name));
  }

  private addNode(dir: number, name: string, isDir: boolean): number {
    const key = foldKey(name);
    let m = this.children.get(dir);
    if (!m) this.children.set(dir, (m = new Map()));
    const old = m.get(key);
    if (old !== undefined) {
      const n = this.nodes.get(old)!;
      if (n.dir === isDir) {
        n.name = name;
        return old;
      }
      this.removeNode(old);
    }
    const ino = this.nextIno++;
    this.nodes.set(ino, { parent: dir, name, dir: isDir });
    m.set(key, ino);
    return ino;
  }

  private removeNode(ino: number): void {
    const n = this.nodes.get(ino);
    if (!n) return;
    this.children.get(n.parent)?.delete(foldKey(n.name));
    this.nodes.delete(ino);
    this.dropFile(ino);
    this.listings.delete(ino);
    const kids = this.children.get(ino);
    if (kids) {
      this.children.delete(ino);
      for (const k of kids.values()) this.removeNode(k);
    }
  }

  private moveNode(ino: number, dir: number, name: string): void {
    const n = this.node(ino);
    this.children.get(n.parent)?.delete(foldKey(n.name));
    n.parent = dir;
    n.name = name;
    let m = this.children.get(dir);
    if (!m) this.children.set(dir, (m = new Map()));
    m.set(foldKey(name), ino);
  }

  private isAncestor(a: number, ino: number): boolean {
    for (let i = ino; ; i = this.node(i).parent) {
      if (i === a) return true;
      if (i === 1) return false;
    }
  }

  // ---------------------------------------------------------------- open files

  /** The FatFs file of `ino`, opened read-write on a writable volume. */
  private file(ino: number, forWrite: boolean): OpenFile {
    const f = this.files.get(ino);
    if (f && (f.writable || !forWrite)) {
      this.files.delete(ino);
      this.files.set(ino, f);
      return f;
    }
    if (f) this.dropFile(ino);
    while (this.files.size >= MAX_OPEN_FILES) this.dropFile(this.files.keys().next().value as number);
    const fp = this.ff._malloc(FF.sizeof_FIL);
    if (!fp) throw new FsError('ENOMEM', 'js-fatfs: out of memory');
    try {
      const path = this.fullPath(ino);
      let writable = !this.readOnly;
      let res = this.try(() => this.ff._f_open(fp, this.path(0, path), FF.FA_READ | (writable ? FF.FA_WRITE : 0)));
      if (res === FR.DENIED && writable) {
        // the read-only attribute: root may still write (CAP_DAC_OVERRIDE) — see withRoCleared()
        if (forWrite) throw new FsError('EACCES', 'read-only attribute');
        writable = false;
        res = this.try(() => this.ff._f_open(fp, this.path(0, path), FF.FA_READ));
      }
      if (res !== FR.OK) throw this.frError(res, `open ${path}`);
      const of = { fp, writable };
      this.files.set(ino, of);
      return of;
    } catch (e) {
      this.ff._free(fp);
      throw e;
    }
  }

  /** Closes (and so syncs) the FatFs file of `ino`, if open. */
  private dropFile(ino: number): void {
    const f = this.files.get(ino);
    if (!f) return;
    this.files.delete(ino);
    const wasDirty = this.dirty.delete(ino);
    try {
      const res = this.inst.invoke(() => this.ff._f_close(f.fp));
      if (res !== FR.OK && wasDirty) throw this.frError(res, 'close');
    } finally {
      this.ff._free(f.fp);
      if (wasDirty) this.invalidateParentOf(ino);
    }
  }

  private dropAllFiles(): void {
    let first: unknown;
    for (const ino of [...this.files.keys()]) {
      try {
        this.dropFile(ino);
      } catch (e) {
        first ??= e;
      }
    }
    if (first) throw first;
  }

  /** Makes FatFs write dirty file data and directory entries to the device. */
  private syncDirty(): void {
    for (const ino of [...this.dirty]) {
      const f = this.files.get(ino);
      this.dirty.delete(ino);
      this.invalidateParentOf(ino);
      if (f) this.call('sync', () => this.ff._f_sync(f.fp));
    }
  }

  private invalidateParentOf(ino: number): void {
    const n = this.nodes.get(ino);
    if (n) this.listings.delete(n.parent);
  }

  /** Runs `fn` with the file's read-only attribute cleared (root writes anyway, as on Linux). */
  private withRoCleared<T>(ino: number, fn: () => T): T {
    const e = this.entry(ino);
    if (!e || !(e.attr & ATTR_RO)) return fn();
    this.editEntry(ino, (b) => { b[11] = b[11]! & ~ATTR_RO; });
    try {
      return fn();
    } finally {
      if (this.nodes.has(ino)) this.editEntry(ino, (b) => { b[11] = b[11]! | ATTR_RO; });
    }
  }

  // ---------------------------------------------------------------- raw entries

  private listing(dir: number): Listing {
    let l = this.listings.get(dir);
    if (l) {
      this.listings.delete(dir);
      this.listings.set(dir, l);
      return l;
    }
    this.syncDirty();
    let cluster = 0;
    if (dir !== 1) {
      const e = this.entry(dir);
      if (!e) throw new FsError('ENOENT', `directory inode ${dir} no longer exists`);
      cluster = e.cluster;
    }
    const raw = cluster === 0 && dir !== 1 ? { entries: [], nClusters: 0 } : this.reader.readDir(cluster);
    const byKey = new Map<string, RawEntry>();
    const byUpper = new Map<string, RawEntry>();
    const bySfn = new Map<string, RawEntry>();
    let subdirs = 0;
    for (const e of raw.entries) {
      const k = foldKey(e.name);
      if (!byKey.has(k)) byKey.set(k, e);
      const u = e.name.toUpperCase();
      if (!byUpper.has(u)) byUpper.set(u, e);
      if (!bySfn.has(e.sfn)) bySfn.set(e.sfn, e);
      if (e.attr & ATTR_DIR) subdirs++;
    }
    l = { byKey, byUpper, bySfn, nClusters: raw.nClusters, subdirs, cluster };
    while (this.listings.size >= MAX_CACHED_DIRS) this.listings.delete(this.listings.keys().next().value as number);
    this.listings.set(dir, l);
    return l;
  }

  /** The short directory entry of a non-root inode, or undefined. */
  private entry(ino: number): RawEntry | undefined {
    const n = this.node(ino);
    return this.listing(n.parent).byKey.get(foldKey(n.name));
  }

  /** Edits the 32-byte short entry of `ino` on the device, then re-mounts FatFs (its window may hold the old sector). */
  private editEntry(ino: number, edit: (b: Uint8Array) => void): void {
    this.dropAllFiles();
    const e = this.entry(ino);
    if (!e) throw new FsError('EIO', `cannot find the directory entry of inode ${ino}`);
    const b = new Uint8Array(32);
    this.device.read(e.offset, b);
    edit(b);
    this.device.write(e.offset, b);
    this.reader.invalidate(e.offset, 32);
    this.inst.invalidate(this.pdrv, e.offset, 32);
    this.invalidateParentOf(ino);
    this.remount();
  }

  // ---------------------------------------------------------------- FsDriver

  /** FatFs's free cluster count (from FSInfo on FAT32 when valid, else counted). */
  private fatfsFree(): number {
    this.call('statfs', () => this.ff._f_getfree(this.path(0, this.drive), this.word, this.word + 4));
    return new DataView(this.ff.HEAPU8.buffer).getUint32(this.word, true);
  }

  /**
   * FatFs trusts FSInfo's free count (and refuses to allocate when it says
   * 0); Linux recounts. Counted once per mount: on the first statfs, or at
   * mount when FSInfo claims no free space. A writable mount corrects FSInfo.
   */
  private checkFreeCount(): number {
    const g = this.geo;
    const free = this.fatfsFree();
    if (this.freeChecked || g.fatType !== 32) return free;
    this.freeChecked = true;
    const counted = this.reader.countFree();
    if (counted === free) return free;
    if (this.readOnly) {
      this.roFree = counted;
    } else if (g.fsInfoSector === 1) {
      this.dropAllFiles();
      const fsi = new Uint8Array(4);
      new DataView(fsi.buffer).setUint32(0, counted, true);
      this.device.write(g.ss + 488, fsi);
      this.reader.invalidate(g.ss + 488, 4);
      this.inst.invalidate(this.pdrv, g.ss + 488, 4);
      this.remount();
    }
    return counted;
  }

  /** @internal called once after mount */
  checkFsInfoAtMount(): void {
    const g = this.geo;
    if (this.readOnly || g.fatType !== 32 || g.fsInfoSector !== 1) return;
    const b = new Uint8Array(4);
    this.device.read(g.ss + 488, b);
    const claimed = new DataView(b.buffer).getUint32(0, true);
    if (claimed === 0) this.checkFreeCount();
  }

  statfs(): StatVfs {
    this.check('statfs');
    this.syncDirty();
    const g = this.geo;
    const free = this.roFree ?? this.checkFreeCount();
    return {
      bsize: g.clusterBytes,
      frsize: g.clusterBytes,
      blocks: g.nFatent - 2,
      bfree: free,
      bavail: free,
      files: 0,
      ffree: 0,
      favail: 0,
      fsid: g.serial,
      flag: this.readOnly ? ST_RDONLY : 0,
      namemax: NAMEMAX,
    };
  }

  getattr(ino: number): Attr {
    this.check('getattr');
    const g = this.geo;
    const cb = g.clusterBytes;
    const zero = { sec: 0, nsec: 0 };
    if (ino === 1) {
      const l = this.listing(1);
      const size = g.fatType === 32 ? l.nClusters * cb : g.rootBytes;
      return {
        ino, mode: S_IFDIR | (0o777 & ~DMASK), nlink: l.subdirs + 2, uid: 0, gid: 0, size,
        blocks: Math.ceil(size / cb) * cb / 512, blksize: cb, rdev: 0, atime: zero, mtime: zero, ctime: zero,
      };
    }
    const n = this.node(ino);
    if (this.dirty.has(ino)) this.syncDirty();
    const e = this.entry(ino);
    if (!e) {
      // not in our parse (it should be): ask FatFs, or report it gone
      return this.attrFromStat(ino, n);
    }
    const isDir = (e.attr & ATTR_DIR) !== 0;
    let mode: number, size: number, nlink: number;
    if (isDir) {
      const l = this.listing(ino);
      mode = S_IFDIR | (0o777 & ~DMASK);
      size = l.nClusters * cb;
      nlink = l.subdirs + 2;
    } else {
      mode = S_IFREG | (0o777 & ~FMASK);
      if (e.attr & ATTR_RO) mode &= ~0o222;
      size = e.size;
      nlink = 1;
    }
    const m = fatToUnix(e.mdate, e.mtime);
    const a = e.adate ? fatToUnix(e.adate, 0) : m;
    return {
      ino, mode, nlink, uid: 0, gid: 0, size, blocks: Math.ceil(size / cb) * cb / 512, blksize: cb, rdev: 0,
      atime: { sec: a, nsec: 0 }, mtime: { sec: m, nsec: 0 }, ctime: { sec: m, nsec: 0 },
    };
  }

  private attrFromStat(ino: number, n: Node): Attr {
    const path = this.fullPath(ino);
    const res = this.try(() => this.ff._f_stat(this.path(0, path), this.fno));
    if (res !== FR.OK) {
      this.removeNode(ino);
      throw this.frError(res === FR.INVALID_NAME ? FR.NO_FILE : res, `stat ${path}`);
    }
    const ff = this.ff;
    const attr = ff._FILINFO_fattrib(this.fno);
    const size = n.dir ? this.geo.clusterBytes : ff._FILINFO_fsize(this.fno) >>> 0;
    const m = fatToUnix(ff._FILINFO_fdate(this.fno), ff._FILINFO_ftime(this.fno));
    let mode = n.dir ? S_IFDIR | 0o755 : S_IFREG | 0o755;
    if (!n.dir && attr & FF.AM_RDO) mode &= ~0o222;
    const cb = this.geo.clusterBytes;
    return {
      ino, mode, nlink: n.dir ? 2 : 1, uid: 0, gid: 0, size, blocks: Math.ceil(size / cb) * cb / 512, blksize: cb,
      rdev: 0, atime: { sec: m, nsec: 0 }, mtime: { sec: m, nsec: 0 }, ctime: { sec: m, nsec: 0 },
    };
  }

  lookup(dir: number, name: string): number {
    this.check('lookup');
    this.dirNode(dir);
    if (name === '.' ) return dir;
    if (name === '..') return this.node(dir).parent;
    if (name === '' || badChar(name)) throw new FsError('ENOENT', `${name}: no such file or directory`);
    if (name.length > 255) throw new FsError('ENAMETOOLONG', 'file name too long');
    const cached = this.cachedChild(dir, name);
    if (cached !== undefined) return cached;
    const path = this.childPath(dir, name);
    const res = this.try(() => this.ff._f_stat(this.path(0, path), this.fno));
    if (res !== FR.OK) {
      if (res === FR.NO_FILE || res === FR.NO_PATH || res === FR.INVALID_NAME) {
        throw new FsError('ENOENT', `${name}: no such file or directory`);
      }
      throw this.frError(res, `lookup ${path}`);
    }
    // f_stat's fname is the name as looked up (FatFs leaves the search name in its LFN
    // buffer), or the 8.3 name when found by its short alias: take the stored name from
    // the directory itself
    const asked = this.fnoName();
    const isDir = (this.ff._FILINFO_fattrib(this.fno) & FF.AM_DIR) !== 0;
    const l = this.listing(dir);
    const e = l.byKey.get(foldKey(asked)) ?? l.byUpper.get(asked.toUpperCase()) ?? l.bySfn.get(asked.toUpperCase());
    return this.addNode(dir, e ? e.name : asked, isDir);
  }

  readdir(dir: number): DirEntry[] {
    this.check('readdir');
    this.dirNode(dir);
    const path = this.fullPath(dir);
    const ff = this.ff;
    this.call(`opendir ${path}`, () => ff._f_opendir(this.dirObj, this.path(0, path)));
    const out: DirEntry[] = [];
    try {
      for (;;) {
        this.call(`readdir ${path}`, () => ff._f_readdir(this.dirObj, this.fno));
        const name = this.fnoName();
        if (name === '') break;
        const isDir = (ff._FILINFO_fattrib(this.fno) & FF.AM_DIR) !== 0;
        out.push({ name, ino: this.addNode(dir, name, isDir), type: isDir ? DT_DIR : DT_REG });
      }
    } finally {
      this.inst.invoke(() => ff._f_closedir(this.dirObj));
    }
    return out;
  }

  read(ino: number, offset: number, length: number): Uint8Array {
    this.check('read');
    if (this.node(ino).dir) throw new FsError('EISDIR', 'is a directory');
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new FsError('EINVAL', 'invalid offset or length');
    }
    const f = this.file(ino, false);
    const ff = this.ff;
    const size = ff._f_size_(f.fp) >>> 0;
    if (offset >= size || length === 0) return new Uint8Array(0);
    const n = Math.min(length, size - offset);
    const out = new Uint8Array(n);
    this.inst.setBulk(this.pdrv, true);
    try {
      this.call('read', () => ff._f_lseek(f.fp, offset));
      let done = 0;
      while (done < n) {
        const want = Math.min(IO_CHUNK, n - done);
        this.call('read', () => ff._f_read(f.fp, this.io, want, this.word));
        const got = new DataView(ff.HEAPU8.buffer).getUint32(this.word, true);
        out.set(ff.HEAPU8.subarray(this.io, this.io + got), done);
        done += got;
        if (got < want) return out.subarray(0, done);
      }
    } catch (e) {
      this.forgetFile(ino);
      throw e;
    } finally {
      this.inst.setBulk(this.pdrv, false);
    }
    return out;
  }

  /** Drops a file after an error without letting a second error hide the first. */
  private forgetFile(ino: number): void {
    try {
      this.dropFile(ino);
    } catch {
      /* the first error is what matters */
    }
  }

  readlink(ino: number): string {
    this.check('readlink');
    this.node(ino);
    throw new FsError('EINVAL', 'not a symbolic link (FAT has none)');
  }

  /** Writes `len` bytes from the io buffer area (already filled) or zeros at the current position. */
  private writeFrom(f: OpenFile, data: Uint8Array | null, len: number): void {
    const ff = this.ff;
    let done = 0;
    let zeroed = false;
    while (done < len) {
      const want = Math.min(IO_CHUNK, len - done);
      if (data) {
        ff.HEAPU8.set(data.subarray(done, done + want), this.io);
      } else if (!zeroed) {
        ff.HEAPU8.fill(0, this.io, this.io + Math.min(IO_CHUNK, len));
        zeroed = true;
      }
      this.call('write', () => ff._f_write(f.fp, this.io, want, this.word));
      const put = new DataView(ff.HEAPU8.buffer).getUint32(this.word, true);
      done += put;
      if (put < want) throw new FsError('ENOSPC', 'no space left on device');
    }
  }

  write(ino: number, offset: number, data: Uint8Array): void {
    this.checkWrite('write');
    if (this.node(ino).dir) throw new FsError('EISDIR', 'is a directory');
    if (!Number.isSafeInteger(offset) || offset < 0) throw new FsError('EINVAL', 'invalid offset');
    if (data.length === 0) return;
    if (offset + data.length > MAX_FILE_SIZE) throw new FsError('EFBIG', 'file too large for FAT (4 GiB - 1)');
    this.withWritableFile(ino, (f) => {
      const ff = this.ff;
      const size = ff._f_size_(f.fp) >>> 0;
      if (offset > size) {
        // FAT has no holes, and f_lseek past the end leaves the new clusters' content undefined
        this.call('write', () => ff._f_lseek(f.fp, size));
        this.writeFrom(f, null, offset - size);
      } else {
        this.call('write', () => ff._f_lseek(f.fp, offset));
      }
      this.writeFrom(f, data, data.length);
    });
  }

  private withWritableFile(ino: number, fn: (f: OpenFile) => void): void {
    const run = () => {
      const f = this.file(ino, true);
      this.dirty.add(ino);
      try {
        fn(f);
      } catch (e) {
        this.forgetFile(ino);
        throw e;
      }
    };
    try {
      run();
    } catch (e) {
      if (!(e instanceof FsError && e.errno === 'EACCES')) throw e;
      this.withRoCleared(ino, () => {
        run();
        this.dropFile(ino);
      });
    }
  }

  truncate(ino: number, size: number): void {
    this.checkWrite('truncate');
    if (this.node(ino).dir) throw new FsError('EISDIR', 'is a directory');
    if (!Number.isSafeInteger(size) || size < 0) throw new FsError('EINVAL', 'invalid size');
    if (size > MAX_FILE_SIZE) throw new FsError('EFBIG', 'file too large for FAT (4 GiB - 1)');
    this.withWritableFile(ino, (f) => {
      const ff = this.ff;
      const cur = ff._f_size_(f.fp) >>> 0;
      if (size < cur) {
        this.call('truncate', () => ff._f_lseek(f.fp, size));
        this.call('truncate', () => ff._f_truncate(f.fp));
      } else if (size > cur) {
        this.call('truncate', () => ff._f_lseek(f.fp, cur));
        this.writeFrom(f, null, size - cur);
      }
    });
  }

  /** Checks a name for create/mkdir/rename targets; returns the name FatFs will store. */
  private newName(name: string): string {
    if (name === '.' || name === '..') throw new FsError('EEXIST', `${name}: file exists`);
    if (name.length > 255) throw new FsError('ENAMETOOLONG', 'file name too long');
    const stored = storedName(name);
    if (stored === '' || badChar(name)) throw new FsError('EINVAL', `${JSON.stringify(name)}: invalid name for FAT`);
    return stored;
  }

  private nsError(res: number, what: string): FsError {
    // FatFs says FR_DENIED when the directory cannot grow (disk full, or a full FAT12/16 root)
    if (res === FR.DENIED) return new FsError('ENOSPC', `${what}: no space left (directory full)`);
    return this.frError(res, what);
  }

  create(dir: number, name: string, _mode: number, _uid: number, _gid: number): number {
    this.checkWrite('create');
    this.dirNode(dir);
    const stored = this.newName(name);
    const path = this.childPath(dir, stored);
    const fp = this.ff._malloc(FF.sizeof_FIL);
    if (!fp) throw new FsError('ENOMEM', 'js-fatfs: out of memory');
    let res: number;
    try {
      res = this.try(() => this.ff._f_open(fp, this.path(0, path), FF.FA_CREATE_NEW | FF.FA_READ | FF.FA_WRITE));
    } catch (e) {
      this.ff._free(fp);
      throw e;
    }
    if (res !== FR.OK) {
      this.ff._free(fp);
      throw this.nsError(res, `create ${path}`);
    }
    this.listings.delete(dir);
    const ino = this.addNode(dir, stored, false);
    while (this.files.size >= MAX_OPEN_FILES) this.dropFile(this.files.keys().next().value as number);
    this.files.set(ino, { fp, writable: true });
    this.dirty.add(ino); // the new entry is in FatFs's window until the file is synced
    return ino;
  }

  mkdir(dir: number, name: string, _mode: number, _uid: number, _gid: number): number {
    this.checkWrite('mkdir');
    this.dirNode(dir);
    const stored = this.newName(name);
    const path = this.childPath(dir, stored);
    this.syncDirty();
    const res = this.try(() => this.ff._f_mkdir(this.path(0, path)));
    if (res !== FR.OK) throw this.nsError(res, `mkdir ${path}`);
    this.listings.delete(dir);
    return this.addNode(dir, stored, true);
  }

  symlink(_dir: number, _name: string, _target: string, _uid: number, _gid: number): number {
    this.checkWrite('symlink');
    throw new FsError('EPERM', 'operation not supported by FAT');
  }

  link(_ino: number, _dir: number, _name: string): void {
    this.checkWrite('link');
    throw new FsError('EPERM', 'operation not supported by FAT');
  }

  /** Removes the entry of `ino` through FatFs (clearing a read-only attribute first, as root may). */
  private remove(ino: number): void {
    const path = this.fullPath(ino);
    this.dropAllFiles();
    let res = this.try(() => this.ff._f_unlink(this.path(0, path)));
    if (res === FR.DENIED) {
      const e = this.entry(ino);
      if (e && e.attr & ATTR_RO) {
        this.editEntry(ino, (b) => { b[11] = b[11]! & ~ATTR_RO; });
        res = this.try(() => this.ff._f_unlink(this.path(0, path)));
      }
    }
    if (res === FR.DENIED && this.node(ino).dir) throw new FsError('ENOTEMPTY', 'directory not empty');
    if (res !== FR.OK) throw this.frError(res, `remove ${path}`);
    const parent = this.node(ino).parent;
    this.listings.delete(parent);
    this.removeNode(ino);
  }

  private isEmptyDir(ino: number): boolean {
    const path = this.fullPath(ino);
    const ff = this.ff;
    this.call(`opendir ${path}`, () => ff._f_opendir(this.dirObj, this.path(0, path)));
    try {
      this.call(`readdir ${path}`, () => ff._f_readdir(this.dirObj, this.fno));
      return this.fnoName() === '';
    } finally {
      this.inst.invoke(() => ff._f_closedir(this.dirObj));
    }
  }

  unlink(dir: number, name: string): void {
    this.checkWrite('unlink');
    const ino = this.lookup(dir, name);
    if (ino === dir || ino === this.node(dir).parent) throw new FsError('EISDIR', 'is a directory');
    if (this.node(ino).dir) throw new FsError('EISDIR', 'is a directory');
    this.remove(ino);
  }

  rmdir(dir: number, name: string): void {
    this.checkWrite('rmdir');
    if (name === '.') throw new FsError('EINVAL', 'cannot remove "."');
    if (name === '..') throw new FsError('ENOTEMPTY', 'directory not empty');
    const ino = this.lookup(dir, name);
    if (!this.node(ino).dir) throw new FsError('ENOTDIR', 'not a directory');
    if (!this.isEmptyDir(ino)) throw new FsError('ENOTEMPTY', 'directory not empty');
    this.remove(ino);
  }

  rename(srcDir: number, srcName: string, dstDir: number, dstName: string): void {
    this.checkWrite('rename');
    this.dirNode(dstDir);
    const src = this.lookup(srcDir, srcName);
    if (src === srcDir || src === this.node(srcDir).parent || src === 1) throw new FsError('EBUSY', 'cannot rename "." or ".."');
    const stored = this.newName(dstName);
    const srcNode = this.node(src);
    if (srcNode.dir && this.isAncestor(src, dstDir)) throw new FsError('EINVAL', 'cannot move a directory into itself');
    let dst: number | undefined;
    try {
      dst = this.lookup(dstDir, stored);
    } catch (e) {
      if (!(e instanceof FsError && e.errno === 'ENOENT')) throw e;
    }
    if (dst !== undefined && dst === src) {
      if (this.node(src).name === stored) return; // same name: nothing to do
    } else if (dst !== undefined) {
      const dstNode = this.node(dst);
      if (srcNode.dir && !dstNode.dir) throw new FsError('ENOTDIR', 'not a directory');
      if (!srcNode.dir && dstNode.dir) throw new FsError('EISDIR', 'is a directory');
      if (dstNode.dir && !this.isEmptyDir(dst)) throw new FsError('ENOTEMPTY', 'directory not empty');
      this.remove(dst);
    }
    const from = this.fullPath(src);
    const to = this.childPath(dstDir, stored);
    this.dropAllFiles();
    const res = this.try(() => this.ff._f_rename(this.path(0, from), this.path(1, to)));
    if (res !== FR.OK) throw this.nsError(res, `rename ${from} → ${to}`);
    this.listings.delete(srcNode.parent);
    this.listings.delete(dstDir);
    this.moveNode(src, dstDir, stored);
  }

  setattr(ino: number, attr: SetAttr): void {
    this.check('setattr');
    const n = this.node(ino);
    const has = attr.mode !== undefined || attr.uid !== undefined || attr.gid !== undefined ||
      attr.atime !== undefined || attr.mtime !== undefined;
    if (!has) return;
    if (this.readOnly) throw new FsError('EROFS', 'setattr: read-only filesystem');
    // fat_setattr(): only the mount's owner, and only rwx bits
    if ((attr.uid !== undefined && attr.uid !== 0) || (attr.gid !== undefined && attr.gid !== 0)) {
      throw new FsError('EPERM', 'FAT cannot store owners');
    }
    if (attr.mode !== undefined && (attr.mode & ~0o777) !== 0) throw new FsError('EPERM', 'FAT cannot store these mode bits');
    for (const t of [attr.atime, attr.mtime]) {
      if (t && (!Number.isFinite(t.sec) || !Number.isFinite(t.nsec))) throw new FsError('EINVAL', 'invalid timestamp');
    }
    if (ino === 1) return; // Linux keeps the root's times in memory only; it has no entry
    const cur = this.getattr(ino);
    let setRo: boolean | undefined;
    if (attr.mode !== undefined) {
      // fat_sanitize_mode_change(): a change it cannot represent is silently ignored
      const mask = n.dir ? DMASK : FMASK;
      const perm = attr.mode & ~mask & 0o777;
      if ((perm & 0o555) === (cur.mode & 0o555)) {
        const w = perm & 0o222;
        if (!n.dir) {
          if (w === 0) setRo = true;
          else if (w === (0o222 & ~mask)) setRo = false;
        }
      }
    }
    const e = this.entry(ino);
    if (!e) throw new FsError('ENOENT', `inode ${ino} no longer exists`);
    const roNow = (e.attr & ATTR_RO) !== 0;
    if (setRo === roNow) setRo = undefined;
    if (setRo === undefined && !attr.atime && !attr.mtime) return;
    this.editEntry(ino, (b) => {
      const dv = new DataView(b.buffer, b.byteOffset, 32);
      if (setRo !== undefined) b[11] = setRo ? b[11]! | ATTR_RO : b[11]! & ~ATTR_RO;
      if (attr.mtime) {
        const t = unixToFat(attr.mtime.sec);
        dv.setUint16(22, t.time, true);
        dv.setUint16(24, t.date, true);
      }
      if (attr.atime) dv.setUint16(18, unixToFat(attr.atime.sec).date, true);
    });
  }

  flush(): void {
    this.check('flush');
    if (this.readOnly) return;
    this.syncDirty();
    this.device.flush();
  }

  close(): void {
    if (this.closed) return;
    let first: unknown;
    try {
      if (!this.inst.dead) {
        try {
          this.dropAllFiles();
        } catch (e) {
          first = e;
        }
        this.inst.invoke(() => this.ff._f_mount(0, this.path(0, this.drive), 0));
        this.freeHeap();
      }
      if (!this.readOnly) this.device.flush();
    } finally {
      this.closed = true;
      this.inst.detach(this.pdrv);
    }
    if (first) throw first;
  }

  /** @internal after a failed mount: unregister the volume from FatFs and free its memory (never throws) */
  release(): void {
    try {
      if (!this.inst.dead) {
        this.inst.invoke(() => this.ff._f_mount(0, this.path(0, this.drive), 0));
        this.freeHeap();
      }
    } catch {
      /* the caller reports the first error */
    }
    this.closed = true;
  }

  /** @internal for tests: number of FatFs files held open */
  openFileCount(): number {
    return this.files.size;
  }
}

/**
 * Opens the FAT12/16/32 filesystem on `device` (the whole device is the
 * volume: a partition, or a superfloppy). Asynchronous because the first
 * call loads the js-fatfs WebAssembly module; later opens share it (ten
 * volumes per module instance). Throws FsError('EINVAL') when the boot
 * sector is not a FAT volume, FsError('EROFS') for a writable open of a
 * read-only device.
 */
export async function openFat(device: SyncDevice, opts: { readOnly: boolean }): Promise<FsDriver> {
  const readOnly = opts.readOnly;
  if (!readOnly && device.readOnly) throw new FsError('EROFS', 'cannot open read-write: the device is read-only');
  const geo = readGeometry(device);
  let drv: FatDriver | undefined;
  const proxy: FatDrive = {
    device,
    readOnly,
    sectorSize: geo.ss,
    dataSector: geo.dataOffset / geo.ss,
    onDeviceWrite: (o, l) => drv?.onDeviceWrite(o, l),
  };
  const { inst, pdrv } = await attachDrive(proxy);
  try {
    drv = new FatDriver(inst, pdrv, device, geo, readOnly);
    inst.setDrive(pdrv, drv);
    drv.mount();
    drv.checkFsInfoAtMount();
    return drv;
  } catch (e) {
    drv?.release();
    inst.detach(pdrv);
    throw e;
  }
}
