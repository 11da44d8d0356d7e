/**
 * A block cache in front of a filesystem driver's SyncDevice in the fs worker.
 *
 * Every device call of the worker is a round trip to the main thread (the
 * block bridge), and the FAT and NTFS libraries write metadata a sector or a
 * record at a time, the same few blocks again and again (a directory's last
 * sector, the MFT bitmap, an index block): 10,000 small creates made ~30,000
 * round trips. This cache keeps recently used blocks (reads) and holds
 * written ones until flush(), when they go out in sorted, coalesced runs:
 * the driver's flush() and close() flush it, as the kernel's page cache is
 * written back on sync and umount. Large transfers (file data) go straight
 * through, updating the blocks they cover.
 */
import { Lru } from '../util/lru.js';
import type { SyncDevice } from './fs-driver.js';

/** Cache block size: a multiple of every sector size the drivers use. */
const BLOCK = 4096;
/** Transfers of this size or more bypass the cache. */
const LARGE = 256 << 10;
/** Clean blocks kept (least recently used dropped first). */
const MAX_CLEAN_BLOCKS = (32 << 20) / BLOCK;
/** Dirty blocks held before they are written back without waiting for flush(). */
const MAX_DIRTY_BLOCKS = (64 << 20) / BLOCK;
/** Blocks read at once on a miss (an aligned group). */
const FILL_GROUP = 16;
/** Largest single write-back transfer. */
const MAX_RUN_BLOCKS = (4 << 20) / BLOCK;

export class CachedDevice implements SyncDevice {
  private readonly clean = new Lru<number, Uint8Array>(MAX_CLEAN_BLOCKS);
  private readonly dirty = new Map<number, Uint8Array>();

  constructor(private readonly inner: SyncDevice) {}

  get size(): number {
    return this.inner.size;
  }

  get readOnly(): boolean {
    return this.inner.readOnly;
  }

  /** @internal for tests: blocks waiting to be written back */
  dirtyBlocks(): number {
    return this.dirty.size;
  }

  private blockBytes(b: number): number {
    return Math.min(BLOCK, this.inner.size - b * BLOCK);
  }

  read(offset: number, into: Uint8Array): void {
    if (into.length === 0) return;
    if (into.length >= LARGE || offset + into.length > this.inner.size) {
      this.inner.read(offset, into);
      this.overlayDirty(offset, into);
      return;
    }
    const first = Math.floor(offset / BLOCK), last = Math.floor((offset + into.length - 1) / BLOCK);
    let missing = false;
    for (let b = first; b <= last && !missing; b++) missing = !this.dirty.has(b) && !this.clean.has(b);
    if (missing) {
      // read the aligned group around a miss too: metadata (MFT records, directory
      // clusters, FAT sectors) is read in runs of neighbours
      const g0 = first - (first % FILL_GROUP);
      this.fill(g0, Math.min(Math.max(last, g0 + FILL_GROUP - 1), Math.ceil(this.inner.size / BLOCK) - 1));
    }
    for (let b = first; b <= last; b++) {
      const blk = this.block(b)!;
      const start = b * BLOCK;
      const from = Math.max(offset, start), to = Math.min(offset + into.length, start + blk.length);
      into.set(blk.subarray(from - start, to - start), from - offset);
    }
  }

  /** Reads blocks [first, last] from the device in one transfer; blocks held dirty keep their content. */
  private fill(first: number, last: number): void {
    const start = first * BLOCK;
    const buf = new Uint8Array(Math.min((last - first + 1) * BLOCK, this.inner.size - start));
    this.inner.read(start, buf);
    for (let b = first; b <= last; b++) {
      if (this.dirty.has(b)) continue;
      const o = (b - first) * BLOCK;
      this.clean.set(b, buf.slice(o, o + this.blockBytes(b)));
    }
  }

  /** The cached block `b` (dirty or clean; a clean hit becomes most recently used). */
  private block(b: number): Uint8Array | undefined {
    return this.dirty.get(b) ?? this.clean.get(b);
  }

