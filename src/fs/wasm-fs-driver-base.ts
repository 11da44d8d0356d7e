/**
 * What the drivers over our own WebAssembly builds (ext2/3/4: wasm/ext2fs, NTFS:
 * wasm/ntfs) share: both glue.c files export the same gk_* calls for the
 * inode-level operations with the same result layouts in gk_outbuf, so the
 * closed/read-only checks, the return-code check, statfs, lookup, readdir's
 * walk, readlink, the name-based calls, flush, close and the open sequence are
 * written once here. Each driver decodes what differs (getattr's fields, a
 * directory record, the fsid) and adds its own reads and writes.
 */
import { FsError, type Attr, type DirEntry, type FsDriver, type SetAttr, type StatVfs, type SyncDevice, type Timespec } from './fs-driver.js';
import type { GlueExports, GlueModule } from './wasm-module.js';

/** The gk_* calls both glue.c builds export with the same signature. */
export interface WasmFsExports extends GlueExports {
  _gk_flush(h: number): number;
  _gk_close(h: number): number;
  _gk_statfs(h: number): number;
  _gk_getattr(h: number, ino: number): number;
  _gk_lookup(h: number, dir: number, name: number, len: number): number;
  _gk_readdir(h: number, dir: number): number;
  _gk_readlink(h: number, ino: number): number;
  _gk_truncate(h: number, ino: number, size: number): number;
  _gk_link(h: number, ino: number, dir: number, name: number, len: number): number;
  _gk_unlink(h: number, dir: number, name: number, len: number): number;
  _gk_rmdir(h: number, dir: number, name: number, len: number): number;
  _gk_rename(h: number, sdir: number, sname: number, slen: number, ddir: number, dname: number, dlen: number): number;
}

const utf8d = new TextDecoder('utf-8');

/** gk_setattr's mask bits (the same in both glue files). */
export const SA_MODE = 1, SA_UID = 2, SA_GID = 4, SA_ATIME = 8, SA_MTIME = 16;

/** The timespec at out[i], out[i + 1]. */
export function timespecAt(o: Float64Array, i: number): Timespec {
  return { sec: o[i]!, nsec: o[i + 1]! };
}

/** One directory record decoded from the glue's readdir buffer, and where the next starts. */
export interface DirRecord {
  entry: DirEntry;
  next: number;
}

export abstract class WasmFsDriverBase<E extends WasmFsExports> implements FsDriver {
  abstract readonly type: string;
  abstract readonly rootIno: number;
  protected closed = false;

  constructor(
    protected readonly mod: GlueModule<E>,
    protected readonly devId: number,
    protected readonly h: number,
    readonly readOnly: boolean,
  ) {}

  protected get em(): E {
    return this.mod.em;
  }

  /** Fails on a closed filesystem, and on inode numbers C cannot take. */
  protected check(op: string, ...inos: number[]): void {
    if (this.closed) throw new FsError('EBADF', `${op}: filesystem is closed`);
    for (const ino of inos) if (!Number.isSafeInteger(ino) || ino < 0) throw new FsError('EINVAL', `invalid inode number ${ino}`);
  }

  protected checkWrite(op: string, ...inos: number[]): void {
    this.check(op, ...inos);
    if (this.readOnly) throw new FsError('EROFS', 'read-only filesystem');
  }

  protected ok(rc: number): void {
    if (rc !== 0) throw this.mod.error(rc);
  }

  /** The fsid from statfs's out[8] (low) and out[9] (high), as the filesystem defines it. */
  protected abstract fsid(o: Float64Array): number;
  /** getattr's result from the glue's out area. */
  protected abstract decodeAttr(ino: number, o: Float64Array): Attr;
  /** The directory record at `p` of the glue's readdir buffer. */
  protected abstract decodeDirRecord(heap: Uint8Array, dv: DataView, p: number): DirRecord;

  statfs(): StatVfs {
    this.check('statfs');
    return this.mod.invoke(() => {
      this.ok(this.em._gk_statfs(this.h));
      const o = this.mod.out();
      return {
        bsize: o[0]!, frsize: o[1]!, blocks: o[2]!, bfree: o[3]!, bavail: o[4]!,
        files: o[5]!, ffree: o[6]!, favail: o[7]!, fsid: this.fsid(o), flag: o[11]!, namemax: o[10]!,
      };
    });
  }

  getattr(ino: number): Attr {
    this.check('getattr', ino);
    return this.mod.invoke(() => {
      this.ok(this.em._gk_getattr(this.h, ino));
      return this.decodeAttr(ino, this.mod.out());
    });
  }

  lookup(dir: number, name: string): number {
    this.check('lookup', dir);
    return this.mod.invoke(() =>
      this.mod.withNames([name], ([p], [l]) => {
        this.ok(this.em._gk_lookup(this.h, dir, p!, l!));
        return this.mod.out()[0]!;
      }),
    );
  }

