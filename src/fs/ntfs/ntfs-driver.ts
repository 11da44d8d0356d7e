/**
 * NTFS through our own WebAssembly build of ntfs-3g's libntfs-3g
 * (wasm/ntfs: build.sh, config.h, glue.c; wasm/common-io.js). One module instance can
 * hold several open volumes, each on its own SyncDevice: the C device
 * operations call back into JS with a device id, and GlueModule
 * (../wasm-module.ts) maps ids to devices.
 *
 * What callers see follows a plain `mount -t ntfs-3g DEV DIR` done by root
 * (what libguestfs's appliance does), without user mapping:
 * - inode numbers are MFT record numbers (root = 5);
 * - permissions: NTFS keeps no POSIX mode/owner, so every directory is
 *   0777 & ~dmask, every file 0777 & ~fmask, symlinks 0777, owned by
 *   uid/gid (all defaults 0, as ntfs-3g's umask/fmask/dmask/uid/gid
 *   options); chmod/chown are accepted and ignored (ntfs-3g's default
 *   "silent" option); directories report nlink 1 (ntfs-3g: for find(1)),
 *   files the MFT record's link count;
 * - names: UTF-16 on disk, UTF-8 here, shown exactly as stored; lookup
 *   prefers an exact match, then matches case-insensitively through the
 *   volume's $UpCase table (as Windows does) unless `caseSensitive`;
 *   create/mkdir/symlink/link/rename refuse a name that exists in another
 *   case (EEXIST), except a rename that only changes the case of a name;
 * - readdir: no '.', '..', metadata files ($MFT, $Extend, ...) or DOS 8.3
 *   names; hidden files are shown (what ntfs-3g shows);
 * - symlinks: junctions and Windows symlinks are S_IFLNK and readlink gives
 *   ntfs-3g's translation with the volume mounted at "" (so `\??\C:\Users`
 *   becomes "/Users" when it exists on this volume, otherwise
 *   "/.NTFS-3G/C:/Users"; relative links stay relative); new symlinks are
 *   Interix symlinks, as ntfs-3g creates them (Windows sees a system file);
 * - a hibernated or fast-restarted volume opens read-only only (EROFS
 *   otherwise); an unclean journal is reset on a read-write open, as
 *   ntfs-3g's default "recover" does;
 * - atime is not updated on reads.
 *
 * Errors: the glue returns an errno of its libc or its own code;
 * gk_err_name() turns it into a Linux errno name (never emscripten's
 * numbers) and gk_err_msg() gives the text, with the first error ntfs-3g
 * logged during the call appended. A wasm abort or trap marks the module
 * dead: every later call throws instead of running on a broken heap.
 */
import { FsError, type Attr, type FsDriver, type SetAttr, type SyncDevice } from '../fs-driver.js';
import { wasmBuildDir } from '../../wasm/package-root.js';
import { GlueModule, deviceError, loadGlueModule } from '../wasm-module.js';
import { WasmFsDriverBase, openOnDevice, timespecAt, type DirRecord, type WasmFsExports } from '../wasm-fs-driver-base.js';

/** The raw emscripten module: its own calls beside the shared ones (only what we use). */
interface EmModule extends WasmFsExports {
  _gk_open(dev: number, size: number, rw: number, caseSensitive: number): number;
  _gk_info(h: number): void;
  _gk_read(h: number, ino: number, offset: number, len: number, out: number): number;
  _gk_map(h: number, ino: number, offset: number, len: number): number;
  _gk_write(h: number, ino: number, offset: number, len: number, data: number): number;
  _gk_create(h: number, dir: number, name: number, len: number): number;
  _gk_mkdir(h: number, dir: number, name: number, len: number): number;
  _gk_symlink(h: number, dir: number, name: number, len: number, target: number, tlen: number): number;
  _gk_setattr(h: number, ino: number, mask: number, asec: number, ansec: number, msec: number, mnsec: number): number;
  _gk_set_reparse(h: number, ino: number, data: number, len: number): number;
  _gk_set_dos_name(h: number, dir: number, name: number, len: number, dos: number, doslen: number): number;
  _gk_test_abort(): void;
}

