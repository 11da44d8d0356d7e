/**
 * Allocating and freeing cells: exact-size free lists (built on first use),
 * a new hbin when nothing fits, a freed cell merged with its free neighbours.
 */
import {
  BASE_BLOCK_SIZE,
  HBIN_HEADER_SIZE,
} from './format.js';
import { align8 } from './records.js';
import { HiveCells } from './hive-cells.js';

const FREE_BUCKETS = 512; // exact-size free lists for cells up to 4088 bytes, one list above

export abstract class CellAllocator extends HiveCells {
  private freeLists: Set<number>[] | undefined;
  /** Set by every allocation and free: the hive differs from the file it was read from. */
  protected modified = false;

  /** Called for each cell freed, so that what is cached about it is dropped. */
  protected cellFreed(_off: number): void {}

  private bucketOf(size: number): number {
    return Math.min(size >>> 3, FREE_BUCKETS);
  }

  private free_(): Set<number>[] {
    if (!this.freeLists) {
      this.freeLists = Array.from({ length: FREE_BUCKETS + 1 }, () => new Set<number>());
      for (let i = 0; i < (this.end - BASE_BLOCK_SIZE) >>> 3; i++) {
        if (this.cellMap[i] === 2) {
          const off = BASE_BLOCK_SIZE + i * 8;
          this.freeLists[this.bucketOf(this.dv.getInt32(off, true))]!.add(off);
        }
      }
    }
    return this.freeLists;
  }

  protected grow(need: number): void {
    if (need <= this.buf.length) return;
    let cap = this.buf.length;
    while (cap < need) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.end));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
    const cm = new Uint8Array((cap - BASE_BLOCK_SIZE + 7) >>> 3);
    cm.set(this.cellMap);
    this.cellMap = cm;
    const ph = new Int32Array((cap - BASE_BLOCK_SIZE + 4095) >>> 12);
    ph.set(this.pageHbin);
    this.pageHbin = ph;
  }

  protected appendHbin(cellSize: number): void {
    const size = Math.ceil((cellSize + HBIN_HEADER_SIZE) / 4096) * 4096;
    const pos = this.end;
    this.grow(pos + size);
    this.buf.fill(0, pos, pos + size);
    this.dv.setUint32(pos, 0x6e696268, true);
    this.setU32(pos + 4, pos - BASE_BLOCK_SIZE);
    this.setU32(pos + 8, size);
    this.dv.setBigUint64(pos + 0x14, this.now(), true);
    this.end = pos + size;
    for (let p = pos; p < pos + size; p += 4096) this.pageHbin[(p - BASE_BLOCK_SIZE) >>> 12] = pos;
    const c = pos + HBIN_HEADER_SIZE;
    this.dv.setInt32(c, size - HBIN_HEADER_SIZE, true);
    this.cellMap[(c - BASE_BLOCK_SIZE) >>> 3] = 2;
    this.free_()[this.bucketOf(size - HBIN_HEADER_SIZE)]!.add(c);
  }

  /** Allocates a cell with room for `dataLen` bytes; returns its absolute offset (data zeroed). */
  protected alloc(dataLen: number): number {
    this.modified = true;
    const size = align8(dataLen + 4);
    const lists = this.free_();
    let found = -1;
    for (let b = this.bucketOf(size); b < FREE_BUCKETS && found < 0; b++) {
      const s = lists[b]!;
      if (s.size) found = s.values().next().value!;
    }
    if (found < 0) {
      for (const off of lists[FREE_BUCKETS]!) {
        if (this.dv.getInt32(off, true) >= size) {
          found = off;
          break;
        }
      }
    }
    if (found < 0) {
      this.appendHbin(size);
      return this.alloc(dataLen);
    }
    const fsize = this.dv.getInt32(found, true);
    lists[this.bucketOf(fsize)]!.delete(found);
    let use = fsize;
    if (fsize - size >= 8) {
      use = size;
      const rest = found + size;
      this.dv.setInt32(rest, fsize - size, true);
      this.cellMap[(rest - BASE_BLOCK_SIZE) >>> 3] = 2;
      lists[this.bucketOf(fsize - size)]!.add(rest);
    }
    this.dv.setInt32(found, -use, true);
    this.cellMap[(found - BASE_BLOCK_SIZE) >>> 3] = 1;
    this.buf.fill(0, found + 4, found + use);
    return found;
  }

  /** Frees an allocated cell, merging it with free neighbours in its hbin. */
  protected freeCell(off: number): void {
    this.checkCell(off, 'cell to free');
    this.modified = true;
    this.cellFreed(off);
    const lists = this.free_();
    let size = -this.dv.getInt32(off, true);
    this.buf.fill(0, off + 4, off + size);
    const hbin = this.pageHbin[(off - BASE_BLOCK_SIZE) >>> 12]!;
    const hend = hbin + this.u32(hbin + 8);
    const next = off + size;
    if (next < hend && this.cellMap[(next - BASE_BLOCK_SIZE) >>> 3] === 2) {
      const ns = this.dv.getInt32(next, true);
      lists[this.bucketOf(ns)]!.delete(next);
      this.cellMap[(next - BASE_BLOCK_SIZE) >>> 3] = 0;
      size += ns;
    }
    let start = off;
    for (let p = off - 8; p >= hbin + HBIN_HEADER_SIZE; p -= 8) {
      const st = this.cellMap[(p - BASE_BLOCK_SIZE) >>> 3];
      if (st === 0) continue;
      if (st === 2) {
        const ps = this.dv.getInt32(p, true);
        lists[this.bucketOf(ps)]!.delete(p);
        this.cellMap[(off - BASE_BLOCK_SIZE) >>> 3] = 0;
        size += ps;
        start = p;
      }
      break;
    }
    this.dv.setInt32(start, size, true);
    this.cellMap[(start - BASE_BLOCK_SIZE) >>> 3] = 2;
    lists[this.bucketOf(size)]!.add(start);
  }
}