  /** Copies the dirty blocks that overlap [offset, offset + into.length) over `into`. */
  private overlayDirty(offset: number, into: Uint8Array): void {
    forEachCached(this.dirty, (b) => this.dirty.get(b), offset, into.length, (from, to, blk, start) => {
      into.set(blk.subarray(from - start, to - start), from - offset);
    });
  }

  write(offset: number, data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.inner.readOnly || data.length >= LARGE || offset + data.length > this.inner.size) {
      // the device's own checks and errors apply; cached copies of the range take the new bytes
      this.inner.write(offset, data);
      this.updateCached(offset, data);
      return;
    }
    const first = Math.floor(offset / BLOCK), last = Math.floor((offset + data.length - 1) / BLOCK);
    for (let b = first; b <= last; b++) {
      const start = b * BLOCK;
      const from = Math.max(offset, start), to = Math.min(offset + data.length, start + this.blockBytes(b));
      let blk = this.dirty.get(b) ?? this.clean.peek(b);
      if (!blk) {
        if (from === start && to === start + this.blockBytes(b)) blk = new Uint8Array(this.blockBytes(b));
        else {
          // a partial write of an uncached block: read its neighbours too (new files' data
          // and metadata land next to each other)
          const g = b - (b % FILL_GROUP);
          this.fill(g, Math.min(g + FILL_GROUP, Math.ceil(this.inner.size / BLOCK)) - 1);
          blk = this.clean.peek(b)!;
        }
      }
      blk.set(data.subarray(from - offset, to - offset), from - start);
      this.clean.delete(b);
      this.dirty.set(b, blk);
    }
    if (this.dirty.size > MAX_DIRTY_BLOCKS) this.writeBack();
  }

  /** After a write that went straight to the device: the cached blocks it covered take its bytes. */
  private updateCached(offset: number, data: Uint8Array): void {
    const take = (from: number, to: number, blk: Uint8Array, start: number) => blk.set(data.subarray(from - offset, to - offset), from - start);
    forEachCached(this.dirty, (b) => this.dirty.get(b), offset, data.length, take);
    forEachCached(this.clean, (b) => this.clean.peek(b), offset, data.length, take);
  }

  /** Writes the dirty blocks to the device in ascending runs; they stay cached, clean. */
  private writeBack(): void {
    if (this.dirty.size === 0) return;
    const blocks = [...this.dirty.keys()].sort((a, b) => a - b);
    let i = 0;
    while (i < blocks.length) {
      let j = i + 1;
      while (j < blocks.length && blocks[j] === blocks[j - 1]! + 1 && j - i < MAX_RUN_BLOCKS) j++;
      const run = blocks.slice(i, j);
      const parts = run.map((b) => this.dirty.get(b)!);
      const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      this.inner.write(run[0]! * BLOCK, buf);
      for (const [k, b] of run.entries()) {
        this.dirty.delete(b);
        this.clean.set(b, parts[k]!);
      }
      i = j;
    }
  }

  flush(): void {
    this.writeBack();
    this.inner.flush();
  }
}

/**
 * Calls `visit` with the overlap [from, to) of each block of `blocks` (found by
 * `lookup`, which leaves their order alone) that meets [offset, offset + length):
 * walking the range or the blocks, whichever is shorter.
 */
function forEachCached(
  blocks: { readonly size: number; entries(): IterableIterator<[number, Uint8Array]> },
  lookup: (b: number) => Uint8Array | undefined,
  offset: number,
  length: number,
  visit: (from: number, to: number, blk: Uint8Array, start: number) => void,
): void {
  if (blocks.size === 0) return;
  const first = Math.floor(offset / BLOCK), last = Math.floor((offset + length - 1) / BLOCK);
  const overlap = (b: number, blk: Uint8Array) => {
    const start = b * BLOCK;
    const from = Math.max(offset, start), to = Math.min(offset + length, start + blk.length);
    if (from < to) visit(from, to, blk, start);
  };
  if (last - first + 1 > blocks.size) {
    for (const [b, blk] of blocks.entries()) if (b >= first && b <= last) overlap(b, blk);
  } else {
    for (let b = first; b <= last; b++) {
      const blk = lookup(b);
      if (blk) overlap(b, blk);
    }
  }
}
