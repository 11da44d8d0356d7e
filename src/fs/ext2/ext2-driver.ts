/**
 * ext2/3/4 through our own WebAssembly build of e2fsprogs' libext2fs
 * (wasm/ext2fs: build.sh, glue.c, io-js.js). One module instance can hold
 * several open filesystems, each on its own SyncDevice: the C io manager
 * calls back into JS with a device id, and GlueModule (../wasm-module.ts)
 * maps ids to devices.
 *
 * Errors: the glue returns an errcode; gk_err_name() turns it into a Linux
 * errno name (never emscripten's errno numbers) and gk_err_msg() gives
 * ext2fs's own text (error_message()), so causes such as "Bad magic number
 * in super-block" survive. A wasm abort or trap marks the module dead: every
 * later call throws instead of running on a broken heap.
 */
import {
  FsError,
  type Attr,
  type DirEntry,
  type FsDriver,
  type SetAttr,
  type StatVfs,
  type SyncDevice,
} from '../fs-driver.js';
import { wasmBuildDir } from '../../wasm/package-root.js';
import { GlueModule, loadGlueModule, type GlueExports } from '../wasm-module.js';

/** The raw emscripten module (only what we use). */
interface EmModule extends GlueExports {
  _gk_open(dev: number, rw: number): number;
  _gk_info(h: number): number;
  _gk_flush(h: number): number;
  _gk_close(h: number): number;
  _gk_statfs(h: number): number;
  _gk_getattr(h: number, ino: number): number;
  _gk_lookup(h: number, dir: number, name: number, len: number): number;
  _gk_readdir(h: number, dir: number): number;
  _gk_read(h: number, ino: number, offset: number, len: number, out: number): number;
  _gk_readlink(h: number, ino: number): number;
  _gk_write(h: number, ino: number, offset: number, len: number, data: number): number;
  _gk_truncate(h: number, ino: number, size: number): number;
  _gk_create(h: number, dir: number, name: number, len: number, mode: number, uid: number, gid: number): number;
  _gk_mkdir(h: number, dir: number, name: number, len: number, mode: number, uid: number, gid: number): number;
  _gk_symlink(h: number, dir: number, name: number, len: number, target: number, tlen: number, uid: number, gid: number): number;
  _gk_link(h: number, ino: number, dir: number, name: number, len: number): number;
  _gk_unlink(h: number, dir: number, name: number, len: number): number;
  _gk_rmdir(h: number, dir: number, name: number, len: number): number;
  _gk_rename(h: number, sdir: number, sname: number, slen: number, ddir: number, dname: number, dlen: number): number;
  _gk_setattr(
    h: number, ino: number, mask: number, mode: number, uid: number, gid: number,
    asec: number, ansec: number, msec: number, mnsec: number,
  ): number;
}

/** Largest single transfer handed to C (keeps wasm heap use bounded). */
const MAX_CHUNK = 64 * 1024 * 1024;

const utf8d = new TextDecoder('utf-8');

/** Directory holding ext2fs.cjs and ext2fs.wasm. */
export function ext2BuildDir(): string {
  return wasmBuildDir('ext2fs');
}

/** One instance of the WASM module, shared by any number of open filesystems. */
export class Ext2Module extends GlueModule<EmModule> {
  constructor() {
    super('ext2fs');
  }
}

/** Loads (instantiates) the ext2fs WASM module. */
export async function loadExt2Module(): Promise<Ext2Module> {
  return loadGlueModule(new Ext2Module(), 'ext2fs', "run 'npm run build:wasm' (bash wasm/ext2fs/build.sh)");
}

const SA_MODE = 1, SA_UID = 2, SA_GID = 4, SA_ATIME = 8, SA_MTIME = 16;

class Ext2Driver implements FsDriver {
  readonly rootIno = 2;
  private closed = false;

  constructor(
    private readonly mod: Ext2Module,
    private readonly devId: number,
    private readonly h: number,
    readonly readOnly: boolean,
    readonly type: string,
  ) {}

  private get em(): EmModule {
    return this.mod.em;
  }

  private check(op: string): void {
    if (this.closed) throw new FsError('EBADF', `${op}: filesystem is closed`);
  }

  private checkWrite(op: string): void {
    this.check(op);
    if (this.readOnly) throw new FsError('EROFS', 'read-only filesystem');
  }

  private ok(rc: number): void {
    if (rc !== 0) throw this.mod.error(rc);
  }

