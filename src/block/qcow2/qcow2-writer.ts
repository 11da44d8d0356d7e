/**
 * Qcow2Writer: writes a NEW qcow2 (version 3, 64 KiB clusters by default, 16-bit
 * refcounts, no backing file) from guest-offset writes that may arrive in any
 * order. Data clusters are appended to the file as they come; all-zero clusters
 * are left unallocated (they read as zeroes). The metadata (L2 tables, L1
 * table, refcount blocks and table) is appended once, by finish(), which then
 * writes the header into cluster 0: until then the file is not a valid image.
 * writeCompressed() stores clusters as zlib (raw deflate) compressed clusters
 * instead, packed one after another at byte offsets (qemu-img convert -c).
 */
import fs from 'node:fs';
import { promisify } from 'node:util';
import { ErrnoError } from '../../errors/index.js';
import { isAllZero, isAllZeroRange } from '../../util/all-zero.js';
import { writeFileFully } from '../raw-file.js';
import { preallocate } from '../../util/fd-ops.js';
import { nodeZlib } from '../../util/lazy-builtins.js';

const DEFAULT_CLUSTER_BITS = 16;
const REFCOUNT_ORDER = 4; // 16-bit refcounts
const HEADER_LENGTH = 104;
/** Entry flag: a compressed cluster (offset and sector count packed in the entry). */
const COMPRESSED = 1n << 62n;
const SECTOR = 512;
/** qemu inflates a cluster with a 4 KiB window (windowBits -12): the deflate stream must not reach further back. */
const DEFLATE_WINDOW_BITS = 12;

/**
 * An L1 or L2 entry pointing at `offset` with bit 63, COPIED (refcount exactly one), set; written as two
 * 32-bit halves: one BigInt per cluster cost 10 ms a GiB.
 */
function writeCopiedEntry(buf: Buffer, pos: number, offset: number): void {
  buf.writeUInt32BE((Math.floor(offset / 2 ** 32) | 0x80000000) >>> 0, pos);
  buf.writeUInt32BE(offset >>> 0, pos + 4);
}

export const QCOW2_WRITER_CLUSTER_SIZE = 1 << DEFAULT_CLUSTER_BITS;

export class Qcow2Writer {
  /**
   * L2 tables by index, filled as clusters are placed (a cluster's entry is known once it has a host
   * cluster), and the writer's one record of where each guest cluster lives: finish() only lays them out. Building 16384 entries there, in code run once and so
   * never optimized, took 10-16 ms of a 1 GiB copy's end; here they cost nothing the copy waits for.
   */
  private readonly l2Tables = new Map<number, Buffer>();
  /** The highest guest cluster written (finish() refuses a size that leaves it out). */
  private maxGuest = -1;
  /** Guest cluster index → L2 entry of a compressed cluster. */
  private readonly compressed = new Map<number, bigint>();
  /** Host cluster → how many compressed clusters lie (partly) in it; the others have refcount 1. */
  private readonly sharedRefs = new Map<number, number>();
  /** Byte offset where the next compressed cluster goes, when the last host cluster has room left. */
  private packAt: number | undefined;
  /** Next free host cluster (cluster 0 holds the header). */
  private nextHost = 1;
  /** preallocate()'s fallocate, which the first write waits for (a data cluster must not race it). */
  private preallocating: Promise<void> | null = null;
  readonly clusterSize: number;

  private constructor(
    readonly name: string,
    private readonly handle: fs.promises.FileHandle,
    private readonly clusterBits: number,
  ) {
    this.clusterSize = 1 << clusterBits;
  }

  /**
   * Opens `file` (created exclusively: a writer never overwrites an image).
   * `clusterBits` 9 to 21 (512 B to 2 MiB clusters), 16 by default.
   */
  static async create(file: string, opts: { name?: string; clusterBits?: number } = {}): Promise<Qcow2Writer> {
    const bits = opts.clusterBits ?? DEFAULT_CLUSTER_BITS;
    if (!Number.isInteger(bits) || bits < 9 || bits > 21) throw new ErrnoError('EINVAL', `${file}: qcow2 cluster bits ${bits} out of range (9 to 21)`);
    const handle = await fs.promises.open(file, 'wx', 0o644);
    return new Qcow2Writer(opts.name ?? file, handle, bits);
  }

