/**
 * Qcow2Device: a qcow2 image (versions 2 and 3) read and written in
 * TypeScript, without qemu. Writes are in qcow2-writes.ts (allocation,
 * copy-on-write, refcounts, the dirty bit).
 *
 * Reads walk L1 → L2 (a small LRU cache of L2 tables) per cluster, or per
 * subcluster with extended L2 entries; runs of host-contiguous data clusters
 * are read with one call; compressed clusters are decoded (zlib or zstd) by
 * cluster-decompress.ts;
 * unallocated ranges come from the backing device (raw or qcow2, any depth)
 * or read as zeroes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { appendExtent, appendUnallocated } from '../extent-list.js';
import { readIntoNew, type BlockDevice, type Extent } from '../block-device.js';
import { ErrnoError, ImageError, codeOfError } from '../../errors/index.js';
import { checkBackingChain, MAX_BACKING_DEPTH } from '../backing-chain.js';
import { probeBytes } from '../format.js';
import { RawFileDevice, readFileFully, readFileFullySync, type ReadErrors } from '../raw-file.js';
import { checkRange } from '../slice.js';
import { decompressCluster } from './cluster-decompress.js';
import { decodeL2, entryOffset, type Unit } from './l2-entry.js';
import { l2EntryBytes, parseQcow2Header, Qcow2NeedsQemu, type Qcow2Header } from './qcow2-header.js';
import { Qcow2Writes } from './qcow2-writes.js';
import { takeImageLocks, type ImageLocks } from '../image-lock.js';

export interface Qcow2OpenOptions {
  /** Name for messages (default: the path as given). */
  name?: string;
  /** Set when opened as a backing file: depth in the chain (the chain was checked by the top image). */
  depth?: number;
  /** false: open for writing (default true). */
  readOnly?: boolean;
  /** Leave the backing file closed: unallocated ranges read as zeroes (for reading an overlay's own clusters only). */
  ignoreBacking?: boolean;
  /** Rebuild the refcounts before writing even without the dirty bit (an interrupted commit on a version 2 image). */
  repair?: boolean;
  /** Take qemu's image locks on this file's descriptor (image-lock.ts) before reading or writing it, and on its backing files'. */
  lock?: boolean;
}

/** One file of a backing chain, as `qemu-img info --backing-chain` lists them. */
export interface ChainLink {
  file: string;
  format: 'qcow2' | 'raw';
}

/** Bytes of L2 tables kept in the cache (at least a few tables whatever the cluster size). */
const L2_CACHE_BYTES = 4 * 1024 * 1024;

/** A run of guest bytes that all map the same way. */
interface Run {
  kind: Unit['kind'];
  length: number;
  /** Host offset of the run's first byte ('data'), or the unit ('compressed'). */
  host: number;
  compressedLength: number;
  /** Offset of the run's first byte inside its compressed cluster. */
  within: number;
}

export class Qcow2Device implements BlockDevice {
  readonly size: number;
  readonly l2Span: number;
  private readonly unitSize: number;
  private readonly l2Cache = new Map<number, Promise<DataView>>();
  /** The tables of l2Cache that have finished loading: the synchronous read path uses only these. */
  private readonly l2Loaded = new Map<number, DataView>();
  private readonly l2CacheMax: number;
  /** L2 tables changed since the last flush, by host offset (never evicted before they are written). */
  readonly dirtyL2 = new Map<number, DataView>();
  lastInflated: { host: number; data: Uint8Array } | null = null;
  private handle: fs.promises.FileHandle | null;
  /** qemu's locks, held by `handle` (closing it drops them). */
  private locks: ImageLocks | undefined;
  /** The write side (null when read-only). */
  private writer: Qcow2Writes | null = null;