/** Largest single transfer handed to C (keeps the wasm heap small and warm). */
const BOUNCE = 8 * 1024 * 1024;

const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFLNK = 0o120000;

/** Directory holding ntfs.cjs and ntfs.wasm. */
export function ntfsBuildDir(): string {
  return wasmBuildDir('ntfs');
}

/** One instance of the WASM module, shared by any number of open volumes. */
export class NtfsModule extends GlueModule<EmModule> {
  constructor() {
    super('ntfs');
  }
}

/** Loads (instantiates) the ntfs WASM module. */
export async function loadNtfsModule(): Promise<NtfsModule> {
  return loadGlueModule(new NtfsModule(), 'ntfs', "run 'bash wasm/ntfs/build.sh'");
}

export interface NtfsOpenOptions {
  readOnly: boolean;
  /** Exact-case lookups only (default false: Windows semantics). */
  caseSensitive?: boolean;
  /** Owner reported for every file (ntfs-3g's uid= option; default 0). */
  uid?: number;
  /** Group reported for every file (ntfs-3g's gid= option; default 0). */
  gid?: number;
  /** Permission bits removed from files (ntfs-3g's fmask=; default 0). */
  fmask?: number;
  /** Permission bits removed from directories (ntfs-3g's dmask=; default 0). */
  dmask?: number;
}

/** Linux dev_t encoding (as glibc's makedev). */
function makedev(major: number, minor: number): number {
  return (
    (major & 0xfff) * 0x100 + (minor & 0xff) + Math.floor(minor / 0x100) * 0x10_0000 + Math.floor(major / 0x1000) * 0x1_0000_0000
  );
}

class NtfsDriver extends WasmFsDriverBase<EmModule> {
  readonly type = 'ntfs';
  readonly rootIno = 5;
  private readonly blksize: number;

  constructor(
    mod: NtfsModule,
    devId: number,
    private readonly device: SyncDevice,
    h: number,
    readOnly: boolean,
    private readonly opts: Required<Omit<NtfsOpenOptions, 'readOnly' | 'caseSensitive'>>,
  ) {
    super(mod, devId, h, readOnly);
    mod.em._gk_info(h);
    this.blksize = mod.out()[0]!;
  }

  /** The volume serial number, folded to a safe integer. */
  protected fsid(o: Float64Array): number {
    return (o[9]! % 0x20_0000) * 0x1_0000_0000 + o[8]!;
  }

  protected decodeAttr(ino: number, o: Float64Array): Attr {
    const type = o[0]! & S_IFMT;
    let perm = o[0]! & 0o7777;
    if (type === S_IFDIR) perm &= ~this.opts.dmask;
    else if (type !== S_IFLNK) perm &= ~this.opts.fmask;
    return {
      ino, mode: type | perm, nlink: o[1]!, uid: this.opts.uid, gid: this.opts.gid, size: o[2]!, blocks: o[3]!,
      blksize: this.blksize, rdev: makedev(o[10]!, o[11]!),
      atime: timespecAt(o, 4), mtime: timespecAt(o, 6), ctime: timespecAt(o, 8),
    };
  }

  /** u32 + u16 MFT reference (48 bits), u8 type, u16 name length, the name. */
  protected decodeDirRecord(heap: Uint8Array, dv: DataView, p: number): DirRecord {
    const nl = dv.getUint16(p + 7, true);
    const ino = dv.getUint32(p, true) + dv.getUint16(p + 4, true) * 0x1_0000_0000;
    return { entry: { name: WasmFsDriverBase.utf8At(heap, p + 9, nl), ino, type: heap[p + 6]! }, next: p + 9 + nl };
  }