  /**
   * Allocates file space for `dataBytes` of data clusters at once, before any is written: ext4 then
   * writes into blocks it already has instead of reserving a delayed allocation per page (1 GiB of
   * clusters took ~50 ms less to write). Call it before the first write. Where it fails (a file
   * system without fallocate, too little space for clusters that may yet turn out to be zeroes) the
   * writes just go without it.
   */
  preallocate(dataBytes: number): void {
    if (this.nextHost !== 1 || this.preallocating) return;
    const length = Math.ceil(dataBytes / this.clusterSize) * this.clusterSize;
    this.preallocating = preallocate(this.handle.fd, this.clusterSize, length).then(
      () => {},
      () => {},
    );
  }

  /**
   * Writes guest bytes at `offset`. Offsets must be cluster-aligned; a length
   * that is not a whole number of clusters is only allowed at the image's end.
   */
  async write(offset: number, data: Uint8Array): Promise<void> {
    if (this.preallocating) await this.preallocating;
    const CLUSTER = this.clusterSize;
    if (offset % CLUSTER !== 0) throw new ErrnoError('EINVAL', `${this.name}: qcow2 write at unaligned offset ${offset}`, { disk: this.name });
    // Clusters that land on consecutive host clusters go out as one write (a new image's clusters usually do).
    const writes: Promise<unknown>[] = [];
    let run: { host: number; from: number; to: number } | null = null;
    const emit = () => {
      if (run) writes.push(this.writeAll(data.subarray(run.from, run.to), run.host * CLUSTER));
      run = null;
    };
    for (let at = 0; at < data.length; at += CLUSTER) {
      const guest = (offset + at) / CLUSTER;
      const end = Math.min(at + CLUSTER, data.length);
      if (this.compressed.size > 0 && this.compressed.has(guest)) {
        throw new ErrnoError('EINVAL', `${this.name}: cluster ${guest} was written compressed: it cannot be rewritten`, { disk: this.name });
      }
      let host = this.hostOf(guest);
      if (host === undefined) {
        // A new cluster of zeroes stays unallocated (one written already is overwritten, zeroes or not).
        if (isAllZeroRange(data, at, end)) {
          emit();
          continue;
        }
        host = this.nextHost++;
        this.placeEntry(guest, host);
      }
      if (end - at < CLUSTER) {
        emit();
        const full = new Uint8Array(CLUSTER);
        full.set(data.subarray(at, end));
        writes.push(this.writeAll(full, host * CLUSTER));
        continue;
      }
      if (run && run.host + (run.to - run.from) / CLUSTER === host) run.to = end;
      else {
        emit();
        run = { host, from: at, to: end };
      }
    }
    emit();
    await Promise.all(writes);
  }