  private constructor(
    readonly name: string,
    readonly file: string,
    handle: fs.promises.FileHandle,
    public fileSize: number,
    readonly header: Qcow2Header,
    readonly l1: DataView,
    /** The backing device (a Qcow2Device or RawFileDevice), null without one. */
    readonly backing: BlockDevice | null,
    /** The backing file's path as resolved against this image's directory. */
    readonly backingPath: string | null,
  ) {
    this.handle = handle;
    this.readErrors = readErrorsOf(name);
    this.size = header.size;
    this.l2Span = header.clusterSize * (header.clusterSize / l2EntryBytes(header));
    this.unitSize = header.extendedL2 ? header.clusterSize / 32 : header.clusterSize;
    this.l2CacheMax = Math.max(4, Math.floor(L2_CACHE_BYTES / header.clusterSize));
  }

  static async open(file: string, opts: Qcow2OpenOptions = {}): Promise<Qcow2Device> {
    const name = opts.name ?? file;
    const depth = opts.depth ?? 0;
    const readOnly = opts.readOnly ?? true;
    // Loops, missing links and over-deep chains: one line naming the top image, before any backing is opened.
    if (depth === 0 && !opts.ignoreBacking) await checkBackingChain(file, name);
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(file, readOnly ? fs.constants.O_RDONLY : fs.constants.O_RDWR);
    } catch (e) {
      throw new ImageError(name, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message.split('\n')[0]!, { cause: e });
    }
    let backing: BlockDevice | null = null;
    let locks: ImageLocks | undefined;
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new ImageError(name, 'qcow2 images are read natively only from regular files');
      locks = opts.lock ? await takeImageLocks(handle.fd, name, { write: !readOnly, format: 'qcow2', backing: depth > 0 }) : undefined;
      const header = await readHeader(handle, name, st.size);
      const l1Bytes = await readAt(handle, name, header.l1Offset, header.l1Size * 8, st.size, 'its L1 table');
      const l1 = new DataView(l1Bytes.buffer, l1Bytes.byteOffset, l1Bytes.length);
      let backingPath: string | null = null;
      if (header.backingName !== undefined && !opts.ignoreBacking) {
        ({ backing, backingPath } = await openBacking(file, name, header, depth, opts.lock ?? false));
      }
      const dev = new Qcow2Device(name, file, handle, st.size, header, l1, backing, backingPath);
      dev.locks = locks;
      if (!readOnly) dev.writer = await Qcow2Writes.attach(dev, handle, opts.repair ?? false);
      return dev;
    } catch (e) {
      locks?.release();
      await backing?.close().catch(() => {});
      await handle.close().catch(() => {});
      throw e;
    }
  }

  /** The backing chain below this image, nearest first. */
  backingChain(): ChainLink[] {
    const out: ChainLink[] = [];
    for (let d: BlockDevice | null = this.backing, p = this.backingPath; d && p; ) {
      if (d instanceof Qcow2Device) {
        out.push({ file: p, format: 'qcow2' });
        p = d.backingPath;
        d = d.backing;
      } else {
        out.push({ file: p, format: 'raw' });
        break;
      }
    }
    return out;
  }

  /** Actual size of the image file in bytes. */
  get fileLength(): number {
    return this.fileSize;
  }

  private dataPastEnd(host: number): ImageError {
    return new ImageError(this.name, `qcow2 image is truncated: data at offset ${host} is past the end of the file (size ${this.fileSize})`);
  }

  /** The errors of a failed or short read of the file. */
  private readonly readErrors: ReadErrors;

  private corrupt(problem: string): ImageError {
    return new ImageError(this.name, `qcow2 image is corrupt: ${problem}`);
  }

  private fh(what: string): fs.promises.FileHandle {
    if (!this.handle) throw new ErrnoError('EBADF', `${this.name}: ${what}: the disk is closed`, { disk: this.name });
    return this.handle;
  }

  get readOnly(): boolean {
    return this.writer === null;
  }

  /** The L2 table for L1 index `i`, or null when the whole range is unallocated. */
  l2Table(i: number): Promise<DataView> | null {
    if (i >= this.header.l1Size) return null;
    const hi = this.l1.getUint32(i * 8);
    const lo = this.l1.getUint32(i * 8 + 4);
    const offset = entryOffset(hi, lo);
    if (offset === 0) return null;
    const dirty = this.dirtyL2.get(offset);
    if (dirty) return Promise.resolve(dirty);
    const cached = this.l2Cache.get(offset);
    if (cached) {
      this.l2Cache.delete(offset); // most recently used last
      this.l2Cache.set(offset, cached);
      return cached;
    }
    const cs = this.header.clusterSize;
    const load = (async () => {
      if (offset % cs !== 0) throw this.corrupt(`an L1 entry points at an unaligned L2 table (offset ${offset})`);
      if (offset + cs > this.fileSize) {
        throw new ImageError(this.name, `qcow2 image is truncated: an L2 table (offset ${offset}) is past the end of the file (size ${this.fileSize})`);
      }
      const b = await readAt(this.fh('read'), this.name, offset, cs, this.fileSize, 'an L2 table');
      return new DataView(b.buffer, b.byteOffset, b.length);
    })();
    load.then(
      (table) => this.l2Cache.get(offset) === load && this.l2Loaded.set(offset, table),
      () => this.l2Cache.delete(offset),
    );
    this.l2Cache.set(offset, load);
    if (this.l2Cache.size > this.l2CacheMax) {
      const oldest = this.l2Cache.keys().next().value!;
      this.l2Cache.delete(oldest);
      this.l2Loaded.delete(oldest);
    }
    return load;
  }

  /** The L2 table for L1 index `i` if it is at hand: null when the range is unallocated, undefined when not loaded yet. */
  private loadedL2Table(i: number): DataView | null | undefined {
    if (i >= this.header.l1Size) return null;
    const offset = entryOffset(this.l1.getUint32(i * 8), this.l1.getUint32(i * 8 + 4));
    if (offset === 0) return null;
    return this.dirtyL2.get(offset) ?? this.l2Loaded.get(offset);
  }

  private unit(table: DataView, index: number): Unit {
    const perCluster = this.header.extendedL2 ? 32 : 1;
    const cluster = Math.floor(index / perCluster);
    const u = decodeL2(table, cluster * l2EntryBytes(this.header), index % perCluster, this.header);
    if (typeof u === 'string') throw this.corrupt(u);
    return u;
  }

  /** The longest run from `guest` (at most `max` bytes, inside one L2 table) that maps one way. */
  async run(guest: number, max: number): Promise<Run> {
    const pending = this.l2Table(Math.floor(guest / this.l2Span));
    return this.runIn(pending && (await pending), guest, max);
  }

  /** run() when its L2 table is loaded already; null when it is not. */
  private runIfLoaded(guest: number, max: number): Run | null {
    const table = this.loadedL2Table(Math.floor(guest / this.l2Span));
    return table === undefined ? null : this.runIn(table, guest, max);
  }

  /** The run from `guest` in its L2 table (null: an unallocated L1 entry). */
  private runIn(table: DataView | null, guest: number, max: number): Run {
    const inTable = guest % this.l2Span;
    const tableLeft = Math.min(max, this.l2Span - inTable);
    if (!table) return { kind: 'unallocated', length: tableLeft, host: 0, compressedLength: 0, within: 0 };
    let index = Math.floor(inTable / this.unitSize);
    const into = inTable % this.unitSize;
    const first = this.unit(table, index);
    if (first.kind === 'compressed') {
      const inCluster = inTable % this.header.clusterSize;
      return { ...first, length: Math.min(tableLeft, this.header.clusterSize - inCluster), within: inCluster };
    }
    let length = this.unitSize - into;
    let nextHost = first.host + this.unitSize;
    const units = this.l2Span / this.unitSize;
    if (!this.header.extendedL2) {
      // Standard entries are compared as raw words, without decoding each into an object: a sparse
      // image's map walks thousands of empty entries per L2 table. An entry that does not match ends
      // the run; the next run decodes (and checks) it.
      const v3 = this.header.version >= 3;
      while (length < tableLeft && ++index < units) {
        const hi = table.getUint32(index * 8);
        const lo = table.getUint32(index * 8 + 4);
        if (first.kind === 'unallocated' ? hi !== 0 || lo !== 0
          : first.kind === 'zero' ? hi !== 0 || lo !== 1
          : hi & 0x40000000 || (v3 && lo & 1) || entryOffset(hi, lo) !== nextHost) break;
        length += this.unitSize;
        nextHost += this.unitSize;
      }
    } else {
      while (length < tableLeft && ++index < units) {
        const u = this.unit(table, index);
        if (u.kind !== first.kind || (u.kind === 'data' && u.host !== nextHost)) break;
        length += this.unitSize;
        nextHost += this.unitSize;
      }
    }
    return { kind: first.kind, length: Math.min(length, tableLeft), host: first.host + into, compressedLength: 0, within: 0 };
  }

  private async inflate(r: Run): Promise<Uint8Array> {
    if (this.lastInflated?.host === r.host) return this.lastInflated.data;
    if (r.host >= this.fileSize) {
      throw new ImageError(this.name, `qcow2 image is truncated: compressed data at offset ${r.host} is past the end of the file (size ${this.fileSize})`);
    }
    const stored = await readAt(this.fh('read'), this.name, r.host, Math.min(r.compressedLength, this.fileSize - r.host), this.fileSize, 'a compressed cluster');
    const data = decompressCluster(this.name, this.header.compression, stored, this.header.clusterSize, r.host);
    this.lastInflated = { host: r.host, data };
    return data;
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    return readIntoNew(this, offset, length);
  }

  async readInto(offset: number, into: Uint8Array): Promise<void> {
    checkRange(this.name, this.size, offset, into.length, 'read');
    this.fh('read');
    for (let pos = 0; pos < into.length; ) {
      const r = await this.run(offset + pos, into.length - pos);
      const dst = into.subarray(pos, pos + r.length);
      if (r.kind === 'data') {
        if (r.host + r.length > this.fileSize) throw this.dataPastEnd(r.host);
        await readFileFully(this.fh('read'), dst, r.host, this.readErrors);
      } else if (r.kind === 'compressed') {
        dst.set((await this.inflate(r)).subarray(r.within, r.within + r.length));
      } else if (r.kind === 'zero' || !this.backing) {
        dst.fill(0);
      } else {
        await readBacking(this.backing, offset + pos, dst);
      }
      pos += r.length;
    }
  }

  /**
   * readInto() without awaiting, for a server whose reads are page-cache hits: preads on this thread.
   * False (before or after filling part of `into`) when the range needs more than that: an L2 table
   * not loaded yet, the backing file, a compressed cluster, or a writable image (writes may be under way).
   */
  readIntoIfReady(offset: number, into: Uint8Array): boolean {
    checkRange(this.name, this.size, offset, into.length, 'read');
    const fd = this.fh('read').fd;
    if (this.writer) return false;
    for (let pos = 0; pos < into.length; ) {
      const r = this.runIfLoaded(offset + pos, into.length - pos);
      if (!r) return false;
      const dst = into.subarray(pos, pos + r.length);
      if (r.kind === 'data') {
        if (r.host + r.length > this.fileSize) throw this.dataPastEnd(r.host);
        readFileFullySync(fd, dst, r.host, this.readErrors);
      } else if (r.kind === 'zero' || (r.kind === 'unallocated' && !this.backing)) dst.fill(0);
      else return false;
      pos += r.length;
    }
    return true;
  }

  /** extents() without awaiting; null when it needs an L2 table not loaded yet or the backing file's map. */
  extentsIfReady(offset: number, length: number): Extent[] | null {
    checkRange(this.name, this.size, offset, length, 'extents');
    const out: Extent[] = [];
    for (let pos = 0; pos < length; ) {
      const at = offset + pos;
      const r = this.runIfLoaded(at, length - pos);
      if (!r || (r.kind === 'unallocated' && this.backing)) return null;
      appendExtent(out, runExtent(at, r));
      pos += r.length;
    }
    return out;
  }

  async extents(offset: number, length: number): Promise<Extent[]> {
    checkRange(this.name, this.size, offset, length, 'extents');
    const out: Extent[] = [];
    for (let pos = 0; pos < length; ) {
      const at = offset + pos;
      const r = await this.run(at, length - pos);
      if (r.kind === 'unallocated' && this.backing) await appendUnallocated(out, this.backing, at, r.length);
      else appendExtent(out, runExtent(at, r));
      pos += r.length;
    }
    return out;
  }

  /** The ranges this image itself holds (data or zeroes), not read through to its backing file. */
  async ownRanges(): Promise<Array<{ start: number; length: number; zero: boolean }>> {
    const out: Array<{ start: number; length: number; zero: boolean }> = [];
    for (let pos = 0; pos < this.size; ) {
      const r = await this.run(pos, this.size - pos);
      if (r.kind !== 'unallocated') {
        const zero = r.kind === 'zero';
        const last = out[out.length - 1];
        if (last && last.zero === zero && last.start + last.length === pos) last.length += r.length;
        else out.push({ start: pos, length: r.length, zero });
      }
      pos += r.length;
    }
    return out;
  }

  private writable(what: string): Qcow2Writes {
    this.fh(what);
    if (!this.writer) throw new ErrnoError('EROFS', `${this.name}: ${what}: the disk is read-only`, { disk: this.name });
    return this.writer;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    const w = this.writable('write');
    checkRange(this.name, this.size, offset, data.length, 'write');
    await w.write(offset, data);
  }

  async zero(offset: number, length: number): Promise<void> {
    const w = this.writable('zero');
    checkRange(this.name, this.size, offset, length, 'zero');
    await w.zero(offset, length);
  }

  async flush(): Promise<void> {
    if (this.writer && this.handle) await this.writer.flush();
  }

  async close(): Promise<void> {
    if (this.writer && this.handle) {
      try {
        await this.writer.flush();
      } catch (e) {
        await this.backing?.close().catch(() => {});
        await this.handle?.close().catch(() => {});
        this.handle = null;
        throw e;
      }
    }
    const h = this.handle;
    this.handle = null;
    this.locks?.release();
    this.l2Cache.clear();
    this.l2Loaded.clear();
    this.lastInflated = null;
    await this.backing?.close();
    await h?.close();
  }
}

