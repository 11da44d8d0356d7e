/**
 * A hosted sparse extent (monolithicSparse, twoGbMaxExtentSparse,
 * streamOptimized): grain directory → grain tables (a small LRU cache) →
 * grains. Grain table entries: 0 unallocated (the parent's bytes, or zeroes),
 * 1 a zeroed grain when the header enables them, else the grain's sector.
 * Compressed grains (streamOptimized) are zlib streams, behind a 12-byte
 * marker (lba, size) when the header says markers are used.
 */
import type { ExtentFile } from './extent-file.js';
import { SECTOR, type SparseHeader } from './sparse-header.js';
import { nodeZlib } from '../../util/lazy-builtins.js';

export type RunKind = 'data' | 'compressed' | 'zero' | 'unallocated';

/** A run of extent bytes that all map one way. */
export interface Run {
  kind: RunKind;
  length: number;
  /** 'data': file offset of the run's first byte; 'compressed': file offset of the grain. */
  host: number;
  /** 'compressed': the grain's index and the run's offset inside the grain. */
  grain: number;
  within: number;
}

const GT_CACHE_TABLES = 64;
/** Inflated grains kept: a filesystem's reads alternate between metadata and data grains. */
const INFLATED_CACHE_BYTES = 8 * 1024 * 1024;
const MARKER_BYTES = 12;

export class SparseExtent {
  readonly grainBytes: number;
  private readonly gtSpan: number;
  private readonly gtCache = new Map<number, Promise<DataView>>();
  private readonly inflated = new Map<number, Promise<Uint8Array>>();
  private readonly inflatedMax: number;
  /** The buffer compressed grains are read into (taken while in use: concurrent reads allocate their own). */
  private scratch: Uint8Array | null = null;

  private constructor(
    readonly file: ExtentFile,
    readonly header: SparseHeader,
    private readonly gd: DataView,
    /** Bytes of guest data the extent covers (the descriptor's size for the extent). */
    readonly size: number,
  ) {
    this.grainBytes = header.grainSectors * SECTOR;
    this.gtSpan = this.grainBytes * header.gtesPerGt;
    this.inflatedMax = Math.max(2, Math.floor(INFLATED_CACHE_BYTES / this.grainBytes));
  }

  /**
   * Reads the grain directory: the primary one, or the redundant copy when the
   * primary lies outside the file and the copy does not.
   */
  static async open(file: ExtentFile, header: SparseHeader, size: number): Promise<SparseExtent> {
    const gdBytes = header.gdEntries * 4;
    let at = header.gdOffset;
    if (!file.holds(at, gdBytes) && header.rgdOffset > 0 && file.holds(header.rgdOffset, gdBytes)) at = header.rgdOffset;
    if (gdBytes > 0 && at === 0) throw file.corrupt('it has no grain directory (offset 0)');
    const gd = await file.readAt(at, gdBytes, 'its grain directory');
    return new SparseExtent(file, header, new DataView(gd.buffer, gd.byteOffset, gd.length), size);
  }

  private table(i: number): Promise<DataView> | null {
    if (i >= this.header.gdEntries) return null;
    const sector = this.gd.getUint32(i * 4, true);
    if (sector === 0) return null;
    const cached = this.gtCache.get(sector);
    if (cached) {
      this.gtCache.delete(sector); // most recently used last
      this.gtCache.set(sector, cached);
      return cached;
    }
    const load = (async () => {
      const b = await this.file.readAt(sector * SECTOR, this.header.gtesPerGt * 4, 'a grain table');
      return new DataView(b.buffer, b.byteOffset, b.length);
    })();
    load.catch(() => this.gtCache.delete(sector));
    this.gtCache.set(sector, load);
    if (this.gtCache.size > GT_CACHE_TABLES) this.gtCache.delete(this.gtCache.keys().next().value!);
    return load;
  }

  private kindOf(gte: number): RunKind {
    if (gte === 0) return 'unallocated';
    if (gte === 1 && this.header.zeroGrains) return 'zero';
    return this.header.compressed ? 'compressed' : 'data';
  }