  /**
   * Writes guest bytes at `offset` (cluster-aligned, as write()) as compressed
   * clusters: each is deflated (zlib, raw, 4 KiB window) and appended right after
   * the previous compressed one, sharing host clusters; a cluster that does not
   * shrink is stored as a normal one, and all-zero clusters stay unallocated.
   * Each guest cluster may be written once.
   */
  async writeCompressed(offset: number, data: Uint8Array): Promise<void> {
    const CLUSTER = this.clusterSize;
    if (offset % CLUSTER !== 0) throw new ErrnoError('EINVAL', `${this.name}: qcow2 write at unaligned offset ${offset}`, { disk: this.name });
    const writes: Promise<unknown>[] = [];
    for (let at = 0; at < data.length; at += CLUSTER) {
      const guest = (offset + at) / CLUSTER;
      const piece = data.subarray(at, Math.min(at + CLUSTER, data.length));
      if (this.hostOf(guest) !== undefined || this.compressed.has(guest)) {
        throw new ErrnoError('EINVAL', `${this.name}: cluster ${guest} written twice to a compressed image`, { disk: this.name });
      }
      if (isAllZero(piece)) continue;
      let full = piece;
      if (piece.length < CLUSTER) {
        full = new Uint8Array(CLUSTER);
        full.set(piece);
      }
      const packed = await promisify(nodeZlib().deflateRaw)(full, { windowBits: DEFLATE_WINDOW_BITS });
      // The entry counts extra sectors in (cluster_bits - 8) bits, and a blob that does not shrink is not worth it.
      if (packed.length >= CLUSTER - SECTOR) {
        writes.push(this.write(offset + at, full));
        continue;
      }
      const start = this.placeCompressed(packed.length);
      const firstSector = Math.floor(start / SECTOR);
      const extraSectors = Math.floor((start + packed.length - 1) / SECTOR) - firstSector;
      const shift = BigInt(62 - (this.clusterBits - 8));
      this.compressed.set(guest, BigInt(start) | COMPRESSED | (BigInt(extraSectors) << shift));
      if (guest > this.maxGuest) this.maxGuest = guest;
      // qemu-img check counts one reference in each cluster the entry's whole sectors touch.
      const lastByte = (firstSector + extraSectors + 1) * SECTOR - 1;
      for (let c = Math.floor(start / CLUSTER); c <= Math.floor(lastByte / CLUSTER); c++) this.sharedRefs.set(c, (this.sharedRefs.get(c) ?? 0) + 1);
      writes.push(this.writeAll(packed, start));
    }
    await Promise.all(writes);
  }

  /** The host cluster of guest cluster `guest` (placed by write()), or undefined when it has none. */
  private hostOf(guest: number): number | undefined {
    const entries = this.clusterSize / 8;
    const table = this.l2Tables.get(Math.floor(guest / entries));
    if (!table) return undefined;
    const pos = (guest % entries) * 8;
    const hi = table.readUInt32BE(pos) & 0x00ffffff; // offset bits below COPIED; compressed entries are not kept here
    const offset = hi * 2 ** 32 + table.readUInt32BE(pos + 4);
    return offset === 0 ? undefined : offset / this.clusterSize;
  }

  /** Records in guest cluster `guest`'s L2 entry that it lives in host cluster `host` (refcount exactly one: COPIED). */
  private placeEntry(guest: number, host: number): void {
    const entries = this.clusterSize / 8;
    const index = Math.floor(guest / entries);
    let table = this.l2Tables.get(index);
    if (!table) {
      table = Buffer.alloc(this.clusterSize);
      this.l2Tables.set(index, table);
    }
    writeCopiedEntry(table, (guest % entries) * 8, host * this.clusterSize);
    if (guest > this.maxGuest) this.maxGuest = guest;
  }

  /** The byte offset for a compressed blob of `length` bytes: packed after the last one, spilling into new host clusters. */
  private placeCompressed(length: number): number {
    const CLUSTER = this.clusterSize;
    // Packing continues only while the last host cluster is the pack's (a normal cluster may have come in between).
    let start = this.packAt !== undefined && Math.ceil(this.packAt / CLUSTER) === this.nextHost ? this.packAt : this.nextHost * CLUSTER;
    if (start % CLUSTER === 0) start = this.nextHost++ * CLUSTER;
    const end = start + length;
    while (this.nextHost * CLUSTER < end) this.nextHost++;
    this.packAt = end;
    return start;
  }

