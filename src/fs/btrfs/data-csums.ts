/**
 * Data checksums (the csum tree's EXTENT_CSUM items: one CRC-32C per data
 * sector, keyed by the logical address of the first sector they cover), read
 * to pick a good copy of mirrored data: a sector whose copy does not match is
 * read from the next copy, as the kernel repairs reads from a RAID1 mirror.
 */
import { FsError } from '../fs-driver.js';
import { crc32c } from '../xfs/crc32c.js';
import type { TreeReader, TreeRoot } from './tree.js';

/** EXTENT_CSUM_OBJECTID (-10 as a u64), as the tree reader's u64 reads it (doubles round near 2^64). */
const EXTENT_CSUM_OBJECTID = 2 ** 64 - 10;
const EXTENT_CSUM = 128;

export class DataCsums {
  /** The last EXTENT_CSUM item found: consecutive sectors usually share it. */
  private last: { start: number; sums: DataView } | undefined;
  /** The most bytes one item covers: a leaf's worth of 4-byte sums. */
  private readonly maxSpan: number;

  constructor(private readonly reader: TreeReader, private readonly root: TreeRoot, private readonly sectorSize: number, nodeSize: number) {
    this.maxSpan = (nodeSize / 4) * sectorSize;
  }

  /** The CRC-32C stored for the data sector at logical `sector`, or undefined (nodatasum files, no data). */
  of(sector: number): number | undefined {
    const hit = this.covering(this.last, sector);
    if (hit !== undefined) return hit;
    let found: { start: number; sums: DataView } | undefined;
    this.reader.walk(this.root, { objectid: EXTENT_CSUM_OBJECTID, type: EXTENT_CSUM, offset: Math.max(0, sector - this.maxSpan) }, (key, data) => {
      if (key.type !== EXTENT_CSUM || key.offset > sector) return false;
      found = { start: key.offset, sums: new DataView(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
    });
    this.last = found;
    return this.covering(found, sector);
  }

  private covering(item: { start: number; sums: DataView } | undefined, sector: number): number | undefined {
    if (!item || sector < item.start) return undefined;
    const i = (sector - item.start) / this.sectorSize;
    return i * 4 + 4 <= item.sums.byteLength ? item.sums.getUint32(i * 4, true) : undefined;
  }

  /**
   * Checks each whole or partial sector of `data` (logical `logical` onwards, read
   * from copy 0) against its checksum; a sector that fails is read from the other
   * copies (`read(sector, mirror)` gives a whole sector) until one matches.
   */
  repair(logical: number, data: Uint8Array, copies: number, read: (sector: number, mirror: number) => Uint8Array): void {
    const ss = this.sectorSize, end = logical + data.length;
    for (let s = Math.floor(logical / ss) * ss; s < end; s += ss) {
      const want = this.of(s);
      if (want === undefined) continue;
      const lo = Math.max(s, logical), hi = Math.min(s + ss, end);
      const whole = lo === s && hi === s + ss ? data.subarray(s - logical, s - logical + ss) : read(s, 0);
      if (crc32c(whole) === want) continue;
      let good: Uint8Array | undefined;
      for (let m = 1; m < copies && !good; m++) {
        const alt = read(s, m);
        if (crc32c(alt) === want) good = alt;
      }
      if (!good) throw new FsError('EIO', `btrfs: data at logical address ${s}: checksum mismatch on every copy`);
      data.set(good.subarray(lo - s, hi - s), lo - logical);
    }
  }
}
