/**
 * Copy-on-write overlay over any BlockDevice: writes land in 64 KiB chunks
 * (in memory, then past a bound in a temporary file: chunk-store.ts); reads
 * merge them over the base. The base is never written (a commit takes the
 * dirty ranges to a writable handle: journaled-commit.ts), so a read-only
 * handle cannot change the image.
 */
import { readIntoNew, type BlockDevice, type Extent } from './block-device.js';
import { appendExtent } from './extent-list.js';
import { ErrnoError } from '../errors/index.js';
import { checkRange } from './slice.js';
import { ChunkStore } from './chunk-store.js';
import type { CommitRecord } from './commit-journal.js';
import { SerialQueue } from '../util/serial-queue.js';

export const OVERLAY_CHUNK = 64 * 1024;


export class OverlayDevice implements BlockDevice {
  readonly name: string;
  readonly size: number;
  readonly readOnly = false;
  private readonly chunks: ChunkStore;
  private closed = false;
  private readonly writes = new SerialQueue();
  private readonly ownsBase: boolean;

  constructor(
    readonly base: BlockDevice,
    opts: { name?: string; ownsBase?: boolean; memoryLimit?: number } = {},
  ) {
    this.chunks = new ChunkStore(OVERLAY_CHUNK, opts.memoryLimit);
    this.name = opts.name ?? base.name;
    this.size = base.size;
    this.ownsBase = opts.ownsBase ?? true;
  }

  /** Number of chunks written (dirty). */
  get dirtyChunks(): number {
    return this.chunks.size;
  }

  /** Bytes of memory held by dirty chunks. */
  get memoryBytes(): number {
    return this.chunks.memoryBytes;
  }

  /** Bytes of dirty chunks moved out of memory into the spill file. */
  get spilledBytes(): number {
    return this.chunks.spilledBytes;
  }

  private check(): void {
    if (this.closed) throw new ErrnoError('EBADF', `${this.name}: the disk is closed`, { disk: this.name });
  }

  private chunkLength(index: number): number {
    return Math.min(OVERLAY_CHUNK, this.size - index * OVERLAY_CHUNK);
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    return readIntoNew(this, offset, length);
  }

  async readInto(offset: number, into: Uint8Array): Promise<void> {
    this.check();
    checkRange(this.name, this.size, offset, into.length, 'read');
    if (this.chunks.size === 0) return this.base.readInto(offset, into);
    const end = offset + into.length;
    const reads: Promise<void>[] = [];
    // Runs of clean chunks become one base read each.
    let cleanStart = -1;
    const flushClean = (upTo: number) => {
      if (cleanStart >= 0 && upTo > cleanStart) {
        reads.push(this.base.readInto(cleanStart, into.subarray(cleanStart - offset, upTo - offset)));
      }
      cleanStart = -1;
    };
    let pos = offset;
    while (pos < end) {
      const idx = Math.floor(pos / OVERLAY_CHUNK);
      const cStart = idx * OVERLAY_CHUNK;
      const segEnd = Math.min(end, cStart + OVERLAY_CHUNK);
      const c = this.chunks.get(idx);
      if (c === undefined) {
        if (cleanStart < 0) cleanStart = pos;
      } else {
        flushClean(pos);
        if (c === null) into.fill(0, pos - offset, segEnd - offset);
        else into.set(c.subarray(pos - cStart, segEnd - cStart), pos - offset);
      }
      pos = segEnd;
    }
    flushClean(end);
    await Promise.all(reads);
  }

  /** The chunk's bytes, materialized (from the base when clean); store them back after changing them. */
  private async materialize(idx: number): Promise<Uint8Array> {
    const c = this.chunks.get(idx);
    if (c) return c;
    const buf = new Uint8Array(this.chunkLength(idx));
    if (c === undefined) await this.base.readInto(idx * OVERLAY_CHUNK, buf);
    return buf;
  }

  /**
   * Runs one write or zero after the ones before it: a chunk is read, changed
   * and stored back, and a chunk in the spill file comes back as a copy, so two
   * at once could each lose the other's change.
   */
  private serialized(op: () => Promise<void>): Promise<void> {
    return this.writes.run(op);
  }

  /** Calls `fn` for each chunk [offset, offset+length) touches, with the touched part's bounds in the chunk. */
  private async eachChunk(offset: number, length: number, fn: (idx: number, from: number, to: number, whole: boolean) => Promise<void>): Promise<void> {
    const end = offset + length;
    let pos = offset;
    while (pos < end) {
      const idx = Math.floor(pos / OVERLAY_CHUNK);
      const cStart = idx * OVERLAY_CHUNK;
      const cLen = this.chunkLength(idx);
      const segEnd = Math.min(end, cStart + cLen);
      await fn(idx, pos - cStart, segEnd - cStart, pos === cStart && segEnd === cStart + cLen);
      pos = segEnd;
    }
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.check();
    checkRange(this.name, this.size, offset, data.length, 'write');
    return this.serialized(() =>
      this.eachChunk(offset, data.length, async (idx, from, to, whole) => {
        const buf = whole ? (this.chunks.get(idx) ?? new Uint8Array(to)) : await this.materialize(idx);
        const at = idx * OVERLAY_CHUNK + from - offset;
        buf.set(data.subarray(at, at + to - from), from);
        this.chunks.set(idx, buf);
      }),
    );
  }

