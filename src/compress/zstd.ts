/**
 * zstd decoding for every reader that meets it (btrfs extents, qcow2 clusters):
 * libzstd's decoder built to WebAssembly (wasm/zstd/build.sh), behind one small
 * API so that the readers never see the module.
 *
 * - Synchronous: the module is compiled and instantiated on first use with
 *   new WebAssembly.Module/Instance (the btrfs driver runs synchronously, in the
 *   wasm worker and in the main thread alike), once per thread.
 * - Bounded memory: one decode context, one input and one output buffer in the
 *   module's heap, grown only when a call needs more and reused after; a call
 *   that needed more than KEEP_HEAP_BYTES leaves the instance to the GC.
 * - Errors: a frame libzstd rejects is a ZstdError naming libzstd's reason; a
 *   trap inside the module (never expected: libzstd checks its input) is a
 *   ZstdError too, and the instance is dropped so the next call gets a fresh one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GuestkitError } from '../errors/index.js';
import { readCString } from '../wasm/heap.js';
import { wasmBuildDir } from '../wasm/package-root.js';

/** A zstd frame that does not decode, or decodes to more than the caller allows. */
export class ZstdError extends GuestkitError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('EBADMSG', message, options);
    this.name = 'ZstdError';
  }
}

/**
 * Decode the first zstd frame of `input` (what follows it, such as padding, is
 * not read), at most `capacity` bytes, into `out`: its first out.length bytes
 * are written, the rest of `out` is left as it is. Returns the decoded length.
 * For hot paths (btrfs extents): no buffer is allocated per call.
 */
export function zstdDecompressFirstFrameInto(out: Uint8Array, input: Uint8Array, capacity: number): number {
  return decoder().decompressFirstFrameInto(out, input, capacity);
}

/**
 * Decode frames from the start of `input` until exactly `size` bytes have come
 * out, the last frame ending there; what follows (padding, garbage) is not read.
 * This is how qemu reads a compressed qcow2 cluster.
 */
export function zstdDecompressExactly(input: Uint8Array, size: number): Uint8Array {
  return decoder().decompressExactly(input, size);
}

/** A multi-frame decode keeps this much window memory at most between calls. */
const KEEP_CONTEXT_BYTES = 8 * 1024 * 1024;
/** Input and output buffers larger than this together are not kept between calls. */
const KEEP_HEAP_BYTES = 16 * 1024 * 1024;

interface ZstdExports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  malloc(n: number): number;
  free(p: number): void;
  gk_frame_length(src: number, n: number): number;
  gk_decompress(dst: number, cap: number, src: number, n: number): number;
  gk_stream_begin(): number;
  gk_stream(dst: number, cap: number, outPos: number, src: number, n: number, inPos: number): number;
  gk_stream_pos(): number;
  gk_context_size(): number;
  gk_context_free(): void;
  gk_error_text(code: number): number;
}

/** libzstd's ZSTD_error_dstSize_tooSmall. */
const DST_TOO_SMALL = 70;

/** A heap buffer in the module, reallocated only when a call needs more, and reused. */
class HeapBuffer {
  ptr = 0;
  size = 0;
  constructor(private readonly ex: ZstdExports) {}
  ensure(n: number): number {
    if (n <= this.size && this.ptr) return this.ptr;
    if (this.ptr) this.ex.free(this.ptr);
    this.ptr = 0;
    this.size = 0;
    const want = Math.max(n, 64 * 1024);
    const p = this.ex.malloc(want);
    if (!p) throw new ZstdError(`zstd: cannot allocate ${want} bytes in the decoder's heap`);
    this.ptr = p;
    this.size = want;
    return p;
  }
}

class ZstdDecoder {
  private readonly input: HeapBuffer;
  private readonly output: HeapBuffer;

  constructor(private readonly ex: ZstdExports) {
    ex._initialize();
    this.input = new HeapBuffer(ex);
    this.output = new HeapBuffer(ex);
  }

  private heap(): Uint8Array {
    return new Uint8Array(this.ex.memory.buffer);
  }

  private run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError)) throw e;
      if (instance === this) instance = undefined;
      throw new ZstdError(`zstd: the decoder trapped (${e.message})`, { cause: e });
    } finally {
      // wasm memory never shrinks: after an outsized call the instance goes (the GC frees its
      // memory) and the next call instantiates the compiled module afresh
      if (instance === this && this.input.size + this.output.size > KEEP_HEAP_BYTES) instance = undefined;
    }
  }

  private fail(code: number, what: string): ZstdError {
    return new ZstdError(`zstd: ${what}: ${readCString(this.heap(), this.ex.gk_error_text(-code))}`);
  }

  /** Copies `input` into the heap: its pointer. */
  private load(input: Uint8Array): number {
    const p = this.input.ensure(input.length);
    this.heap().set(input, p);
    return p;
  }

  decompressFirstFrameInto(out: Uint8Array, input: Uint8Array, capacity: number): number {
    if (input.length === 0) throw new ZstdError('zstd: no frame (empty input)');
    return this.run(() => {
      const src = this.load(input);
      const len = this.ex.gk_frame_length(src, input.length);
      if (len < 0) throw this.fail(len, 'malformed frame');
      const dst = this.output.ensure(capacity);
      const n = this.ex.gk_decompress(dst, capacity, src, len);
      if (n < 0) {
        if (-n === DST_TOO_SMALL) throw new ZstdError(`zstd: data decodes to more than ${capacity} bytes`);
        throw this.fail(n, 'data does not decode');
      }
      out.set(this.heap().subarray(dst, dst + Math.min(n, out.length)));
      return n;
    });
  }

  decompressExactly(input: Uint8Array, size: number): Uint8Array {
    return this.run(() => {
      const ex = this.ex;
      const src = this.load(input);
      const dst = this.output.ensure(size);
      let rc = ex.gk_stream_begin();
      if (rc < 0) throw this.fail(rc, 'cannot start decoding');
      let inPos = 0, outPos = 0;
      try {
        while (outPos < size) {
          rc = ex.gk_stream(dst, size, outPos, src, input.length, inPos);
          if (rc < 0) throw this.fail(rc, 'data does not decode');
          const pos = new Uint32Array(ex.memory.buffer, ex.gk_stream_pos(), 2);
          if (pos[0]! === inPos && pos[1]! === outPos) throw new ZstdError(`zstd: data ends after ${outPos} of ${size} bytes`);
          inPos = pos[0]!;
          outPos = pos[1]!;
        }
        // a frame still open here has more to give: more than `size` bytes
        if (rc !== 0) throw new ZstdError(`zstd: data decodes to more than ${size} bytes`);
        return this.heap().slice(dst, dst + size);
      } finally {
        if (ex.gk_context_size() > KEEP_CONTEXT_BYTES) ex.gk_context_free();
      }
    });
  }
}

let compiled: WebAssembly.Module | undefined;
let instance: ZstdDecoder | undefined;

/** The wasm/zstd build, compiled once per thread. */
function decoder(): ZstdDecoder {
  if (instance) return instance;
  if (!compiled) {
    const file = join(wasmBuildDir('zstd'), 'zstd.wasm');
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(file));
    } catch (e) {
      throw new GuestkitError('ENOENT', `zstd WASM build not found (${file}): run 'npm run build:wasm' (bash wasm/zstd/build.sh)`, { cause: e });
    }
    compiled = new WebAssembly.Module(bytes);
  }
  const inst = new WebAssembly.Instance(compiled, { env: { emscripten_notify_memory_growth: () => {} } });
  instance = new ZstdDecoder(inst.exports as unknown as ZstdExports);
  return instance;
}