/** Reads and checks the header of an open qcow2 file (its first cluster holds the header and its extensions). */
async function readHeader(handle: fs.promises.FileHandle, name: string, fileSize: number): Promise<Qcow2Header> {
  const first = await readAt(handle, name, 0, Math.min(fileSize, 512), fileSize, 'the header');
  if (probeBytes(first) !== 'qcow2') throw new ImageError(name, 'is not a qcow2 image');
  const clusterBits = first.length >= 24 ? new DataView(first.buffer, first.byteOffset, first.length).getUint32(20) : 0;
  // Extensions and the backing name may fill the whole first cluster; a bad cluster size is parseQcow2Header's to report.
  const headBytes = clusterBits >= 9 && clusterBits <= 21 ? Math.min(fileSize, 2 ** clusterBits) : first.length;
  const head = headBytes > first.length ? await readAt(handle, name, 0, headBytes, fileSize, 'the header') : first;
  return parseQcow2Header(head, fileSize, name);
}

/** The checked header of a qcow2 file, for images the reader hands to qemu (exotic backing files) but whose header is still ours to show. */
export async function readQcow2Header(file: string, name = file): Promise<Qcow2Header> {
  const fh = await fs.promises.open(file, fs.constants.O_RDONLY).catch((e) => {
    throw new ImageError(name, (e as Error).message.split('\n')[0]!, { cause: e });
  });
  try {
    return await readHeader(fh, name, (await fh.stat()).size);
  } finally {
    await fh.close();
  }
}