  statfs(): StatVfs {
    this.check('statfs');
    return this.mod.invoke(() => {
      this.ok(this.em._gk_statfs(this.h));
      const o = this.mod.out();
      return {
        bsize: o[0],
        frsize: o[1],
        blocks: o[2],
        bfree: o[3],
        bavail: o[4],
        files: o[5],
        ffree: o[6],
        favail: o[7],
        fsid: Number((BigInt(o[9]) << 32n) | BigInt(o[8])),
        flag: o[11],
        namemax: o[10],
      };
    });
  }

  getattr(ino: number): Attr {
    this.check('getattr');
    return this.mod.invoke(() => {
      this.ok(this.em._gk_getattr(this.h, ino));
      const o = this.mod.out();
      return {
        ino,
        mode: o[0],
        nlink: o[1],
        uid: o[2],
        gid: o[3],
        size: o[4],
        blocks: o[5],
        blksize: o[14],
        rdev: o[12],
        atime: { sec: o[6], nsec: o[7] },
        mtime: { sec: o[8], nsec: o[9] },
        ctime: { sec: o[10], nsec: o[11] },
      };
    });
  }

  lookup(dir: number, name: string): number {
    this.check('lookup');
    return this.mod.invoke(() =>
      this.mod.withNames([name], ([p], [l]) => {
        this.ok(this.em._gk_lookup(this.h, dir, p, l));
        return this.mod.out()[0];
      }),
    );
  }

  readdir(dir: number): DirEntry[] {
    this.check('readdir');
    return this.mod.invoke(() => {
      this.ok(this.em._gk_readdir(this.h, dir));
      const o = this.mod.out();
      const ptr = o[0], len = o[1], count = o[2];
      const entries: DirEntry[] = new Array(count);
      try {
        const heap = this.em.HEAPU8;
        const dv = new DataView(heap.buffer, heap.byteOffset, heap.byteLength);
        let p = ptr;
        for (let i = 0; i < count && p < ptr + len; i++) {
          const ino = dv.getUint32(p, true);
          const type = heap[p + 4];
          const nl = heap[p + 5];
          const name = utf8d.decode(heap.subarray(p + 6, p + 6 + nl));
          entries[i] = { name, ino, type };
          p += 6 + nl;
        }
      } finally {
        if (ptr) this.em._free(ptr);
      }
      return entries;
    });
  }

