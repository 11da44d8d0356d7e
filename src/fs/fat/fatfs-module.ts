/**
 * Loading and sharing the js-fatfs module (ChaN's FatFs R0.15 compiled to
 * WebAssembly; npm `js-fatfs` 0.2.x).
 *
 * Facts about the js-fatfs build this relies on (its ffconf.h and Makefile):
 * - FF_VOLUMES 10: one instance serves up to ten volumes ("0:" … "9:"), each
 *   with its own FATFS object; disk I/O callbacks receive the drive number.
 *   A pool below opens another instance when all ten are taken.
 * - FF_LFN_UNICODE 2: paths and names are UTF-8; FF_USE_LFN 1 (static LFN
 *   buffer); FF_CODE_PAGE 0: the OEM code page is chosen at create() (437,
 *   Linux's default). FF_FS_EXFAT 0, FF_LBA64 0, FF_FS_RPATH 0, FF_FS_LOCK 0
 *   (no protection against removing an open file: the driver closes its
 *   files first), FF_USE_CHMOD 0 (no f_chmod/f_utime: see fat-layout.ts),
 *   FF_FS_NORTC 0, FF_MIN_SS 512 / FF_MAX_SS 4096 (sector size from ioctl).
 * - STACK_SIZE is 8 KiB, so paths are not passed through the cwrap'ed
 *   string helpers (which copy onto that stack): the driver copies them
 *   into malloc'ed memory and calls the raw `_f_*` exports.
 * - get_fattime() uses localtime() of the process; the appliance (and so
 *   libguestfs) writes FAT times in UTC. The wasm import `__localtime_js` is
 *   replaced by a UTC version through the `instantiateWasm` hook, which also
 *   lets all instances share one compiled WebAssembly.Module.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as FatFsPkg from 'js-fatfs';
import type { SyncDevice } from '../fs-driver.js';

/** The raw exports of the emscripten module that the driver uses. */
export interface FfModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _f_mount(fs: number, path: number, opt: number): number;
  _f_open(fp: number, path: number, mode: number): number;
  _f_close(fp: number): number;
  _f_read(fp: number, buff: number, btr: number, br: number): number;
  _f_write(fp: number, buff: number, btw: number, bw: number): number;
  _f_lseek(fp: number, ofs: number): number;
  _f_truncate(fp: number): number;
  _f_sync(fp: number): number;
  _f_opendir(dp: number, path: number): number;
  _f_closedir(dp: number): number;
  _f_readdir(dp: number, fno: number): number;
  _f_stat(path: number, fno: number): number;
  _f_getfree(path: number, nclst: number, fatfs: number): number;
  _f_unlink(path: number): number;
  _f_mkdir(path: number): number;
  _f_rename(oldPath: number, newPath: number): number;
  _f_size_(fp: number): number;
  _FILINFO_fsize(fno: number): number;
  _FILINFO_fdate(fno: number): number;
  _FILINFO_ftime(fno: number): number;
  _FILINFO_fattrib(fno: number): number;
  _FILINFO_fname(fno: number): number;
}

export const FF = {
  FF_MAX_SS: FatFsPkg.FF_MAX_SS,
  sizeof_FATFS: FatFsPkg.sizeof_FATFS,
  sizeof_FIL: FatFsPkg.sizeof_FIL,
  sizeof_DIR: FatFsPkg.sizeof_DIR,
  sizeof_FILINFO: FatFsPkg.sizeof_FILINFO,
  FA_READ: FatFsPkg.FA_READ,
  FA_WRITE: FatFsPkg.FA_WRITE,
  FA_CREATE_NEW: FatFsPkg.FA_CREATE_NEW,
  AM_RDO: FatFsPkg.AM_RDO,
  AM_DIR: FatFsPkg.AM_DIR,
} as const;