  /** Appends the metadata for a guest of `size` bytes, writes the header and closes the file. */
  async finish(guestSize: number, flush: boolean): Promise<void> {
    // qemu sees whole 512-byte sectors only (it rounds a raw source's size up): so does the image.
    const size = Math.ceil(guestSize / 512) * 512;
    const CLUSTER = this.clusterSize;
    const L2_ENTRIES = CLUSTER / 8;
    const REFCOUNTS_PER_BLOCK = (CLUSTER * 8) / (1 << REFCOUNT_ORDER);
    const guestClusters = Math.ceil(size / CLUSTER);
    const l1Size = Math.max(1, Math.ceil(guestClusters / L2_ENTRIES));
    if (this.maxGuest >= guestClusters) throw new ErrnoError('EINVAL', `${this.name}: data written beyond the image size ${size}`, { disk: this.name });
    const l2Used = [...new Set([...this.l2Tables.keys(), ...[...this.compressed.keys()].map((g) => Math.floor(g / L2_ENTRIES))])].sort((a, b) => a - b);
    const l1Clusters = Math.ceil((l1Size * 8) / CLUSTER);
    // Refcount blocks cover every cluster, themselves included: grow until the count settles.
    const dataEnd = this.nextHost;
    let rbCount = 1;
    let rtClusters = 1;
    for (;;) {
      const total = dataEnd + l2Used.length + l1Clusters + rtClusters + rbCount;
      const rb = Math.ceil(total / REFCOUNTS_PER_BLOCK);
      const rt = Math.ceil((rb * 8) / CLUSTER);
      if (rb === rbCount && rt === rtClusters) break;
      rbCount = rb;
      rtClusters = rt;
    }
    let next = dataEnd;
    const l2Host = new Map<number, number>();
    for (const i of l2Used) l2Host.set(i, next++);
    const l1Host = next;
    next += l1Clusters;
    const rtHost = next;
    next += rtClusters;
    const rbHost = next;
    next += rbCount;
    const total = next;

    const buf = Buffer.alloc((total - dataEnd) * CLUSTER);
    const at = (hostCluster: number) => (hostCluster - dataEnd) * CLUSTER;
    for (const [i, table] of this.l2Tables) table.copy(buf, at(l2Host.get(i)!));
    for (const [g, entry] of this.compressed) {
      const l2 = l2Host.get(Math.floor(g / L2_ENTRIES))!;
      buf.writeBigUInt64BE(entry, at(l2) + (g % L2_ENTRIES) * 8);
    }
    for (const [i, h] of l2Host) writeCopiedEntry(buf, at(l1Host) + i * 8, h * CLUSTER);
    for (let b = 0; b < rbCount; b++) buf.writeBigUInt64BE(BigInt((rbHost + b) * CLUSTER), at(rtHost) + b * 8);
    // Every cluster up to the end is in use once, but those holding compressed clusters: once per compressed cluster in them.
    // The blocks are consecutive, so cluster c's count is the c-th 16-bit one from the first block.
    const counts = buf.subarray(at(rbHost), at(rbHost) + total * 2);
    counts.fill(Buffer.from([0, 1]));
    for (const [c, refs] of this.sharedRefs) if (c < total) counts.writeUInt16BE(refs, c * 2);
    await this.writeAll(buf, dataEnd * CLUSTER);

    const h = Buffer.alloc(Math.max(CLUSTER, 512));
    h.write('QFI\xfb', 0, 'latin1');
    h.writeUInt32BE(3, 4); // version
    h.writeUInt32BE(this.clusterBits, 20);
    h.writeBigUInt64BE(BigInt(size), 24);
    h.writeUInt32BE(l1Size, 36);
    h.writeBigUInt64BE(BigInt(l1Host * CLUSTER), 40);
    h.writeBigUInt64BE(BigInt(rtHost * CLUSTER), 48);
    h.writeUInt32BE(rtClusters, 56);
    h.writeUInt32BE(REFCOUNT_ORDER, 96);
    h.writeUInt32BE(HEADER_LENGTH, 100);
    // Header extensions start at HEADER_LENGTH; the zero bytes there are the end marker.
    await this.writeAll(h, 0);
    // Space preallocated for clusters that turned out to be zeroes (never written) lies past the metadata.
    if (this.preallocating) await this.handle.truncate(total * CLUSTER);
    if (flush) await this.handle.sync();
    await this.handle.close();
  }

  /** Closes the file without finishing it (the caller removes it). */
  async abort(): Promise<void> {
    await this.handle.close().catch(() => {});
  }

  private async writeAll(b: Uint8Array, position: number): Promise<void> {
    // a failing write's own error goes to the caller, as it is
    await writeFileFully(this.handle, b, position, (_at, e) => e as Error);
  }
}