  read(ino: number, offset: number, length: number): Uint8Array {
    this.check('read');
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new FsError('EINVAL', 'invalid offset or length');
    }
    return this.mod.invoke(() => {
      const parts: Uint8Array[] = [];
      let total = 0;
      while (total < length) {
        const want = Math.min(length - total, MAX_CHUNK);
        const buf = this.em._malloc(want || 1);
        if (!buf) throw new FsError('ENOMEM', 'out of memory in the ext2fs module');
        let got: number;
        try {
          this.ok(this.em._gk_read(this.h, ino, offset + total, want, buf));
          got = this.mod.out()[0];
          // (TypedArray.set is a memcpy; slice() on wasm memory can be slow)
          const part = new Uint8Array(got);
          part.set(this.em.HEAPU8.subarray(buf, buf + got));
          parts.push(part);
        } finally {
          if (!this.mod.dead) this.em._free(buf);
        }
        total += got;
        if (got < want) break;
      }
      if (parts.length === 1) return parts[0];
      const res = new Uint8Array(total);
      let p = 0;
      for (const part of parts) {
        res.set(part, p);
        p += part.length;
      }
      return res;
    });
  }

  readlink(ino: number): string {
    this.check('readlink');
    return this.mod.invoke(() => {
      this.ok(this.em._gk_readlink(this.h, ino));
      const o = this.mod.out();
      const ptr = o[0], len = o[1];
      try {
        return utf8d.decode(this.em.HEAPU8.subarray(ptr, ptr + len));
      } finally {
        this.em._free(ptr);
      }
    });
  }

  write(ino: number, offset: number, data: Uint8Array): void {
    this.checkWrite('write');
    if (!Number.isSafeInteger(offset) || offset < 0) throw new FsError('EINVAL', 'invalid offset');
    this.mod.invoke(() => {
      let done = 0;
      do {
        const n = Math.min(data.length - done, MAX_CHUNK);
        const buf = this.em._malloc(n || 1);
        if (!buf) throw new FsError('ENOMEM', 'out of memory in the ext2fs module');
        try {
          this.em.HEAPU8.set(data.subarray(done, done + n), buf);
          this.ok(this.em._gk_write(this.h, ino, offset + done, n, buf));
        } finally {
          if (!this.mod.dead) this.em._free(buf);
        }
        done += n;
      } while (done < data.length);
    });
  }

  truncate(ino: number, size: number): void {
    this.checkWrite('truncate');
    if (!Number.isSafeInteger(size) || size < 0) throw new FsError('EINVAL', 'invalid size');
    this.mod.invoke(() => this.ok(this.em._gk_truncate(this.h, ino, size)));
  }

  create(dir: number, name: string, mode: number, uid: number, gid: number): number {
    this.checkWrite('create');
    return this.mod.invoke(() =>
      this.mod.withNames([name], ([p], [l]) => {
        this.ok(this.em._gk_create(this.h, dir, p, l, mode, uid, gid));
        return this.mod.out()[0];
      }),
    );
  }

  mkdir(dir: number, name: string, mode: number, uid: number, gid: number): number {
    this.checkWrite('mkdir');
    return this.mod.invoke(() =>
      this.mod.withNames([name], ([p], [l]) => {
        this.ok(this.em._gk_mkdir(this.h, dir, p, l, mode, uid, gid));
        return this.mod.out()[0];
      }),
    );
  }

  symlink(dir: number, name: string, target: string, uid: number, gid: number): number {
    this.checkWrite('symlink');
    return this.mod.invoke(() =>
      this.mod.withNames([name, target], ([p, t], [l, tl]) => {
        this.ok(this.em._gk_symlink(this.h, dir, p, l, t, tl, uid, gid));
        return this.mod.out()[0];
      }),
    );
  }

  link(ino: number, dir: number, name: string): void {
    this.checkWrite('link');
    this.mod.invoke(() => this.mod.withNames([name], ([p], [l]) => this.ok(this.em._gk_link(this.h, ino, dir, p, l))));
  }

  unlink(dir: number, name: string): void {
    this.checkWrite('unlink');
    this.mod.invoke(() => this.mod.withNames([name], ([p], [l]) => this.ok(this.em._gk_unlink(this.h, dir, p, l))));
  }

  rmdir(dir: number, name: string): void {
    this.checkWrite('rmdir');
    this.mod.invoke(() => this.mod.withNames([name], ([p], [l]) => this.ok(this.em._gk_rmdir(this.h, dir, p, l))));
  }

  rename(srcDir: number, srcName: string, dstDir: number, dstName: string): void {
    this.checkWrite('rename');
    this.mod.invoke(() =>
      this.mod.withNames([srcName, dstName], ([s, d], [sl, dl]) =>
        this.ok(this.em._gk_rename(this.h, srcDir, s, sl, dstDir, d, dl)),
      ),
    );
  }

  setattr(ino: number, attr: SetAttr): void {
    this.checkWrite('setattr');
    let mask = 0;
    if (attr.mode !== undefined) mask |= SA_MODE;
    if (attr.uid !== undefined) mask |= SA_UID;
    if (attr.gid !== undefined) mask |= SA_GID;
    if (attr.atime !== undefined) mask |= SA_ATIME;
    if (attr.mtime !== undefined) mask |= SA_MTIME;
    for (const t of [attr.atime, attr.mtime]) {
      if (t && (!Number.isInteger(t.sec) || !Number.isInteger(t.nsec) || t.nsec < 0 || t.nsec > 999_999_999)) {
        throw new FsError('EINVAL', 'invalid timestamp');
      }
    }
    this.mod.invoke(() =>
      this.ok(
        this.em._gk_setattr(
          this.h, ino, mask, attr.mode ?? 0, attr.uid ?? 0, attr.gid ?? 0,
          attr.atime?.sec ?? 0, attr.atime?.nsec ?? 0, attr.mtime?.sec ?? 0, attr.mtime?.nsec ?? 0,
        ),
      ),
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
 * Opens the ext2/3/4 filesystem on `device`. Throws FsError when there is no
 * valid filesystem (the message is ext2fs's, e.g. "Bad magic number in
 * super-block"), and FsError('EROFS') for a writable open of a filesystem
 * whose journal needs recovery.
 */
export function openExt2(module: Ext2Module, device: SyncDevice, opts: { readOnly: boolean }): FsDriver {
  const readOnly = opts.readOnly;
  if (!readOnly && device.readOnly) throw new FsError('EROFS', 'cannot open read-write: the device is read-only');
  const id = module.register(device);
  try {
    return module.invoke(() => {
      const rc = module.em._gk_open(id, readOnly ? 0 : 1);
      if (rc !== 0) throw module.error(rc, 'cannot open ext2/3/4 filesystem');
      const h = module.out()[0];
      module.em._gk_info(h);
      const type = `ext${module.out()[1]}`;
      return new Ext2Driver(module, id, h, readOnly, type);
    });
  } catch (e) {
    module.unregister(id);
    throw e;
  }
}