/** FRESULT codes, in FatFs's order. */
export const FR_NAMES = [
  'FR_OK', 'FR_DISK_ERR', 'FR_INT_ERR', 'FR_NOT_READY', 'FR_NO_FILE', 'FR_NO_PATH', 'FR_INVALID_NAME',
  'FR_DENIED', 'FR_EXIST', 'FR_INVALID_OBJECT', 'FR_WRITE_PROTECTED', 'FR_INVALID_DRIVE', 'FR_NOT_ENABLED',
  'FR_NO_FILESYSTEM', 'FR_MKFS_ABORTED', 'FR_TIMEOUT', 'FR_LOCKED', 'FR_NOT_ENOUGH_CORE',
  'FR_TOO_MANY_OPEN_FILES', 'FR_INVALID_PARAMETER',
] as const;

export const FR = {
  OK: 0, DISK_ERR: 1, INT_ERR: 2, NOT_READY: 3, NO_FILE: 4, NO_PATH: 5, INVALID_NAME: 6, DENIED: 7, EXIST: 8,
  INVALID_OBJECT: 9, WRITE_PROTECTED: 10, INVALID_DRIVE: 11, NOT_ENABLED: 12, NO_FILESYSTEM: 13,
  NOT_ENOUGH_CORE: 17, TOO_MANY_OPEN_FILES: 18, INVALID_PARAMETER: 19,
} as const;

const RES_OK = 0, RES_ERROR = 1, RES_WRPRT = 2, RES_PARERR = 4;
const STA_NOINIT = 1, STA_PROTECT = 4;
const CTRL_SYNC = 0, GET_SECTOR_COUNT = 1, GET_SECTOR_SIZE = 2, GET_BLOCK_SIZE = 3;

/** What the module needs from an open volume. */
export interface FatDrive {
  readonly device: SyncDevice;
  readonly readOnly: boolean;
  readonly sectorSize: number;
  /** First sector of the data area (read-ahead applies from there). */
  readonly dataSector: number;
  /** Called after every successful write to the device (cache invalidation). */
  onDeviceWrite(offset: number, length: number): void;
}

/**
 * A write-through cache of single sectors. FatFs keeps one sector window per
 * volume and re-reads FAT and directory sectors constantly (every directory
 * scan, every cluster hop, two full scans per create); without this each is
 * a device call. Multi-sector transfers (file data) bypass it, but update
 * sectors it holds. Eviction is first-in first-out: a hit costs one map
 * lookup (reordering on every hit cost more than the misses it saved).
 */
class SectorCache {
  private readonly map = new Map<number, Uint8Array>();
  constructor(private readonly ss: number, private readonly max: number) {}

  get(sector: number): Uint8Array | undefined {
    return this.map.get(sector);
  }

  put(sector: number, data: Uint8Array): void {
    let b = this.map.get(sector);
    if (b) {
      this.map.delete(sector);
    } else {
      if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value as number);
      b = new Uint8Array(this.ss);
    }
    b.set(data);
    this.map.set(sector, b);
  }

  /** Writes `data` (device offset `offset`) into the sectors it overlaps that are cached. */
  patch(offset: number, data: Uint8Array): void {
    if (this.map.size === 0) return;
    const first = Math.floor(offset / this.ss), last = Math.floor((offset + data.length - 1) / this.ss);
    for (let s = first; s <= last; s++) {
      const b = this.map.get(s);
      if (!b) continue;
      const from = Math.max(offset, s * this.ss), to = Math.min(offset + data.length, (s + 1) * this.ss);
      b.set(data.subarray(from - offset, to - offset), from - s * this.ss);
    }
  }

  drop(offset: number, length: number): void {
    if (this.map.size === 0 || length <= 0) return;
    const first = Math.floor(offset / this.ss), last = Math.floor((offset + length - 1) / this.ss);
    for (let s = first; s <= last; s++) this.map.delete(s);
  }

  clear(): void {
    this.map.clear();
  }
}

/** Bytes of sector cache per volume. */
const CACHE_BYTES = 8 << 20;
/** Read-ahead window for file data (bulk mode). */
const READAHEAD_BYTES = 256 << 10;

