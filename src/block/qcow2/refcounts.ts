/**
 * The refcount table and refcount blocks of a writable qcow2 image: one
 * count per host cluster, of any width qemu allows (refcount_order 0..6, 1 to
 * 64 bits). Counts are changed in memory; writeDirty() puts the changed
 * blocks (and a moved, grown table) into the file. New clusters come from
 * clusters whose count is 0, else from the end of the file; a missing refcount
 * block is allocated where it can count itself, and the table grows by moving
 * to the end of the file.
 */
import { ImageError } from '../../errors/index.js';

/** Positional I/O on the image file. */
export interface HostIo {
  read(offset: number, length: number): Promise<Uint8Array>;
  write(offset: number, data: Uint8Array): Promise<void>;
}

const HI = 2 ** 32;
/** Refcount table entries: bits 9..63 hold the block's offset. */
const ENTRY_OFFSET_LO = 0xfffffe00;

/** Reads entry `i` of a refcount block of `bits`-bit entries. */
export function getRefcount(block: Uint8Array, i: number, bits: number): number {
  if (bits < 8) return (block[(i * bits) >>> 3]! >>> ((i * bits) & 7)) & ((1 << bits) - 1);
  const at = (i * bits) >>> 3;
  let v = 0;
  for (let k = 0; k < bits >>> 3; k++) v = v * 256 + block[at + k]!;
  return v;
}

/** Writes entry `i` of a refcount block of `bits`-bit entries (values beyond the width are refused by the caller). */
export function setRefcount(block: Uint8Array, i: number, bits: number, value: number): void {
  if (bits < 8) {
    const at = (i * bits) >>> 3;
    const shift = (i * bits) & 7;
    const mask = ((1 << bits) - 1) << shift;
    block[at] = (block[at]! & ~mask) | ((value << shift) & mask);
    return;
  }
  const at = (i * bits) >>> 3;
  for (let k = (bits >>> 3) - 1, v = value; k >= 0; k--, v = Math.floor(v / 256)) block[at + k] = v % 256;
}

export class Refcounts {
  readonly perBlock: number;
  readonly max: number;
  private readonly blocks = new Map<number, Uint8Array>();
  private readonly dirtyBlocks = new Set<number>();
  /** Host offsets of all refcount blocks (what isMetadata asks). */
  private readonly blockOffsets: Set<number>;
  private tableDirty = false;
  /** Where the table was before it grew (freed once the header points at the new one). */
  private oldTables: Array<{ offset: number; clusters: number }> = [];
  /** Clusters below it have no free (count 0) cluster not handed out. */
  private freeCursor = 0;

  constructor(
    private readonly io: HostIo,
    private readonly name: string,
    private readonly clusterSize: number,
    private readonly bits: number,
    /** Block offsets, one per table entry (0: no block). */
    private table: number[],
    public tableOffset: number,
    public tableClusters: number,
    /** First cluster past everything allocated (the file's end, in clusters). */
    public endCluster: number,
  ) {
    this.perBlock = (clusterSize * 8) / bits;
    this.max = bits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** bits - 1;
    this.blockOffsets = new Set(table.filter((o) => o !== 0));
  }

  static async load(io: HostIo, name: string, clusterSize: number, order: number, tableOffset: number, tableClusters: number, fileSize: number): Promise<Refcounts> {
    const bad = (p: string) => new ImageError(name, `qcow2 image is corrupt: ${p}`);
    if (tableOffset % clusterSize !== 0 || tableOffset === 0) throw bad(`its refcount table is not cluster-aligned (offset ${tableOffset})`);
    if (tableClusters === 0 || tableOffset + tableClusters * clusterSize > fileSize) {
      throw new ImageError(name, `qcow2 image is truncated: its refcount table (offset ${tableOffset}, ${tableClusters} clusters) is past the end of the file (size ${fileSize})`);
    }
    if (tableClusters * clusterSize > 256 * 1024 * 1024) throw bad(`its refcount table is too large (${tableClusters} clusters)`);
    const raw = await io.read(tableOffset, tableClusters * clusterSize);
    const v = new DataView(raw.buffer, raw.byteOffset, raw.length);
    const table: number[] = [];
    for (let i = 0; i < raw.length / 8; i++) {
      const off = (v.getUint32(i * 8) >>> 0) * HI + ((v.getUint32(i * 8 + 4) & ENTRY_OFFSET_LO) >>> 0);
      if (off % clusterSize !== 0) throw bad(`refcount block ${i} is not cluster-aligned (offset ${off})`);
      if (off !== 0 && off + clusterSize > fileSize) {
        throw new ImageError(name, `qcow2 image is truncated: refcount block ${i} (offset ${off}) is past the end of the file (size ${fileSize})`);
      }
      table.push(off);
    }
    return new Refcounts(io, name, clusterSize, 2 ** order, table, tableOffset, tableClusters, Math.ceil(fileSize / clusterSize));
  }

  private async block(index: number): Promise<Uint8Array | null> {
    const off = this.table[index] ?? 0;
    if (off === 0) return null;
    let b = this.blocks.get(off);
    if (!b) {
      b = await this.io.read(off, this.clusterSize);
      this.blocks.set(off, b);
    }
    return b;
  }

  async get(cluster: number): Promise<number> {
    const b = await this.block(Math.floor(cluster / this.perBlock));
    return b ? getRefcount(b, cluster % this.perBlock, this.bits) : 0;
  }