  /** The longest run from extent offset `at` (at most `max` bytes, inside one grain table) that maps one way. */
  async run(at: number, max: number): Promise<Run> {
    const inTable = at % this.gtSpan;
    const tableLeft = Math.min(max, this.gtSpan - inTable, this.size - at);
    const pending = this.table(Math.floor(at / this.gtSpan));
    if (!pending) return { kind: 'unallocated', length: tableLeft, host: 0, grain: 0, within: 0 };
    const table = await pending;
    let index = Math.floor(inTable / this.grainBytes);
    const within = inTable % this.grainBytes;
    const gte = table.getUint32(index * 4, true);
    const kind = this.kindOf(gte);
    const grain = Math.floor(at / this.grainBytes);
    if (kind === 'compressed') {
      return { kind, length: Math.min(tableLeft, this.grainBytes - within), host: gte * SECTOR, grain, within };
    }
    let length = this.grainBytes - within;
    let nextSector = gte + this.header.grainSectors;
    while (length < tableLeft && ++index < this.header.gtesPerGt) {
      const next = table.getUint32(index * 4, true);
      const k = this.kindOf(next);
      if (k !== kind || (k === 'data' && next !== nextSector)) break;
      length += this.grainBytes;
      nextSector += this.header.grainSectors;
    }
    return { kind, length: Math.min(length, tableLeft), host: kind === 'data' ? gte * SECTOR + within : 0, grain, within };
  }

  /** Reads a 'data' run into `dst`. */
  async readData(r: Run, dst: Uint8Array): Promise<void> {
    if (!this.file.holds(r.host, dst.length)) throw this.file.pastEnd('grain data', r.host);
    await this.file.readInto(dst, r.host);
  }

  /** The inflated bytes of a compressed grain (recent ones are kept: reads come in pieces of a grain). */
  inflate(r: Run): Promise<Uint8Array> {
    let pending = this.inflated.get(r.grain);
    if (pending) {
      this.inflated.delete(r.grain); // most recently used last
    } else {
      // Kept while in flight too, so that concurrent reads of one grain inflate it once.
      pending = this.inflateGrain(r);
      pending.catch(() => this.inflated.delete(r.grain));
    }
    this.inflated.set(r.grain, pending);
    if (this.inflated.size > this.inflatedMax) this.inflated.delete(this.inflated.keys().next().value!);
    return pending;
  }

  private async inflateGrain(r: Run): Promise<Uint8Array> {
    const f = this.file;
    // zlib's worst case for incompressible data is a little over the input size.
    const maxStored = this.grainBytes + (this.grainBytes >> 3) + 1024;
    const head = this.header.markers ? MARKER_BYTES : 0;
    if (r.host + head >= f.size) throw f.pastEnd('a compressed grain', r.host);
    // One read for the marker and the stream behind it: the marker says how much of it is the stream.
    const length = Math.min(head + maxStored, f.size - r.host);
    const buffer = this.scratch && this.scratch.length >= head + maxStored ? this.scratch : new Uint8Array(head + maxStored);
    this.scratch = null;
    try {
      return await this.inflateFrom(r, buffer.subarray(0, length), head, maxStored);
    } finally {
      this.scratch = buffer;
    }
  }

  private async inflateFrom(r: Run, chunk: Uint8Array, head: number, maxStored: number): Promise<Uint8Array> {
    const f = this.file;
    await f.readInto(chunk, r.host);
    let bytes = chunk.subarray(head);
    if (this.header.markers) {
      const v = new DataView(chunk.buffer, chunk.byteOffset, MARKER_BYTES);
      const lba = v.getBigUint64(0, true);
      const expected = BigInt(r.grain) * BigInt(this.header.grainSectors);
      if (lba !== expected) throw f.corrupt(`the grain at offset ${r.host} is marked for sector ${lba}, not ${expected}`);
      const stored = v.getUint32(8, true);
      if (stored === 0 || stored > maxStored) throw f.corrupt(`the grain at offset ${r.host} has a bad compressed size ${stored}`);
      if (stored > bytes.length) throw f.pastEnd('a compressed grain', r.host);
      bytes = bytes.subarray(0, stored);
    }
    let data: Uint8Array;
    try {
      // One output chunk a little over a grain: no chunk list to concatenate (a third less CPU per grain).
      data = nodeZlib().inflateSync(bytes, { maxOutputLength: this.grainBytes, chunkSize: this.grainBytes + 64 });
    } catch (e) {
      throw f.corrupt(`the compressed grain at offset ${r.host} does not inflate (${(e as Error).message.split('\n')[0]})`);
    }
    // The last grain of an extent may be cut at the extent's end.
    const needed = Math.min(this.grainBytes, this.size - r.grain * this.grainBytes);
    if (data.length < needed) throw f.corrupt(`the compressed grain at offset ${r.host} inflates to ${data.length} bytes, not ${needed}`);
    return data;
  }

  async close(): Promise<void> {
    this.gtCache.clear();
    this.inflated.clear();
    await this.file.close();
  }
}