/**
 * Read-ahead for file data: FatFs reads file data cluster by cluster, so
 * small clusters (512 B on small FAT32 volumes) would cost one device read
 * each. In bulk mode (the driver's read()), a miss in the data area reads
 * a whole window; it never enters the sector cache.
 */
class ReadAhead {
  private buf: Uint8Array;
  private start = 0;
  private count = 0;
  bulk = false;
  constructor(private readonly ss: number, readonly dataSector: number) {
    this.buf = new Uint8Array(READAHEAD_BYTES);
  }

  /** Copies sectors [sector, sector+n) into `into` if the window holds them. */
  serve(sector: number, n: number, into: Uint8Array): boolean {
    if (sector < this.start || sector + n > this.start + this.count) return false;
    const o = (sector - this.start) * this.ss;
    into.set(this.buf.subarray(o, o + n * this.ss));
    return true;
  }

  fill(device: SyncDevice, sector: number): void {
    const total = Math.floor(device.size / this.ss);
    const n = Math.min(Math.floor(this.buf.length / this.ss), total - sector);
    this.count = 0;
    device.read(sector * this.ss, this.buf.subarray(0, n * this.ss));
    this.start = sector;
    this.count = n;
  }

  drop(offset: number, length: number): void {
    if (this.count === 0) return;
    const a = this.start * this.ss, b = (this.start + this.count) * this.ss;
    if (offset < b && offset + length > a) this.count = 0;
  }
}

let compiled: Promise<WebAssembly.Module> | undefined;

function wasmPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('js-fatfs')), 'fatfs.wasm');
}

function compileOnce(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(readFileSync(wasmPath()));
  return compiled;
}

/** One js-fatfs instance: up to ten drives. */
export class FatFsInstance {
  static readonly MAX_DRIVES = 10;
  readonly drives: (FatDrive | undefined)[] = new Array(FatFsInstance.MAX_DRIVES).fill(undefined);
  private readonly caches: (SectorCache | undefined)[] = new Array(FatFsInstance.MAX_DRIVES).fill(undefined);
  private readonly ahead: (ReadAhead | undefined)[] = new Array(FatFsInstance.MAX_DRIVES).fill(undefined);
  /** @internal */ ff!: FfModule;
  /** True when get_fattime() was switched to UTC (the hook found `__localtime_js`). */
  utcTimes = false;
  private pendingError: unknown = undefined;
  private deadReason: string | undefined;

  get dead(): boolean {
    return this.deadReason !== undefined;
  }

  freeSlots(): number {
    return this.drives.filter((d) => d === undefined).length;
  }

  /** @internal reserve a drive number (use attachDrive()) */
  attach(d: FatDrive): number {
    const i = this.drives.indexOf(undefined);
    if (i < 0) throw new Error('js-fatfs: no free drive');
    this.drives[i] = d;
    this.caches[i] = new SectorCache(d.sectorSize, Math.max(64, Math.floor(CACHE_BYTES / d.sectorSize)));
    this.ahead[i] = new ReadAhead(d.sectorSize, d.dataSector);
    return i;
  }

  /** @internal replaces the drive object of an attached drive number */
  setDrive(pdrv: number, d: FatDrive): void {
    this.drives[pdrv] = d;
  }

  detach(pdrv: number): void {
    this.drives[pdrv] = undefined;
    this.caches[pdrv] = undefined;
    this.ahead[pdrv] = undefined;
  }

  /** Bulk mode: file data reads use the read-ahead window (see ReadAhead). */
  setBulk(pdrv: number, on: boolean): void {
    const ra = this.ahead[pdrv];
    if (ra) ra.bulk = on;
  }

  /** Forgets cached sectors after the device was written behind FatFs's back. */
  invalidate(pdrv: number, offset: number, length: number): void {
    this.caches[pdrv]?.drop(offset, length);
    this.ahead[pdrv]?.drop(offset, length);
  }