  /**
   * Plain (non-resident, uncompressed, unencrypted) data is read straight
   * from the device into the result: the glue maps the byte range to device
   * extents (gk_map) and JS reads them, no copy through the wasm heap.
   * Anything else goes through gk_read and one small bounce buffer.
   */
  read(ino: number, offset: number, length: number): Uint8Array {
    this.check('read', ino);
    WasmFsDriverBase.checkRange(offset, length);
    return this.mod.invoke(() => {
      this.ok(this.em._gk_map(this.h, ino, offset, length));
      let o = this.mod.out();
      const res = new Uint8Array(Math.max(0, Math.min(length, o[1] - offset)));
      if (o[0] < 0) return this.readBounce(ino, offset, res);
      let pos = offset;
      const end = offset + res.length;
      for (;;) {
        const n = o[0], ptr = o[2];
        const ext = new Float64Array(this.em.HEAPU8.buffer, ptr, n * 3).slice();
        for (let i = 0; i < n; i++) {
          const foff = ext[i * 3], doff = ext[i * 3 + 1], len = ext[i * 3 + 2];
          if (doff >= 0) {
            if (doff + len > this.device.size) {
              throw new FsError('EIO', `corrupt run list: data at ${doff}+${len} beyond the end of the device`);
            }
            try {
              this.device.read(doff, res.subarray(foff - offset, foff - offset + len));
            } catch (e) {
              throw deviceError(e);
            }
          }
          pos = foff + len;
        }
        if (pos >= end || n === 0) break;
        this.ok(this.em._gk_map(this.h, ino, pos, end - pos));
        o = this.mod.out();
        if (o[0] < 0) return this.readBounce(ino, offset, res, pos - offset);
      }
      return res;
    });
  }

  /** reads into `res` from `from` on, through the wasm heap */
  private readBounce(ino: number, offset: number, res: Uint8Array, from = 0): Uint8Array {
    const bsize = Math.max(1, Math.min(res.length - from, BOUNCE));
    const buf = this.em._malloc(bsize);
    if (!buf) throw new FsError('ENOMEM', 'out of memory in the ntfs module');
    try {
      let total = from;
      while (total < res.length) {
        const want = Math.min(res.length - total, bsize);
        this.ok(this.em._gk_read(this.h, ino, offset + total, want, buf));
        const got = this.mod.out()[0];
        // (TypedArray.set is a memcpy; slice() on wasm memory can be slow)
        res.set(this.em.HEAPU8.subarray(buf, buf + got), total);
        total += got;
        if (got < want) break;
      }
      return total === res.length ? res : res.subarray(0, total);
    } finally {
      if (!this.mod.dead) this.em._free(buf);
    }
  }

  write(ino: number, offset: number, data: Uint8Array): void {
    this.checkWrite('write', ino);
    WasmFsDriverBase.checkOffset(offset);
    this.mod.invoke(() => {
      let done = 0;
      const size = Math.min(data.length, BOUNCE);
      const buf = this.em._malloc(size || 1);
      if (!buf) throw new FsError('ENOMEM', 'out of memory in the ntfs module');
      try {
        do {
          const n = Math.min(data.length - done, BOUNCE);
          this.em.HEAPU8.set(data.subarray(done, done + n), buf);
          this.ok(this.em._gk_write(this.h, ino, offset + done, n, buf));
          done += n;
        } while (done < data.length);
      } finally {
        if (!this.mod.dead) this.em._free(buf);
      }
    });
  }

  create(dir: number, name: string, _mode: number, _uid: number, _gid: number): number {
    return this.makeEntry('create', dir, [name], ([p], [l]) => this.em._gk_create(this.h, dir, p!, l!));
  }

  mkdir(dir: number, name: string, _mode: number, _uid: number, _gid: number): number {
    return this.makeEntry('mkdir', dir, [name], ([p], [l]) => this.em._gk_mkdir(this.h, dir, p!, l!));
  }

