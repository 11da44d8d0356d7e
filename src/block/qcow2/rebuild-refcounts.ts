/**
 * Rebuilds the refcounts of a qcow2 image from what its tables reference, as
 * qemu does for an image left with the dirty bit set (lazy refcounts, or a
 * crash in the middle of a guestkit write): every cluster the header, the L1
 * table, the L2 tables and the data use is counted, and a fresh refcount
 * table and blocks covering the whole file are written after its end. The
 * caller then points the header at them; the old ones become free clusters.
 */
import { ImageError } from '../../errors/index.js';
import { decodeL2, entryOffset } from './l2-entry.js';
import { l2EntryBytes, type Qcow2Header } from './qcow2-header.js';
import { setRefcount, type HostIo } from './refcounts.js';

/** Counts per host cluster (grown as needed, never past the end of the file). */
class Counter {
  counts: Uint32Array;
  constructor(
    private readonly name: string,
    private readonly clusterSize: number,
    readonly fileClusters: number,
  ) {
    this.counts = new Uint32Array(fileClusters);
  }

  add(offset: number, length: number, what: string): void {
    const first = Math.floor(offset / this.clusterSize);
    const last = Math.floor((offset + length - 1) / this.clusterSize);
    if (last >= this.fileClusters) {
      throw new ImageError(this.name, `qcow2 image is corrupt: ${what} (offset ${offset}) is past the end of the file: refcounts cannot be rebuilt`);
    }
    for (let c = first; c <= last; c++) this.counts[c]!++;
  }
}

export async function rebuildRefcounts(io: HostIo, name: string, h: Qcow2Header, l1: DataView, fileSize: number): Promise<{ tableOffset: number; tableClusters: number }> {
  const cs = h.clusterSize;
  const counter = new Counter(name, cs, Math.ceil(fileSize / cs));
  counter.add(0, cs, 'the header');
  if (h.l1Size > 0) counter.add(h.l1Offset, h.l1Size * 8, 'the L1 table');
  const entryBytes = l2EntryBytes(h);
  const perTable = cs / entryBytes;
  for (let i = 0; i < h.l1Size; i++) {
    const l2 = entryOffset(l1.getUint32(i * 8), l1.getUint32(i * 8 + 4));
    if (l2 === 0) continue;
    if (l2 % cs !== 0) throw new ImageError(name, `qcow2 image is corrupt: an L1 entry points at an unaligned L2 table (offset ${l2})`);
    counter.add(l2, cs, 'an L2 table');
    const raw = await io.read(l2, cs);
    const t = new DataView(raw.buffer, raw.byteOffset, raw.length);
    for (let j = 0; j < perTable; j++) {
      const at = j * entryBytes;
      const hi = t.getUint32(at);
      const u = decodeL2(t, at, 0, h);
      if (typeof u === 'string' && !h.extendedL2) throw new ImageError(name, `qcow2 image is corrupt: ${u}`);
      if (hi & 0x40000000 && typeof u !== 'string') counter.add(u.host, u.compressedLength, 'a compressed cluster');
      else {
        // Data and preallocated zero clusters alike hold their host cluster.
        const host = entryOffset(hi, t.getUint32(at + 4));
        if (host !== 0) counter.add(host, cs, 'a data cluster');
      }
    }
  }
  const bits = 2 ** h.refcountOrder;
  const perBlock = (cs * 8) / bits;
  const max = bits >= 32 ? 2 ** 32 - 1 : 2 ** bits - 1;
  const n = counter.fileClusters;
  for (let c = 0; c < n; c++) {
    if (counter.counts[c]! > max) throw new ImageError(name, `qcow2 image is corrupt: the cluster at offset ${c * cs} is used ${counter.counts[c]} times, more than ${bits}-bit refcounts hold`);
  }
  // The new table and blocks sit after the end of the file and count themselves.
  let blocks = 1;
  let tableClusters = 1;
  for (;;) {
    const total = n + tableClusters + blocks;
    const b = Math.ceil(total / perBlock);
    const t = Math.ceil((b * 8) / cs);
    if (b === blocks && t === tableClusters) break;
    blocks = b;
    tableClusters = t;
  }
  const total = n + tableClusters + blocks;
  const table = new Uint8Array(tableClusters * cs);
  const tv = new DataView(table.buffer);
  const blockBytes = new Uint8Array(blocks * cs);
  for (let c = 0; c < total; c++) {
    const count = c < n ? counter.counts[c]! : 1;
    if (count === 0) continue;
    const b = Math.floor(c / perBlock);
    setRefcount(blockBytes.subarray(b * cs, (b + 1) * cs), c % perBlock, bits, count);
  }
  for (let b = 0; b < blocks; b++) {
    const off = (n + tableClusters + b) * cs;
    tv.setUint32(b * 8, Math.floor(off / 2 ** 32));
    tv.setUint32(b * 8 + 4, off % 2 ** 32);
  }
  await io.write((n + tableClusters) * cs, blockBytes);
  await io.write(n * cs, table);
  return { tableOffset: n * cs, tableClusters };
}
