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
 * Layers, each on the one before: fatfs-session.ts (FatFs calls, heap,
 * errors), fat-inodes.ts (the inode table), fat-volume.ts (open FatFs files,
 * the directory-entry cache, entry edits, the free count), fat-attributes.ts
 * (statfs, getattr, setattr); this file adds the namespace and data
 * operations and opening a volume.
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
import { DT_DIR, DT_REG, FsError, type DirEntry, type FsDriver, type SyncDevice } from '../fs-driver.js';
import { ATTR_RO, readGeometry, type FatGeometry } from './fat-layout.js';
import { attachDrive, FF, FR, type FatDrive, type FatFsInstance } from './fatfs-module.js';
import { badChar, foldKey, storedName } from './fat-names.js';
import { FatAttributes } from './fat-attributes.js';
import { IO_CHUNK } from './fatfs-session.js';
import { MAX_OPEN_FILES, type OpenFile } from './fat-volume.js';

const MAX_FILE_SIZE = 0xffffffff;

class FatDriver extends FatAttributes implements FsDriver, FatDrive {
  readonly type = 'vfat';
  readonly rootIno = 1;
  readonly sectorSize: number;
  readonly dataSector: number;

  constructor(inst: FatFsInstance, pdrv: number, device: SyncDevice, geo: FatGeometry, readOnly: boolean) {
    super(inst, pdrv, device, geo, readOnly);
    this.sectorSize = geo.ss;
    this.dataSector = geo.dataOffset / geo.ss;
  }

  onDeviceWrite(offset: number, length: number): void {
    this.reader.invalidate(offset, length);
    if (offset < this.geo.dataOffset && offset + length > this.geo.fatOffset) this.fatWrites++;
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
    if (this.surelyAbsent(dir, name)) throw new FsError('ENOENT', `${name}: no such file or directory`);
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
    const made = this.createEntry(dir, stored);
    if (made) {
      const ino = this.addNode(dir, stored, false);
      this.openCreated(ino, made);
      return ino;
    }
    const path = this.childPath(dir, stored);
    const fp = this.ff._malloc(FF.sizeof_FIL);
    if (!fp) throw new FsError('ENOMEM', 'js-fatfs: out of memory');
    let res: number;
    const fatWrites = this.fatWrites;
    try {
      res = this.try(() => this.ff._f_open(fp, this.path(0, path), FF.FA_CREATE_NEW | FF.FA_READ | FF.FA_WRITE));
    } catch (e) {
      this.ff._free(fp);
      this.listings.delete(dir);
      throw e;
    }
    if (res !== FR.OK) {
      this.ff._free(fp);
      throw this.nsError(res, `create ${path}`);
    }
    const created = this.createdEntry(fp, stored);
    if (created) this.listingAdd(dir, created, fatWrites);
    else this.listings.delete(dir);
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
    this.listingRemove(ino);
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
