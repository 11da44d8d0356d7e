/**
 * The JS side shared by our own WebAssembly filesystem builds (wasm/ext2fs,
 * wasm/ntfs): their glue.c exports the same gk_* conventions and
 * wasm/common-io.js forwards their device I/O to Module.gkIo with a device id.
 *
 * - Devices: one module instance serves several open filesystems; each
 *   SyncDevice gets an id, and `io` dispatches the C callbacks by it. A
 *   device exception becomes a -1 return (no JS exception may unwind through
 *   C frames) and is remembered, so the error that follows reports it, with
 *   the device error's code and the device error as its cause.
 * - Results: the glue writes numbers into a shared double array (gk_outbuf).
 * - Errors: gk_err_name() gives a Linux errno name, gk_err_msg() the text.
 * - Aborts: see AbortGuard.
 */
import { AbortGuard } from '../wasm/abort-guard.js';
import { instantiateEmscripten, readEmscriptenBuild } from '../wasm/emscripten.js';
import { readCString } from '../wasm/heap.js';
import { wasmBuildDir } from '../wasm/package-root.js';
import { FsError, type SyncDevice } from './fs-driver.js';
import { codeOf, codeOfError } from '../errors/index.js';

/** What every glue.c build exports besides its own filesystem calls. */
export interface GlueExports {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _gk_outbuf(): number;
  _gk_err_name(code: number): number;
  _gk_err_msg(code: number): number;
  _gk_heap_used(): number;
}

const utf8 = new TextEncoder();

/** One instance of a glue.c WASM module, shared by any number of open filesystems. */
export class GlueModule<E extends GlueExports> {
  private readonly devices = new Map<number, SyncDevice>();
  private nextDev = 1;
  private pendingError: unknown = undefined;
  private readonly guard: AbortGuard;
  private outPtr = 0;
  /** @internal */ em!: E;

  /** `label` names the module in errors ("ext2fs", "ntfs"). */
  constructor(private readonly label: string) {
    this.guard = new AbortGuard(`${label} WASM module`);
  }

  /** @internal the hooks wasm/common-io.js calls (Module.gkIo) */
  readonly io = {
    read: (dev: number, offset: number, len: number, ptr: number): number =>
      this.onDevice(dev, (d) => this.transfer(d, offset, len, ptr, (view) => d.read(offset, view))),
    write: (dev: number, offset: number, len: number, ptr: number): number =>
      this.onDevice(dev, (d) => {
        if (d.readOnly) throw new FsError('EROFS', 'device is read-only');
        return this.transfer(d, offset, len, ptr, (view) => d.write(offset, view));
      }),
    flush: (dev: number): number =>
      this.onDevice(dev, (d) => {
        d.flush();
        return 0;
      }),
  };

  /** Runs a device call of the C side: an unknown id or a thrown error is kept for the JS caller, and -1 returned. */
  private onDevice(dev: number, call: (d: SyncDevice) => number): number {
    const d = this.devices.get(dev);
    if (!d) return this.ioFail(new FsError('ENXIO', `${this.label}: unknown device id ${dev}`));
    try {
      return call(d);
    } catch (e) {
      return this.ioFail(e);
    }
  }

  /** The part of [offset, offset + len) before the device's end, moved by `move` through a view of the heap at ptr: its length. */
  private transfer(d: SyncDevice, offset: number, len: number, ptr: number, move: (view: Uint8Array) => void): number {
    if (offset >= d.size) return 0;
    const n = Math.min(len, d.size - offset);
    move(this.em.HEAPU8.subarray(ptr, ptr + n));
    return n;
  }

  private ioFail(e: unknown): number {
    if (this.pendingError === undefined) this.pendingError = e;
    return -1;
  }

  /** @internal */
  markDead(reason: string): void {
    this.guard.markDead(reason);
  }

  get dead(): boolean {
    return this.guard.dead;
  }

  /** Bytes of wasm linear memory (grows, never shrinks). */
  heapSize(): number {
    return this.em.HEAPU8.length;
  }

  /** Bytes currently allocated by malloc inside the module. */
  heapUsed(): number {
    return this.invoke(() => this.em._gk_heap_used());
  }

  /** @internal */
  register(device: SyncDevice): number {
    const id = this.nextDev++;
    this.devices.set(id, device);
    return id;
  }

  /** @internal */
  unregister(id: number): void {
    this.devices.delete(id);
  }

  /**
   * Runs one call into the module. Any trap/abort marks the module dead;
   * afterwards every call throws.
   * @internal
   */
  invoke<T>(fn: () => T): T {
    return this.guard.run(() => {
      this.pendingError = undefined;
      return fn();
    });
  }

  /** @internal the C result area (re-viewed on each use: the heap may grow) */
  out(): Float64Array {
    if (!this.outPtr) this.outPtr = this.em._gk_outbuf();
    return new Float64Array(this.em.HEAPU8.buffer, this.outPtr, 32);
  }

  /** @internal */
  cString(ptr: number): string {
    return readCString(this.em.HEAPU8, ptr);
  }

  /** @internal an FsError for a non-zero glue return code */
  error(rc: number, context?: string): FsError {
    const dev = this.pendingError;
    this.pendingError = undefined;
    const msg = this.cString(this.em._gk_err_msg(rc));
    if (dev !== undefined) return deviceError(dev, context, msg);
    return new FsError(codeOf(this.cString(this.em._gk_err_name(rc))), context ? `${context}: ${msg}` : msg);
  }

  /** @internal copies bytes into a fresh malloc'd block (NUL-terminated) */
  alloc(bytes: Uint8Array): number {
    const p = this.em._malloc(bytes.length + 1);
    if (!p) throw new FsError('ENOMEM', `out of memory in the ${this.label} module`);
    const heap = this.em.HEAPU8;
    heap.set(bytes, p);
    heap[p + bytes.length] = 0;
    return p;
  }

  /** @internal runs `fn` with `strs` copied into the heap as NUL-terminated UTF-8 */
  withNames<T>(strs: string[], fn: (ptrs: number[], lens: number[]) => T): T {
    const enc = strs.map((s) => utf8.encode(s));
    const ptrs: number[] = [];
    try {
      for (const b of enc) ptrs.push(this.alloc(b));
      return fn(ptrs, enc.map((b) => b.length));
    } finally {
      if (!this.dead) for (const p of ptrs) this.em._free(p);
    }
  }
}

/**
 * The error for a failed device call. The library saw only "the device failed":
 * the device's own error says how (EROFS, ENOSPC, a dropped NBD server, ...), so
 * its code is the one kept, and the device error is the cause. `libraryText` is
 * what the library said about it.
 */
export function deviceError(dev: unknown, context?: string, libraryText?: string): FsError {
  const msg = `device error: ${dev instanceof Error ? dev.message : String(dev)}${libraryText ? ` (${libraryText})` : ''}`;
  return new FsError(codeOfError(dev), context ? `${context}: ${msg}` : msg, { cause: dev });
}

/**
 * Instantiates wasm/<name>/build/<name>.{cjs,wasm} into `mod`, its device
 * hooks installed. `howToBuild` is the remedy named when the build is missing.
 */
export async function loadGlueModule<M extends GlueModule<GlueExports>>(
  mod: M,
  name: string,
  howToBuild: string,
): Promise<M> {
  const build = readEmscriptenBuild<M['em']>(wasmBuildDir(name), name, howToBuild);
  mod.em = await instantiateEmscripten(build, (reason) => mod.markDead(reason), { gkIo: mod.io });
  return mod;
}
