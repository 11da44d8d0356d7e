/**
 * The FatFs side of a FAT volume: calls into js-fatfs and their errors.
 */
import { codeOfError, type GuestkitCode } from '../../errors/index.js';
import { FsError, type SyncDevice } from '../fs-driver.js';
import { readCString } from '../../wasm/heap.js';
import { type FatGeometry } from './fat-layout.js';
import { FF, FR, FR_NAMES, type FatFsInstance, type FfModule } from './fatfs-module.js';

/** Size of the heap buffer file data moves through. */
export const IO_CHUNK = 1 << 20;

const utf8 = new TextEncoder();

function frErrno(res: number): GuestkitCode {
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

/**
 * One FatFs volume's plumbing: the module, the heap objects and path buffers
 * calls use, mounting, and FatFs results turned into FsErrors.
 */
export abstract class FatFsSession {
  protected closed = false;
  protected readonly ff: FfModule;
  protected readonly drive: string;

  // heap objects
  protected fsObj = 0;
  protected dirObj = 0;
  protected fno = 0;
  protected io = 0;
  protected word = 0;
  private pathBufs: { ptr: number; cap: number }[] = [{ ptr: 0, cap: 0 }, { ptr: 0, cap: 0 }];

  constructor(
    protected readonly inst: FatFsInstance,
    protected readonly pdrv: number,
    readonly device: SyncDevice,
    readonly geo: FatGeometry,
    readonly readOnly: boolean,
  ) {
    this.ff = inst.ff;
    this.drive = `${pdrv}:`;
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

  protected remount(): void {
    this.call('mount', () => this.ff._f_mount(this.fsObj, this.path(0, this.drive), 1));
  }

  protected freeHeap(): void {
    const ff = this.ff;
    for (const p of [this.fsObj, this.dirObj, this.fno, this.io, this.word, ...this.pathBufs.map((b) => b.ptr)]) {
      if (p) ff._free(p);
    }
    this.fsObj = this.dirObj = this.fno = this.io = this.word = 0;
  }

  /** Copies a NUL-terminated UTF-8 string into path buffer `which` (0 or 1). */
  protected path(which: number, s: string): number {
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

  protected frError(res: number, what: string): FsError {
    const dev = this.inst.takeDeviceError();
    const detail = dev === undefined ? '' : `: ${dev instanceof Error ? dev.message : String(dev)}`;
    // A device error keeps its own code (EROFS, ENOSPC, ENBD, ...) and comes along as the cause.
    const code = dev === undefined ? frErrno(res) : codeOfError(dev);
    return new FsError(code, `${what}: ${FR_NAMES[res] ?? `FatFs error ${res}`}${detail}`, dev === undefined ? {} : { cause: dev });
  }

  /** Runs a FatFs call that returns an FRESULT; throws FsError unless FR_OK. */
  protected call(what: string, fn: () => number): void {
    const res = this.inst.invoke(fn);
    if (res !== FR.OK) throw this.frError(res, what);
  }

  /** Like call() but returns the FRESULT for the caller to interpret (device errors still throw). */
  protected try(fn: () => number): number {
    const res = this.inst.invoke(fn);
    if (res === FR.DISK_ERR || res === FR.INT_ERR || res === FR.NOT_READY) throw this.frError(res, 'I/O error');
    return res;
  }

  protected check(op: string): void {
    if (this.closed) throw new FsError('EBADF', `${op}: filesystem is closed`);
  }

  protected checkWrite(op: string): void {
    this.check(op);
    if (this.readOnly) throw new FsError('EROFS', `${op}: read-only filesystem`);
  }

  protected fnoName(): string {
    return readCString(this.ff.HEAPU8, this.ff._FILINFO_fname(this.fno));
  }
}
