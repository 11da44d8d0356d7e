/**
 * Copy-on-write overlay over any BlockDevice: writes land in memory, in
 * 64 KiB chunks; reads merge them over the base. The base is never written
 * (except by commitTo), so a read-only handle cannot change the image.
 */
import type { BlockDevice, Extent } from './block-device.js';
import { ErrnoError } from '../errors/index.js';
import { checkRange } from './slice.js';

export const OVERLAY_CHUNK = 64 * 1024;

/** A dirty chunk: its bytes, or null when it reads as zeroes. */
type Chunk = Uint8Array | null;

export class OverlayDevice implements BlockDevice {
  readonly name: string;
  readonly size: number;
  readonly readOnly = false;
  private readonly chunks = new Map<number, Chunk>();
  private closed = false;
  private readonly ownsBase: boolean;

  constructor(
    readonly base: BlockDevice,
    opts: { name?: string; ownsBase?: boolean } = {},
  ) {
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
    let n = 0;
    for (const c of this.chunks.values()) if (c) n += c.length;
    return n;
  }

  private check(): void {
    if (this.closed) throw new ErrnoError('EBADF', `${this.name}: the disk is closed`, { disk: this.name });
  }

  private chunkLength(index: number): number {
    return Math.min(OVERLAY_CHUNK, this.size - index * OVERLAY_CHUNK);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const b = new Uint8Array(length);
    await this.readInto(offset, b);
    return b;
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

  /** The chunk's bytes, materialized (from the base when clean). */
  private async materialize(idx: number): Promise<Uint8Array> {
    const c = this.chunks.get(idx);
    if (c) return c;
    const buf = new Uint8Array(this.chunkLength(idx));
    if (c === undefined) await this.base.readInto(idx * OVERLAY_CHUNK, buf);
    // Another write may have materialized it meanwhile: keep theirs.
    const again = this.chunks.get(idx);
    if (again) return again;
    this.chunks.set(idx, buf);
    return buf;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.check();
    checkRange(this.name, this.size, offset, data.length, 'write');
    const end = offset + data.length;
    let pos = offset;
    while (pos < end) {
      const idx = Math.floor(pos / OVERLAY_CHUNK);
      const cStart = idx * OVERLAY_CHUNK;
      const cLen = this.chunkLength(idx);
      const segEnd = Math.min(end, cStart + cLen);
      let buf: Uint8Array;
      if (pos === cStart && segEnd === cStart + cLen) {
        buf = this.chunks.get(idx) ?? new Uint8Array(cLen);
        this.chunks.set(idx, buf);
      } else {
        buf = await this.materialize(idx);
      }
      buf.set(data.subarray(pos - offset, segEnd - offset), pos - cStart);
      pos = segEnd;
    }
  }

  async zero(offset: number, length: number, _trim?: boolean): Promise<void> {
    this.check();
    checkRange(this.name, this.size, offset, length, 'zero');
    const end = offset + length;
    let pos = offset;
    while (pos < end) {
      const idx = Math.floor(pos / OVERLAY_CHUNK);
      const cStart = idx * OVERLAY_CHUNK;
      const cLen = this.chunkLength(idx);
      const segEnd = Math.min(end, cStart + cLen);
      if (pos === cStart && segEnd === cStart + cLen) {
        this.chunks.set(idx, null);
      } else if (this.chunks.get(idx) !== null) {
        const buf = await this.materialize(idx);
        buf.fill(0, pos - cStart, segEnd - cStart);
      }
      pos = segEnd;
    }
  }

  /** Nothing to do: the overlay lives in memory and the base is never written. */
  async flush(): Promise<void> {
    this.check();
  }

  async extents(offset: number, length: number): Promise<Extent[]> {
    this.check();
    checkRange(this.name, this.size, offset, length, 'extents');
    const out: Extent[] = [];
    const push = (e: Extent) => {
      const last = out[out.length - 1];
      if (last && last.zero === e.zero && last.hole === e.hole && last.offset + last.length === e.offset) last.length += e.length;
      else out.push({ ...e });
    };
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
      const c = this.chunks.get(idx);
      if (c === undefined) {
        if (cleanStart < 0) cleanStart = pos;
      } else {
        await flushClean(pos);
        push({ offset: pos, length: segEnd - pos, zero: c === null, hole: false });
      }
      pos = segEnd;
    }
    await flushClean(end);
    return out;
  }

  /**
   * Writes every dirty chunk to `target` (a writable handle on the same image,
   * usually) and flushes it. The overlay keeps its chunks.
   */
  async commitTo(target: BlockDevice): Promise<void> {
    this.check();
    if (target.readOnly) throw new ErrnoError('EROFS', `${target.name}: cannot commit the overlay: the disk is read-only`, { disk: target.name });
    if (target.size < this.size) {
      throw new ErrnoError('EINVAL', `${target.name}: cannot commit the overlay: the disk is smaller (${target.size} < ${this.size})`, { disk: target.name });
    }
    const indexes = [...this.chunks.keys()].sort((a, b) => a - b);
    // Merge runs of adjacent data chunks into larger writes; zero runs become zero().
    let i = 0;
    while (i < indexes.length) {
      const first = indexes[i]!;
      const isZero = this.chunks.get(first) === null;
      let j = i + 1;
      while (
        j < indexes.length &&
        indexes[j] === indexes[j - 1]! + 1 &&
        (this.chunks.get(indexes[j]!) === null) === isZero &&
        j - i < 256
      ) j++;
      const start = first * OVERLAY_CHUNK;
      const last = indexes[j - 1]!;
      const end = last * OVERLAY_CHUNK + this.chunkLength(last);
      if (isZero) {
        await target.zero(start, end - start);
      } else {
        const buf = new Uint8Array(end - start);
        for (let k = i; k < j; k++) buf.set(this.chunks.get(indexes[k]!)!, (indexes[k]! - first) * OVERLAY_CHUNK);
        await target.write(start, buf);
      }
      i = j;
    }
    await target.flush();
  }

  /** Drops the overlay's data and closes the base (when the overlay owns it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.chunks.clear();
    if (this.ownsBase) await this.base.close();
  }
}