  readdir(dir: number): DirEntry[] {
    this.check('readdir', dir);
    return this.mod.invoke(() => {
      this.ok(this.em._gk_readdir(this.h, dir));
      const o = this.mod.out();
      const ptr = o[0]!, len = o[1]!, count = o[2]!;
      const entries: DirEntry[] = [];
      if (!ptr) return entries;
      try {
        const heap = this.em.HEAPU8;
        const dv = new DataView(heap.buffer, heap.byteOffset, heap.byteLength);
        for (let i = 0, p = ptr; i < count && p < ptr + len; i++) {
          const rec = this.decodeDirRecord(heap, dv, p);
          entries.push(rec.entry);
          p = rec.next;
        }
      } finally {
        this.em._free(ptr);
      }
      return entries;
    });
  }

  /** The name of a directory record: `len` bytes of UTF-8 at `at`. */
  protected static utf8At(heap: Uint8Array, at: number, len: number): string {
    return utf8d.decode(heap.subarray(at, at + len));
  }

  readlink(ino: number): string {
    this.check('readlink', ino);
    return this.mod.invoke(() => {
      this.ok(this.em._gk_readlink(this.h, ino));
      const o = this.mod.out();
      const ptr = o[0]!, len = o[1]!;
      try {
        return utf8d.decode(this.em.HEAPU8.subarray(ptr, ptr + len));
      } finally {
        this.em._free(ptr);
      }
    });
  }

  abstract read(ino: number, offset: number, length: number): Uint8Array;
  abstract write(ino: number, offset: number, data: Uint8Array): void;
  abstract create(dir: number, name: string, mode: number, uid: number, gid: number): number;
  abstract mkdir(dir: number, name: string, mode: number, uid: number, gid: number): number;
  abstract symlink(dir: number, name: string, target: string, uid: number, gid: number): number;
  abstract setattr(ino: number, attr: SetAttr): void;

  /** A read's arguments, checked before they reach C. */
  protected static checkRange(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new FsError('EINVAL', 'invalid offset or length');
    }
  }

  protected static checkOffset(offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new FsError('EINVAL', 'invalid offset');
  }

  /** setattr's times, checked before they reach C; returns their SA_ATIME/SA_MTIME bits. */
  protected static timeMask(attr: SetAttr): number {
    for (const t of [attr.atime, attr.mtime]) {
      if (t && (!Number.isInteger(t.sec) || !Number.isInteger(t.nsec) || t.nsec < 0 || t.nsec > 999_999_999)) {
        throw new FsError('EINVAL', 'invalid timestamp');
      }
    }
    return (attr.atime !== undefined ? SA_ATIME : 0) | (attr.mtime !== undefined ? SA_MTIME : 0);
  }

  /** A call that makes the entry `names[0]` in `dir` and leaves the new inode number in out[0]. */
  protected makeEntry(op: string, dir: number, names: string[], call: (ptrs: number[], lens: number[]) => number): number {
    this.checkWrite(op, dir);
    return this.mod.invoke(() =>
      this.mod.withNames(names, (ptrs, lens) => {
        this.ok(call(ptrs, lens));
        return this.mod.out()[0]!;
      }),
    );
  }

  truncate(ino: number, size: number): void {
    this.checkWrite('truncate', ino);
    if (!Number.isSafeInteger(size) || size < 0) throw new FsError('EINVAL', 'invalid size');
    this.mod.invoke(() => this.ok(this.em._gk_truncate(this.h, ino, size)));
  }

  link(ino: number, dir: number, name: string): void {
    this.checkWrite('link', ino, dir);
    this.mod.invoke(() => this.mod.withNames([name], ([p], [l]) => this.ok(this.em._gk_link(this.h, ino, dir, p!, l!))));
  }

  unlink(dir: number, name: string): void {
    this.checkWrite('unlink', dir);
    this.mod.invoke(() => this.mod.withNames([name], ([p], [l]) => this.ok(this.em._gk_unlink(this.h, dir, p!, l!))));
  }

  rmdir(dir: number, name: string): void {
    this.checkWrite('rmdir', dir);
    this.mod.invoke(() => this.mod.withNames([name], ([p], [l]) => this.ok(this.em._gk_rmdir(this.h, dir, p!, l!))));
  }

  rename(srcDir: number, srcName: string, dstDir: number, dstName: string): void {
    this.checkWrite('rename', srcDir, dstDir);
    this.mod.invoke(() =>
      this.mod.withNames([srcName, dstName], ([s, d], [sl, dl]) => this.ok(this.em._gk_rename(this.h, srcDir, s!, sl!, dstDir, d!, dl!))),
    );
  }

  flush(): void {
    this.check('flush');
    if (this.readOnly) return;
    this.mod.invoke(() => this.ok(this.em._gk_flush(this.h)));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (!this.mod.dead) this.mod.invoke(() => this.ok(this.em._gk_close(this.h)));
    } finally {
      this.mod.unregister(this.devId);
    }
  }
}

/**
 * The open sequence both share: refuse a writable open of a read-only device,
 * register the device with the module, run `open` with its id, and unregister
 * it again when the open fails.
 */
export function openOnDevice<M extends GlueModule<GlueExports>, D>(module: M, device: SyncDevice, readOnly: boolean, open: (id: number) => D): D {
  if (!readOnly && device.readOnly) throw new FsError('EROFS', 'cannot open read-write: the device is read-only');
  const id = module.register(device);
  try {
    return module.invoke(() => open(id));
  } catch (e) {
    module.unregister(id);
    throw e;
  }
}