  async zero(offset: number, length: number, _trim?: boolean): Promise<void> {
    this.check();
    checkRange(this.name, this.size, offset, length, 'zero');
    return this.serialized(() =>
      this.eachChunk(offset, length, async (idx, from, to, whole) => {
        if (whole) {
          this.chunks.set(idx, null);
        } else if (this.chunks.state(idx) !== 'zero') {
          const buf = await this.materialize(idx);
          buf.fill(0, from, to);
          this.chunks.set(idx, buf);
        }
      }),
    );
  }

  /** Nothing to do: the overlay's chunks are not durable anyway, and the base is never written. */
  async flush(): Promise<void> {
    this.check();
  }

  /** The base's fast path while nothing is written over it (see BlockDevice.readIntoIfReady); false once something is. */
  readIntoIfReady(offset: number, into: Uint8Array): boolean {
    this.check();
    return this.chunks.size === 0 && this.base.readIntoIfReady !== undefined && this.base.readIntoIfReady(offset, into);
  }

  extentsIfReady(offset: number, length: number): Extent[] | null {
    this.check();
    return this.chunks.size === 0 && this.base.extentsIfReady ? this.base.extentsIfReady(offset, length) : null;
  }

  async extents(offset: number, length: number): Promise<Extent[]> {
    this.check();
    checkRange(this.name, this.size, offset, length, 'extents');
    // Nothing written yet (a read-only serve): the base's map, without a walk over every chunk.
    if (this.chunks.size === 0) return this.base.extents(offset, length);
    const out: Extent[] = [];
    const push = (e: Extent) => appendExtent(out, e);
    const end = offset + length;
    let pos = offset;
    let cleanStart = -1;
    const flushClean = async (upTo: number) => {
      if (cleanStart >= 0 && upTo > cleanStart) for (const e of await this.base.extents(cleanStart, upTo - cleanStart)) push(e);
      cleanStart = -1;
    };
    while (pos < end) {
      const idx = Math.floor(pos / OVERLAY_CHUNK);
      const segEnd = Math.min(end, idx * OVERLAY_CHUNK + OVERLAY_CHUNK);
      const c = this.chunks.state(idx);
      if (c === undefined) {
        if (cleanStart < 0) cleanStart = pos;
      } else {
        await flushClean(pos);
        push({ offset: pos, length: segEnd - pos, zero: c === 'zero', hole: false });
      }
      pos = segEnd;
    }
    await flushClean(end);
    return out;
  }

  /**
   * The dirty ranges in offset order: runs of adjacent data chunks merged (up
   * to 16 MiB) with their bytes, runs of zeroed chunks as zero ranges.
   */
  async *dirtyRanges(): AsyncGenerator<CommitRecord> {
    this.check();
    const indexes = [...this.chunks.keys()].sort((a, b) => a - b);
    let i = 0;
    while (i < indexes.length) {
      const first = indexes[i]!;
      const isZero = this.chunks.state(first) === 'zero';
      let j = i + 1;
      while (
        j < indexes.length &&
        indexes[j] === indexes[j - 1]! + 1 &&
        (this.chunks.state(indexes[j]!) === 'zero') === isZero &&
        j - i < 256
      ) j++;
      const start = first * OVERLAY_CHUNK;
      const last = indexes[j - 1]!;
      const end = last * OVERLAY_CHUNK + this.chunkLength(last);
      if (isZero) {
        yield { offset: start, length: end - start };
      } else {
        const buf = new Uint8Array(end - start);
        for (let k = i; k < j; k++) buf.set(this.chunks.get(indexes[k]!)!, (indexes[k]! - first) * OVERLAY_CHUNK);
        yield { offset: start, length: end - start, data: buf };
      }
      i = j;
    }
  }

  /** Refuses a commit target that cannot take the overlay's chunks. */
  checkTarget(target: BlockDevice): void {
    this.check();
    if (target.readOnly) throw new ErrnoError('EROFS', `${target.name}: cannot commit the overlay: the disk is read-only`, { disk: target.name });
    if (target.size < this.size) {
      throw new ErrnoError('EINVAL', `${target.name}: cannot commit the overlay: the disk is smaller (${target.size} < ${this.size})`, { disk: target.name });
    }
  }

  /** Forgets every dirty chunk (they were committed to the base): reads go to the base again. */
  discardChunks(): void {
    this.check();
    this.chunks.clear();
  }

  /** Drops the overlay's data and closes the base (when the overlay owns it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.chunks.close();
    if (this.ownsBase) await this.base.close();
  }
}
