/**
 * ext2/3/4 through our own WebAssembly build of e2fsprogs' libext2fs
 * (wasm/ext2fs: build.sh, glue.c; wasm/common-io.js). One module instance can hold
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
import { FsError, type Attr, type FsDriver, type SetAttr, type SyncDevice } from '../fs-driver.js';
import { wasmBuildDir } from '../../wasm/package-root.js';
import { GlueModule, loadGlueModule } from '../wasm-module.js';
import { SA_GID, SA_MODE, SA_UID, WasmFsDriverBase, openOnDevice, timespecAt, type DirRecord, type WasmFsExports } from '../wasm-fs-driver-base.js';
import { concatBytes } from '../../util/concat-bytes.js';

/** The raw emscripten module: its own calls beside the shared ones (only what we use). */
interface EmModule extends WasmFsExports {
  _gk_open(dev: number, rw: number): number;
  _gk_info(h: number): number;
  _gk_read(h: number, ino: number, offset: number, len: number, out: number): number;
  _gk_write(h: number, ino: number, offset: number, len: number, data: number): number;
  _gk_create(h: number, dir: number, name: number, len: number, mode: number, uid: number, gid: number): number;
  _gk_mkdir(h: number, dir: number, name: number, len: number, mode: number, uid: number, gid: number): number;
  _gk_symlink(h: number, dir: number, name: number, len: number, target: number, tlen: number, uid: number, gid: number): number;
  _gk_setattr(
    h: number, ino: number, mask: number, mode: number, uid: number, gid: number,
    asec: number, ansec: number, msec: number, mnsec: number,
  ): number;
}

/** Largest single transfer handed to C (keeps wasm heap use bounded). */
const MAX_CHUNK = 64 * 1024 * 1024;

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

class Ext2Driver extends WasmFsDriverBase<EmModule> {
  readonly rootIno = 2;

  constructor(mod: Ext2Module, devId: number, h: number, readOnly: boolean, readonly type: string) {
    super(mod, devId, h, readOnly);
  }

  protected fsid(o: Float64Array): number {
    return Number((BigInt(o[9]!) << 32n) | BigInt(o[8]!));
  }

  protected decodeAttr(ino: number, o: Float64Array): Attr {
    return {
      ino, mode: o[0]!, nlink: o[1]!, uid: o[2]!, gid: o[3]!, size: o[4]!, blocks: o[5]!, blksize: o[14]!, rdev: o[12]!,
      atime: timespecAt(o, 6), mtime: timespecAt(o, 8), ctime: timespecAt(o, 10),
    };
  }

  /** u32 inode, u8 type, u8 name length, the name. */
  protected decodeDirRecord(heap: Uint8Array, dv: DataView, p: number): DirRecord {
    const nl = heap[p + 5]!;
    return { entry: { name: WasmFsDriverBase.utf8At(heap, p + 6, nl), ino: dv.getUint32(p, true), type: heap[p + 4]! }, next: p + 6 + nl };
  }

  read(ino: number, offset: number, length: number): Uint8Array {
    this.check('read', ino);
    WasmFsDriverBase.checkRange(offset, length);
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
      return concatBytes(parts, total);
    });
  }

  write(ino: number, offset: number, data: Uint8Array): void {
    this.checkWrite('write', ino);
    WasmFsDriverBase.checkOffset(offset);
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

  create(dir: number, name: string, mode: number, uid: number, gid: number): number {
    return this.makeEntry('create', dir, [name], ([p], [l]) => this.em._gk_create(this.h, dir, p!, l!, mode, uid, gid));
  }

  mkdir(dir: number, name: string, mode: number, uid: number, gid: number): number {
    return this.makeEntry('mkdir', dir, [name], ([p], [l]) => this.em._gk_mkdir(this.h, dir, p!, l!, mode, uid, gid));
  }

  symlink(dir: number, name: string, target: string, uid: number, gid: number): number {
    return this.makeEntry('symlink', dir, [name, target], ([p, t], [l, tl]) => this.em._gk_symlink(this.h, dir, p!, l!, t!, tl!, uid, gid));
  }

  setattr(ino: number, attr: SetAttr): void {
    this.checkWrite('setattr', ino);
    let mask = WasmFsDriverBase.timeMask(attr);
    if (attr.mode !== undefined) mask |= SA_MODE;
    if (attr.uid !== undefined) mask |= SA_UID;
    if (attr.gid !== undefined) mask |= SA_GID;
    this.mod.invoke(() =>
      this.ok(
        this.em._gk_setattr(
          this.h, ino, mask, attr.mode ?? 0, attr.uid ?? 0, attr.gid ?? 0,
          attr.atime?.sec ?? 0, attr.atime?.nsec ?? 0, attr.mtime?.sec ?? 0, attr.mtime?.nsec ?? 0,
        ),
      ),
    );
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
  return openOnDevice(module, device, readOnly, (id) => {
    const rc = module.em._gk_open(id, readOnly ? 0 : 1);
    if (rc !== 0) throw module.error(rc, 'cannot open ext2/3/4 filesystem');
    const h = module.out()[0]!;
    module.em._gk_info(h);
    const type = `ext${module.out()[1]}`;
    return new Ext2Driver(module, id, h, readOnly, type);
  });
}