  /** Brings cached copies up to date after `data` was written at `offset` behind FatFs's back. */
  patch(pdrv: number, offset: number, data: Uint8Array): void {
    this.caches[pdrv]?.patch(offset, data);
    this.ahead[pdrv]?.drop(offset, data.length);
  }

  /** The error a device callback raised during the last call, if any (then cleared). */
  takeDeviceError(): unknown {
    const e = this.pendingError;
    this.pendingError = undefined;
    return e;
  }

  private fail(e: unknown, code = RES_ERROR): number {
    if (this.pendingError === undefined) this.pendingError = e;
    return code;
  }

  /**
   * Runs one call into the module. A trap marks the instance dead: later
   * calls throw instead of running on a broken heap.
   */
  invoke<T>(fn: () => T): T {
    if (this.deadReason !== undefined) throw new Error(`js-fatfs module is unusable after an earlier abort: ${this.deadReason}`);
    this.pendingError = undefined;
    try {
      return fn();
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        this.deadReason = e.message;
        throw new Error(`js-fatfs module aborted: ${e.message}`, { cause: e });
      }
      throw e;
    }
  }

  /** The DiskIO object js-fatfs calls (synchronously, from inside FatFs). */
  readonly diskio = {
    initialize: (_ff: unknown, pdrv: number): number => (this.drives[pdrv] ? 0 : STA_NOINIT),
    status: (_ff: unknown, pdrv: number): number => {
      const d = this.drives[pdrv];
      if (!d) return STA_NOINIT;
      return d.readOnly ? STA_PROTECT : 0;
    },
    read: (_ff: unknown, pdrv: number, buff: number, sector: number, count: number): number => {
      const d = this.drives[pdrv];
      if (!d) return RES_PARERR;
      sector >>>= 0;
      count >>>= 0;
      const cache = this.caches[pdrv]!;
      if (count === 1) {
        // the hot path of directory scans: a cached sector straight into the heap
        const hit = cache.get(sector);
        if (hit) {
          this.ff.HEAPU8.set(hit, buff);
          return RES_OK;
        }
      }
      try {
        const off = sector * d.sectorSize, len = count * d.sectorSize;
        if (off + len > d.device.size) throw new Error(`read beyond the end of the device (offset ${off})`);
        const into = this.ff.HEAPU8.subarray(buff, buff + len);
        const ra = this.ahead[pdrv]!;
        if (ra.bulk && sector >= ra.dataSector && len < READAHEAD_BYTES) {
          if (!ra.serve(sector, count, into)) {
            ra.fill(d.device, sector);
            if (!ra.serve(sector, count, into)) d.device.read(off, into);
          }
        } else if (count === 1) {
          d.device.read(off, into);
          cache.put(sector, into);
        } else {
          d.device.read(off, into);
        }
        return RES_OK;
      } catch (e) {
        return this.fail(e);
      }
    },
    write: (_ff: unknown, pdrv: number, buff: number, sector: number, count: number): number => {
      const d = this.drives[pdrv];
      if (!d) return RES_PARERR;
      if (d.readOnly) return this.fail(new Error('device is read-only'), RES_WRPRT);
      try {
        sector >>>= 0;
        count >>>= 0;
        const off = sector * d.sectorSize, len = count * d.sectorSize;
        if (off + len > d.device.size) throw new Error(`write beyond the end of the device (offset ${off})`);
        const data = this.ff.HEAPU8.subarray(buff, buff + len);
        const cache = this.caches[pdrv]!;
        cache.drop(off, len); // if the device write fails half-way, nothing stale stays cached
        this.ahead[pdrv]!.drop(off, len);
        d.device.write(off, data);
        if (count === 1) cache.put(sector, data);
        d.onDeviceWrite(off, len);
        return RES_OK;
      } catch (e) {
        return this.fail(e);
      }
    },
    ioctl: (_ff: unknown, pdrv: number, cmd: number, buff: number): number => {
      const d = this.drives[pdrv];
      if (!d) return RES_PARERR;
      const view = new DataView(this.ff.HEAPU8.buffer);
      switch (cmd) {
        case CTRL_SYNC:
          // the driver's flush() flushes the device; FatFs syncs after every namespace change
          return RES_OK;
        case GET_SECTOR_COUNT:
          view.setUint32(buff, Math.min(0xffffffff, Math.floor(d.device.size / d.sectorSize)), true);
          return RES_OK;
        case GET_SECTOR_SIZE:
          view.setUint16(buff, d.sectorSize, true);
          return RES_OK;
        case GET_BLOCK_SIZE:
          view.setUint32(buff, 1, true);
          return RES_OK;
        default:
          return RES_PARERR;
      }
    },
  };
}

