/**
 * The copy itself (nbdcopy / qemu-img convert): what to read and write, with a
 * few requests in flight. Sparse by default: ranges the source's allocation map
 * reports as zero and blocks that read as all zeroes are not written (the new
 * file keeps a hole) or are zeroed on targets that are not known to be zero.
 */
import type { BlockDevice } from '../../src/block/block-device.js';
import { ImageError } from '../../src/errors/index.js';
import { isAllZero, isAllZeroRange } from '../../src/util/all-zero.js';
import { pageAlignedBuffers } from '../../src/util/page-aligned.js';
import { CopyInterrupt } from './copy-interrupt.js';
import type { CopyTarget } from './copy-targets.js';

export interface CopyOptions {
  /** Write every byte, zeroes included (no holes). */
  allocated: boolean;
  /** Do not ask the source for its allocation map (zero blocks are still detected). */
  noExtents: boolean;
  /** Requests in flight at once. */
  requests: number;
  /** Bytes per request; by default what the target prefers (CopyTarget.requestSize), else nbdcopy's 256 KiB. */
  blockSize?: number;
  /** Zero runs of this many bytes inside data are not written (nbdcopy -S); 0 writes all data read. */
  sparse: number;
  flush: boolean;
  /** Called after each request with bytes done (holes count as done) and the total. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface CopyResult {
  size: number;
  /** Bytes written as data. */
  written: number;
  /** Bytes skipped or zeroed as zeroes. */
  zeroed: number;
}

interface Op {
  kind: 'data' | 'zero';
  offset: number;
  length: number;
}