/** Reads guest bytes from a backing device that may be smaller than the image: past its end reads zeroes. */
async function readBacking(backing: BlockDevice, offset: number, dst: Uint8Array): Promise<void> {
  const inside = Math.max(0, Math.min(dst.length, backing.size - offset));
  if (inside > 0) await backing.readInto(offset, dst.subarray(0, inside));
  dst.fill(0, inside);
}

async function openBacking(file: string, name: string, header: Qcow2Header, depth: number, lock: boolean): Promise<{ backing: BlockDevice; backingPath: string }> {
  const ref = header.backingName!;
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref) && !ref.startsWith('/')) {
    throw new Qcow2NeedsQemu(name, `backing file ${ref} is opened through a protocol: it needs qemu-nbd`);
  }
  if (depth + 1 > MAX_BACKING_DEPTH) throw new ImageError(name, `backing chain is deeper than ${MAX_BACKING_DEPTH} images (at ${ref})`);
  // qemu resolves a relative backing name against the directory of the image naming it.
  const backingPath = path.isAbsolute(ref) ? ref : path.join(path.dirname(file), ref);
  let format = header.backingFormat;
  if (format === undefined) {
    const fh = await fs.promises.open(backingPath, fs.constants.O_RDONLY).catch((e) => {
      throw new ImageError(name, `backing file ${ref}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
    });
    try {
      const head = new Uint8Array(512);
      const { bytesRead } = await fh.read(head, 0, 512, 0);
      format = probeBytes(head.subarray(0, bytesRead));
    } finally {
      await fh.close();
    }
  }
  if (format === 'raw') return { backing: await RawFileDevice.open(backingPath, { readOnly: true, name: backingPath, lock: lock && 'backing' }), backingPath };
  if (format === 'qcow2') return { backing: await Qcow2Device.open(backingPath, { name: backingPath, depth: depth + 1, lock }), backingPath };
  throw new Qcow2NeedsQemu(name, `backing file ${ref} is in format ${format}: it needs qemu-nbd`);
}

/** Reads `length` bytes at `offset` of the file (metadata), refusing ranges past its end. */
export async function readAt(fh: fs.promises.FileHandle, name: string, offset: number, length: number, fileSize: number, what: string): Promise<Uint8Array> {
  if (offset + length > fileSize) {
    throw new ImageError(name, `qcow2 image is truncated: ${what} (offset ${offset}) is past the end of the file (size ${fileSize})`);
  }
  const b = new Uint8Array(length);
  await readFully(fh, name, b, offset);
  return b;
}

/** The extent of a run at `at` that needs no backing file's map (an unallocated one is a hole). */
function runExtent(at: number, r: Run): Extent {
  return { offset: at, length: r.length, zero: r.kind === 'zero' || r.kind === 'unallocated', hole: r.kind === 'unallocated' };
}

function readFully(fh: fs.promises.FileHandle, name: string, into: Uint8Array, offset: number): Promise<void> {
  return readFileFully(fh, into, offset, readErrorsOf(name));
}

/** The errors of a failed or short read of the qcow2 file `name`. */
function readErrorsOf(name: string): ReadErrors {
  return {
    failed: (at, e) => {
      const err = e as NodeJS.ErrnoException;
      return new ErrnoError(codeOfError(err), `${name}: read at offset ${at} failed: ${err.message.split('\n')[0]}`, { disk: name, cause: e });
    },
    ended: (at) => new ImageError(name, `qcow2 image is truncated: read at offset ${at} is past the end of the file (the file shrank?)`),
  };
}