async function createInstance(): Promise<FatFsInstance> {
  const inst = new FatFsInstance();
  const wasmModule = await compileOnce();
  let memory: WebAssembly.Memory | undefined;
  /** get_fattime() in UTC: a gmtime twin of emscripten's __localtime_js (struct tm of 32-bit ints). */
  const utcLocaltime = (timeLow: number, timeHigh: number, tmPtr: number): void => {
    const t = (timeLow >>> 0) + timeHigh * 4294967296;
    const d = new Date(t * 1000);
    const h = new Int32Array(memory!.buffer);
    const i = tmPtr >> 2;
    h[i] = d.getUTCSeconds();
    h[i + 1] = d.getUTCMinutes();
    h[i + 2] = d.getUTCHours();
    h[i + 3] = d.getUTCDate();
    h[i + 4] = d.getUTCMonth();
    h[i + 5] = d.getUTCFullYear() - 1900;
    h[i + 6] = d.getUTCDay();
    h[i + 7] = Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000);
    h[i + 8] = 0; // tm_isdst
    h[i + 9] = 0; // tm_gmtoff
  };
  const opts = {
    diskio: inst.diskio,
    codepage: 437,
    print: () => {},
    printErr: () => {},
    instantiateWasm(imports: Record<string, Record<string, unknown>>, receive: (i: WebAssembly.Instance) => void) {
      for (const ns of Object.values(imports)) {
        for (const [k, v] of Object.entries(ns)) {
          if (typeof v === 'function' && v.name === '__localtime_js') {
            ns[k] = utcLocaltime;
            inst.utcTimes = true;
          }
        }
      }
      // synchronous instantiation is fine in Node (the module is already compiled)
      const instance = new WebAssembly.Instance(wasmModule, imports as WebAssembly.Imports);
      memory = Object.values(instance.exports).find((x): x is WebAssembly.Memory => x instanceof WebAssembly.Memory);
      receive(instance);
      return instance.exports;
    },
  };
  const ff = await FatFsPkg.create(opts as unknown as FatFsPkg.FatFsOptions);
  inst.ff = ff as unknown as FfModule;
  return inst;
}

const pool: FatFsInstance[] = [];
let creating: Promise<FatFsInstance> | undefined;

/**
 * Attaches `drive` to an instance with a free drive number (creating an
 * instance when all are full). The attach happens synchronously once an
 * instance is found, so concurrent callers never share a drive number.
 */
export async function attachDrive(drive: FatDrive): Promise<{ inst: FatFsInstance; pdrv: number }> {
  for (;;) {
    const free = pool.find((i) => !i.dead && i.freeSlots() > 0);
    if (free) return { inst: free, pdrv: free.attach(drive) };
    if (!creating) {
      creating = createInstance().then((i) => {
        pool.push(i);
        return i;
      }).finally(() => {
        creating = undefined;
      });
    }
    await creating;
  }
}

/** Number of js-fatfs instances created so far (for tests). */
export function instanceCount(): number {
  return pool.length;
}

/** Whether every instance writes FAT times in UTC (for tests). */
export function allInstancesUtc(): boolean {
  return pool.every((i) => i.utcTimes);
}