  symlink(dir: number, name: string, target: string, _uid: number, _gid: number): number {
    return this.makeEntry('symlink', dir, [name, target], ([p, t], [l, tl]) => this.em._gk_symlink(this.h, dir, p!, l!, t!, tl!));
  }

  /**
   * Times are stored (100 ns precision). mode/uid/gid are accepted and
   * ignored: without user mapping NTFS has nowhere to keep them, and
   * ntfs-3g (default option "silent") answers chmod/chown with success.
   */
  setattr(ino: number, attr: SetAttr): void {
    this.checkWrite('setattr', ino);
    const mask = WasmFsDriverBase.timeMask(attr);
    if (mask === 0) {
      this.getattr(ino); // existence check only
      return;
    }
    this.mod.invoke(() =>
      this.ok(
        this.em._gk_setattr(
          this.h, ino, mask,
          attr.atime?.sec ?? 0, attr.atime?.nsec ?? 0, attr.mtime?.sec ?? 0, attr.mtime?.nsec ?? 0,
        ),
      ),
    );
  }

  /**
   * Sets the raw reparse data (REPARSE_POINT header + data) of `ino`, as
   * ntfs-3g's system.ntfs_reparse_data extended attribute: this makes
   * junctions and Windows symbolic links.
   */
  setReparseData(ino: number, data: Uint8Array): void {
    this.checkWrite('setReparseData', ino);
    this.mod.invoke(() => {
      const p = this.mod.alloc(data);
      try {
        this.ok(this.em._gk_set_reparse(this.h, ino, p, data.length));
      } finally {
        if (!this.mod.dead) this.em._free(p);
      }
    });
  }

  /**
   * Gives the entry `name` of `dir` a DOS 8.3 name, as ntfs-3g's
   * system.ntfs_dos_name extended attribute (and Windows) do.
   */
  setDosName(dir: number, name: string, dosName: string): void {
    this.checkWrite('setDosName', dir);
    this.mod.invoke(() =>
      this.mod.withNames([name, dosName], ([p, d], [l, dl]) => this.ok(this.em._gk_set_dos_name(this.h, dir, p, l, d, dl))),
    );
  }

}

/** Sets the DOS 8.3 name of an NTFS directory entry (see NtfsDriver.setDosName). */
export function ntfsSetDosName(fs: FsDriver, dir: number, name: string, dosName: string): void {
  if (!(fs instanceof NtfsDriver)) throw new FsError('EINVAL', 'not an NTFS filesystem');
  fs.setDosName(dir, name, dosName);
}

/** Sets raw reparse data on an NTFS inode (see NtfsDriver.setReparseData). */
export function ntfsSetReparseData(fs: FsDriver, ino: number, data: Uint8Array): void {
  if (!(fs instanceof NtfsDriver)) throw new FsError('EINVAL', 'not an NTFS filesystem');
  fs.setReparseData(ino, data);
}

/**
 * Opens the NTFS volume on `device`. Throws FsError('EINVAL') when there is
 * no NTFS boot sector, FsError('EIO') for a damaged volume (with ntfs-3g's
 * reason in the message), and FsError('EROFS') for a read-write open of a
 * hibernated / fast-restarted volume.
 */
export function openNtfs(module: NtfsModule, device: SyncDevice, opts: NtfsOpenOptions): FsDriver {
  const readOnly = opts.readOnly;
  return openOnDevice(module, device, readOnly, (id) => {
    const rc = module.em._gk_open(id, device.size, readOnly ? 0 : 1, opts.caseSensitive ? 1 : 0);
    if (rc !== 0) throw module.error(rc, 'cannot open NTFS volume');
    const h = module.out()[0]!;
    return new NtfsDriver(module, id, device, h, readOnly, {
      uid: opts.uid ?? 0,
      gid: opts.gid ?? 0,
      fmask: opts.fmask ?? 0,
      dmask: opts.dmask ?? 0,
    });
  });
}