/** Data ranges of the source, widened to `grain` so that every write is aligned. */
async function dataRanges(src: BlockDevice, grain: number, noExtents: boolean): Promise<Array<[number, number]>> {
  if (noExtents) return [[0, src.size]];
  const out: Array<[number, number]> = [];
  for (const e of await src.extents(0, src.size)) {
    if (e.zero) continue;
    const start = Math.floor(e.offset / grain) * grain;
    const end = Math.min(src.size, Math.ceil((e.offset + e.length) / grain) * grain);
    const last = out[out.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

/** nbdcopy's request size, for targets without a preference of their own. */
const DEFAULT_REQUEST_SIZE = 256 * 1024;

/** Bytes per request: the size asked for, else the target's, rounded up to whole units of what it must write at once. */
function requestSize(opts: CopyOptions, dst: CopyTarget, grain: number): number {
  return Math.ceil((opts.blockSize ?? dst.requestSize ?? DEFAULT_REQUEST_SIZE) / grain) * grain;
}

/** The zero-detection unit: the -S size, rounded to whole units of what the target must write at once. */
function sparseGrain(sparse: number, grain: number): number {
  return sparse === 0 ? 0 : Math.ceil(sparse / grain) * grain;
}

async function zeroRange(dst: CopyTarget, offset: number, length: number, result: CopyResult): Promise<void> {
  if (!dst.startsZero) await dst.zero(offset, length);
  result.zeroed += length;
}

/** Writes a block read from the source: runs of all-zero `sparse`-sized pieces become holes (or zeroing); 0 writes it whole. */
async function writeBlock(dst: CopyTarget, offset: number, data: Uint8Array, sparse: number, result: CopyResult): Promise<void> {
  if (sparse === 0) {
    await dst.write(offset, data);
    result.written += data.length;
    return;
  }
  // A block of zeroes (most of a sparse image read without a map) is one comparison, not one per `sparse` bytes.
  if (isAllZero(data)) {
    await zeroRange(dst, offset, data.length, result);
    return;
  }
  let runStart = 0;
  let runZero = false;
  const flush = async (end: number) => {
    if (end === runStart) return;
    if (runZero) await zeroRange(dst, offset + runStart, end - runStart, result);
    else {
      await dst.write(offset + runStart, data.subarray(runStart, end));
      result.written += end - runStart;
    }
    runStart = end;
  };
  for (let at = 0; at < data.length; at += sparse) {
    const zero = isAllZeroRange(data, at, Math.min(at + sparse, data.length));
    if (at === 0) runZero = zero;
    else if (zero !== runZero) {
      await flush(at);
      runZero = zero;
    }
  }
  await flush(data.length);
}

/** The operations in offset order: data ranges cut on the block grid, zero ranges between them. */
function* operations(ranges: Array<[number, number]>, size: number, blockSize: number): Generator<Op> {
  let at = 0;
  for (const [start, end] of ranges) {
    if (start > at) yield { kind: 'zero', offset: at, length: start - at };
    for (let o = start; o < end; ) {
      const next = Math.min(end, (Math.floor(o / blockSize) + 1) * blockSize);
      yield { kind: 'data', offset: o, length: next - o };
      o = next;
    }
    at = end;
  }
  if (size > at) yield { kind: 'zero', offset: at, length: size - at };
}

export async function copyDevice(src: BlockDevice, dst: CopyTarget, opts: CopyOptions): Promise<CopyResult> {
  const size = src.size;
  if (dst.fixedSize !== undefined && dst.fixedSize < size) {
    throw new ImageError(dst.name, `the destination (${dst.fixedSize} bytes) is smaller than the source ${src.name} (${size} bytes)`);
  }
  const grain = Math.max(dst.alignment, 512);
  const blockSize = requestSize(opts, dst, grain);
  const ranges = opts.allocated ? [[0, size] as [number, number]] : await dataRanges(src, grain, opts.noExtents);
  // The data's size is known when the source's map says where its data is (not with --allocated or --no-extents).
  if (!opts.allocated && !opts.noExtents) dst.expect?.(ranges.reduce((n, [start, end]) => n + end - start, 0));
  const ops = operations(ranges, size, blockSize);
  const result: CopyResult = { size, written: 0, zeroed: 0 };
  let done = 0;
  const advance = (n: number) => {
    done += n;
    opts.onProgress?.(done, size);
  };
  const zero = (offset: number, length: number) => zeroRange(dst, offset, length, result);
  const worker = async (buf: Uint8Array) => {
    for (let op = ops.next(); !op.done; op = ops.next()) {
      interrupt.check();
      const { kind, offset, length } = op.value;
      if (kind === 'zero') {
        await interrupt.guard(zero(offset, length));
      } else {
        const data = buf.subarray(0, length);
        await interrupt.guard(src.readInto(offset, data));
        await interrupt.guard(writeBlock(dst, offset, data, opts.allocated ? 0 : sparseGrain(opts.sparse, grain), result));
      }
      advance(length);
    }
  };
  opts.onProgress?.(0, size);
  const n = dst.sequential ? 1 : Math.max(1, opts.requests);
  // Every worker stops at its next operation once one fails (they share the generator).
  const interrupt = new CopyInterrupt(opts.signal);
  const workers = pageAlignedBuffers(n, blockSize).map((buf) => worker(buf));
  const settled = await Promise.allSettled(workers).finally(() => interrupt.dispose());
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  await dst.finish(size, opts.flush);
  return result;
}

/** The chunks of `input`, each wait for the next one cut short by Ctrl-C. */
async function* interruptible(input: AsyncIterable<Uint8Array>, interrupt: CopyInterrupt): AsyncGenerator<Uint8Array> {
  const chunks = input[Symbol.asyncIterator]();
  for (;;) {
    const next = await interrupt.guard(chunks.next());
    if (next.done) return;
    yield next.value;
  }
}

/** A raw stream (stdin): read in order, zero blocks left as holes; the size is what the stream held. */
export async function copyStream(input: AsyncIterable<Uint8Array>, dst: CopyTarget, opts: CopyOptions): Promise<CopyResult> {
  const grain = Math.max(dst.alignment, 512);
  const blockSize = requestSize(opts, dst, grain);
  const result: CopyResult = { size: 0, written: 0, zeroed: 0 };
  const [block] = pageAlignedBuffers(1, blockSize) as [Uint8Array];
  let filled = 0;
  let offset = 0;
  const emit = async (data: Uint8Array) => {
    if (dst.fixedSize !== undefined && offset + data.length > dst.fixedSize) {
      throw new ImageError(dst.name, `the input is larger than the destination (${dst.fixedSize} bytes)`);
    }
    await writeBlock(dst, offset, data, opts.allocated ? 0 : sparseGrain(opts.sparse, grain), result);
    offset += data.length;
    opts.onProgress?.(offset, 0);
  };
  const interrupt = new CopyInterrupt(opts.signal);
  try {
    for await (const chunk of interruptible(input, interrupt)) {
      let at = 0;
      while (at < chunk.length) {
        const k = Math.min(chunk.length - at, blockSize - filled);
        block.set(chunk.subarray(at, at + k), filled);
        filled += k;
        at += k;
        if (filled === blockSize) {
          await interrupt.guard(emit(block));
          filled = 0;
        }
      }
    }
  } finally {
    interrupt.dispose();
  }
  if (filled > 0) await emit(block.subarray(0, filled));
  result.size = offset;
  await dst.finish(offset, opts.flush);
  return result;
}