  async set(cluster: number, value: number): Promise<void> {
    if (value < 0 || value > this.max) {
      throw new ImageError(this.name, `qcow2 refcount of the cluster at offset ${cluster * this.clusterSize} would be ${value}: out of range for ${this.bits}-bit refcounts`);
    }
    // Clusters are only ever counted inside the file or just allocated at its end: anything else is a lying L2 entry.
    if (cluster >= this.endCluster) throw new ImageError(this.name, `qcow2 image is corrupt: a table points at offset ${cluster * this.clusterSize}, past the end of the file`);
    const index = Math.floor(cluster / this.perBlock);
    if (index >= this.table.length) this.grow(index);
    let b = await this.block(index);
    if (!b) {
      // A new block at the end of the file; it is counted like any cluster (perhaps in itself).
      const at = this.endCluster++;
      b = new Uint8Array(this.clusterSize);
      this.table[index] = at * this.clusterSize;
      this.blockOffsets.add(at * this.clusterSize);
      this.blocks.set(at * this.clusterSize, b);
      this.dirtyBlocks.add(at * this.clusterSize);
      this.tableDirty = true;
      await this.set(at, 1);
    }
    setRefcount(b, cluster % this.perBlock, this.bits, value);
    this.dirtyBlocks.add(this.table[index]!);
    if (value === 0 && cluster < this.freeCursor) this.freeCursor = cluster;
  }

  /** Moves the table to the end of the file with room for `index` and for the clusters its own growth needs. */
  private grow(index: number): void {
    let entries = Math.max(index + 1, this.table.length * 2);
    let clusters = Math.ceil((entries * 8) / this.clusterSize);
    // Room for the blocks counting the new table and everything up to it.
    entries = Math.max(entries, Math.floor((this.endCluster + clusters + 2) / this.perBlock) + 2);
    clusters = Math.ceil((entries * 8) / this.clusterSize);
    // A table that moved again before it was even counted needs no freeing.
    if (!this.pendingTableCount) this.oldTables.push({ offset: this.tableOffset, clusters: this.tableClusters });
    const at = this.endCluster;
    this.endCluster += clusters;
    while (this.table.length < (clusters * this.clusterSize) / 8) this.table.push(0);
    this.tableOffset = at * this.clusterSize;
    this.tableClusters = clusters;
    this.tableDirty = true;
    this.pendingTableCount = { at, clusters };
  }

  private pendingTableCount: { at: number; clusters: number } | null = null;

  /** Counts the clusters of a table that just moved (set() may move it, so this runs outside it). */
  private async countMovedTable(): Promise<void> {
    while (this.pendingTableCount) {
      const { at, clusters } = this.pendingTableCount;
      this.pendingTableCount = null;
      for (let c = at; c < at + clusters; c++) await this.set(c, 1);
    }
  }

  /** True for clusters of the refcount table and blocks. */
  isMetadata(cluster: number): boolean {
    const first = this.tableOffset / this.clusterSize;
    if (cluster >= first && cluster < first + this.tableClusters) return true;
    return this.blockOffsets.has(cluster * this.clusterSize);
  }

  /** One new cluster, counted 1: a free one inside the file, else one at its end. */
  async allocate(): Promise<number> {
    for (; this.freeCursor < this.endCluster; this.freeCursor++) {
      const index = Math.floor(this.freeCursor / this.perBlock);
      if (index < this.table.length && (this.table[index] ?? 0) === 0) {
        // No block: the whole range counts 0, but blocks are allocated from the end: skip to keep the file dense.
        this.freeCursor = (index + 1) * this.perBlock - 1;
        continue;
      }
      if ((await this.get(this.freeCursor)) === 0) {
        const c = this.freeCursor++;
        await this.set(c, 1);
        await this.countMovedTable();
        return c;
      }
    }
    const c = this.endCluster++;
    this.freeCursor = this.endCluster;
    await this.set(c, 1);
    await this.countMovedTable();
    return c;
  }

  /** Takes one reference from `cluster` (the cluster becomes free at 0). */
  async release(cluster: number): Promise<void> {
    const n = await this.get(cluster);
    if (n === 0) throw new ImageError(this.name, `qcow2 image is corrupt: the cluster at offset ${cluster * this.clusterSize} is in use but has refcount 0`);
    await this.set(cluster, n - 1);
    await this.countMovedTable();
  }

  get dirty(): boolean {
    return this.dirtyBlocks.size > 0 || this.tableDirty;
  }

  /**
   * Writes the changed blocks, then the table if it changed. Returns the table
   * the header must now point at when it moved (the caller writes the header,
   * then calls releaseOldTable()).
   */
  async writeDirty(): Promise<{ offset: number; clusters: number } | null> {
    for (const off of this.dirtyBlocks) await this.io.write(off, this.blocks.get(off)!);
    this.dirtyBlocks.clear();
    if (!this.tableDirty) return null;
    const raw = new Uint8Array(this.tableClusters * this.clusterSize);
    const v = new DataView(raw.buffer);
    this.table.forEach((off, i) => {
      v.setUint32(i * 8, Math.floor(off / HI));
      v.setUint32(i * 8 + 4, off % HI);
    });
    await this.io.write(this.tableOffset, raw);
    this.tableDirty = false;
    return this.oldTables.length > 0 ? { offset: this.tableOffset, clusters: this.tableClusters } : null;
  }

  /** Frees the clusters of the table the header no longer points at. */
  async releaseOldTable(): Promise<void> {
    const olds = this.oldTables;
    this.oldTables = [];
    for (const old of olds) {
      for (let c = old.offset / this.clusterSize; c < old.offset / this.clusterSize + old.clusters; c++) await this.release(c);
    }
  }
}
