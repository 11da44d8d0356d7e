/**
 * The write side of Qcow2Device. A guest write lands in place when its
 * cluster is already the image's own (refcount 1); otherwise a cluster is
 * allocated (a free one, else at the end of the file) and filled with the
 * cluster's current content (backing file, zeroes, or an inflated compressed
 * cluster) around the new bytes, and the L2 entry is switched to it. Zeroing
 * whole clusters uses the zero flag (version 3) or deallocation.
 *
 * Metadata (L1, L2 tables, refcount blocks and table) changes in memory and
 * reaches the file at flush(), in the order: data, fsync, refcounts, L2, L1,
 * fsync, then the references given up are released, fsync. On version 3
 * images the dirty bit is set in the header before the first change and
 * cleared after the flush, so an image left by a crash in between is known
 * to need its refcounts rebuilt, which the next writable open does (as qemu
 * does for lazy refcounts).
 */
import type fs from 'node:fs';
import { ErrnoError, ImageError, codeOfError } from '../../errors/index.js';
import { entryOffset } from './l2-entry.js';
import { l2EntryBytes } from './qcow2-header.js';
import type { Qcow2Device } from './qcow2-device.js';
import { faultPoint } from '../fault-points.js';
import { rebuildRefcounts } from './rebuild-refcounts.js';
import { Refcounts, type HostIo } from './refcounts.js';
import { readFileFully, writeFileFully } from '../raw-file.js';

const HI = 2 ** 32;
const COPIED = 0x80000000;
const COMPRESSED = 0x40000000;
const ZERO = 1;
const DIRTY_BIT = 1n;
const ALL_SUBCLUSTERS = 0xffffffff;

function fileIo(fh: fs.promises.FileHandle, name: string): HostIo {
  return {
    async read(offset, length) {
      const b = new Uint8Array(length);
      await readFileFully(fh, b, offset, {
        failed: (at, e) => new ErrnoError(codeOfError(e), `${name}: read at offset ${at} failed: ${(e as Error).message.split('\n')[0]}`, { disk: name, cause: e }),
        ended: (at) => new ImageError(name, `qcow2 image is truncated: metadata at offset ${at} is past the end of the file`),
      });
      return b;
    },
    async write(offset, data) {
      await writeFileFully(fh, data, offset, (at, e) =>
        new ErrnoError(codeOfError(e), `${name}: write at offset ${at} failed: ${(e as Error).message.split('\n')[0]}`, { disk: name, cause: e }));
    },
  };
}

export class Qcow2Writes {
  private readonly io: HostIo;
  private readonly cs: number;
  private l1Dirty = false;
  /** Host clusters whose reference was given up, released after the tables no longer point at them. */
  private toRelease: number[] = [];
  private headerDirtyBit: boolean;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly dev: Qcow2Device,
    private readonly fh: fs.promises.FileHandle,
    private rc: Refcounts,
  ) {
    this.io = fileIo(fh, dev.name);
    this.cs = dev.header.clusterSize;
    this.headerDirtyBit = dev.header.dirty;
  }

  static async attach(dev: Qcow2Device, fh: fs.promises.FileHandle, repair: boolean): Promise<Qcow2Writes> {
    const h = dev.header;
    if (h.snapshots > 0) {
      throw new ImageError(dev.name, `qcow2 image has ${h.snapshots} internal snapshot(s): writing to it is not supported (delete them with qemu-img snapshot -d, or open it read-only)`);
    }
    const io = fileIo(fh, dev.name);
    if (h.dirty || repair) {
      // Refcounts may be stale: rebuild them before a single cluster is allocated from them.
      const { tableOffset, tableClusters } = await rebuildRefcounts(io, dev.name, h, dev.l1, dev.fileSize);
      await fh.sync();
      const hb = new Uint8Array(12);
      const v = new DataView(hb.buffer);
      v.setUint32(0, Math.floor(tableOffset / HI));
      v.setUint32(4, tableOffset % HI);
      v.setUint32(8, tableClusters);
      await io.write(48, hb);
      h.refcountTableOffset = tableOffset;
      h.refcountTableClusters = tableClusters;
      dev.fileSize = (await fh.stat()).size;
      await fh.sync();
    }
    const rc = await Refcounts.load(io, dev.name, h.clusterSize, h.refcountOrder, h.refcountTableOffset, h.refcountTableClusters, dev.fileSize);
    const w = new Qcow2Writes(dev, fh, rc);
    if (h.dirty || repair) await w.setDirtyBit(false);
    if (h.autoclear !== 0n) {
      // Bitmaps and the like are not kept up to date by guestkit: clearing their bits tells qemu so.
      const b = new Uint8Array(8);
      await io.write(88, b);
      h.autoclear = 0n;
      await fh.sync();
    }
    return w;
  }

  /** Runs `op` after every earlier write, zero or flush (they change shared tables). */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const p = this.queue.then(op);
    this.queue = p.catch(() => {});
    return p;
  }

  private async setDirtyBit(on: boolean): Promise<void> {
    const h = this.dev.header;
    if (h.version < 3 || this.headerDirtyBit === on) return;
    h.incompatible = on ? h.incompatible | DIRTY_BIT : h.incompatible & ~DIRTY_BIT;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, h.incompatible);
    await this.io.write(72, b);
    await this.fh.sync();
    this.headerDirtyBit = on;
    h.dirty = on;
  }

  /** The L2 table (made writable) for guest offset `guest`, allocated when the L1 entry is empty. */
  private async l2ForWrite(guest: number): Promise<DataView> {
    const dev = this.dev;
    const i = Math.floor(guest / dev.l2Span);
    const hi = dev.l1.getUint32(i * 8);
    const lo = dev.l1.getUint32(i * 8 + 4);
    let offset = entryOffset(hi, lo);
    if (offset === 0) {
      offset = (await this.rc.allocate()) * this.cs;
      const table = new DataView(new ArrayBuffer(this.cs));
      dev.dirtyL2.set(offset, table);
      this.setL1(i, offset);
      this.grewTo(offset + this.cs);
      return table;
    }
    if (!(hi & COPIED)) {
      if ((await this.rc.get(offset / this.cs)) !== 1) {
        throw new ImageError(dev.name, `qcow2 L2 table at offset ${offset} is shared (snapshots?): writing to it is not supported`);
      }
      this.setL1(i, offset);
    }
    this.refuseMetadataOverlap(offset);
    const table = await dev.l2Table(i)!;
    dev.dirtyL2.set(offset, table);
    return table;
  }

  private setL1(i: number, offset: number): void {
    this.dev.l1.setUint32(i * 8, Math.floor(offset / HI) | COPIED);
    this.dev.l1.setUint32(i * 8 + 4, offset % HI);
    this.l1Dirty = true;
  }

  private grewTo(end: number): void {
    if (end > this.dev.fileSize) this.dev.fileSize = end;
  }

  /** Gives up the host clusters an L2 entry held (released at the next flush). */
  private dropEntry(t: DataView, at: number): void {
    const hi = t.getUint32(at);
    const lo = t.getUint32(at + 4);
    if (hi & COMPRESSED) {
      const x = 70 - this.dev.header.clusterBits;
      const host = (hi & ((1 << (x - 32)) - 1)) * HI + (lo >>> 0);
      const sectors = ((hi >>> (x - 32)) & ((1 << (this.dev.header.clusterBits - 8)) - 1)) + 1;
      const end = Math.floor(host / 512) * 512 + sectors * 512;
      for (let c = Math.floor(host / this.cs); c <= Math.floor((end - 1) / this.cs); c++) this.toRelease.push(c);
      return;
    }
    const host = entryOffset(hi, lo);
    if (host !== 0) this.toRelease.push(host / this.cs);
  }

  private setEntry(t: DataView, at: number, host: number, zero: boolean): void {
    t.setUint32(at, host === 0 ? 0 : Math.floor(host / HI) | COPIED);
    t.setUint32(at + 4, (host % HI) | (zero && !this.dev.header.extendedL2 ? ZERO : 0));
    if (this.dev.header.extendedL2) {
      t.setUint32(at + 8, zero ? ALL_SUBCLUSTERS : 0); // reads-as-zero bits
      t.setUint32(at + 12, host === 0 ? 0 : ALL_SUBCLUSTERS); // allocated bits
    }
  }

  /** The host cluster of the entry when it is this image's own, plain data cluster (written in place). */
  private async ownCluster(t: DataView, at: number): Promise<number> {
    const hi = t.getUint32(at);
    const lo = t.getUint32(at + 4);
    if (hi & COMPRESSED) return 0;
    const host = entryOffset(hi, lo);
    if (host === 0) return 0;
    if (!this.dev.header.extendedL2 && this.dev.header.version >= 3 && lo & ZERO) return 0;
    if (host + this.cs > this.dev.fileSize) {
      throw new ImageError(this.dev.name, `qcow2 image is corrupt: an L2 entry points at offset ${host}, past the end of the file (size ${this.dev.fileSize})`);
    }
    this.refuseMetadataOverlap(host);
    if (hi & COPIED) return host;
    if ((await this.rc.get(host / this.cs)) === 1) {
      t.setUint32(at, hi | COPIED);
      return host;
    }
    return 0;
  }

  /** A data cluster that is also the header, the L1 table or a refcount structure is a corrupt image: never written over. */
  private refuseMetadataOverlap(host: number): void {
    const h = this.dev.header;
    const c = host / this.cs;
    const l1First = Math.floor(h.l1Offset / this.cs);
    const l1Last = Math.floor((h.l1Offset + Math.max(1, h.l1Size * 8) - 1) / this.cs);
    if (c === 0 || (c >= l1First && c <= l1Last) || this.rc.isMetadata(c)) {
      throw new ImageError(this.dev.name, `qcow2 image is corrupt: a data cluster (offset ${host}) overlaps the image's metadata`);
    }
  }

  write(offset: number, data: Uint8Array): Promise<void> {
    return this.serial(async () => {
      await this.setDirtyBit(true);
      this.dev.lastInflated = null;
      for (let pos = 0; pos < data.length; ) {
        const g = offset + pos;
        const inCluster = g % this.cs;
        const n = Math.min(this.cs - inCluster, data.length - pos);
        await this.writeCluster(g - inCluster, inCluster, data.subarray(pos, pos + n));
        pos += n;
      }
      await this.emitPending();
    });
  }

  /** A host write held back to be merged with the next one when both are contiguous, in the file and in memory. */
  private pending: { host: number; bytes: Uint8Array } | null = null;

  private async emit(host: number, bytes: Uint8Array): Promise<void> {
    const p = this.pending;
    if (p && p.host + p.bytes.length === host && p.bytes.buffer === bytes.buffer && p.bytes.byteOffset + p.bytes.length === bytes.byteOffset) {
      p.bytes = new Uint8Array(bytes.buffer, p.bytes.byteOffset, p.bytes.length + bytes.length);
      return;
    }
    await this.emitPending();
    this.pending = { host, bytes };
  }

  private async emitPending(): Promise<void> {
    const p = this.pending;
    this.pending = null;
    if (p) await this.io.write(p.host, p.bytes);
  }

  private async writeCluster(cluster: number, inCluster: number, piece: Uint8Array): Promise<void> {
    const t = await this.l2ForWrite(cluster);
    const at = ((cluster % this.dev.l2Span) / this.cs) * l2EntryBytes(this.dev.header);
    const own = await this.ownCluster(t, at);
    const extended = this.dev.header.extendedL2;
    const fullyAllocated = !extended || t.getUint32(at + 12) === ALL_SUBCLUSTERS;
    if (own !== 0 && fullyAllocated) {
      await this.emit(own + inCluster, piece);
      return;
    }
    let content = piece;
    if (piece.length !== this.cs) {
      await this.emitPending(); // the cluster's current bytes may be among them
      content = new Uint8Array(this.cs);
      // The cluster's current bytes (backing file, zeroes, compressed data) around the new ones.
      await this.dev.readInto(cluster, content.subarray(0, Math.min(this.cs, this.dev.size - cluster)));
      content.set(piece, inCluster);
    }
    // (Extended L2 with some subclusters unallocated: the whole cluster is written, so all become allocated.)
    const host = own !== 0 ? own : (await this.rc.allocate()) * this.cs;
    await this.emit(host, content);
    this.grewTo(host + this.cs);
    if (own === 0) this.dropEntry(t, at);
    this.setEntry(t, at, host, false);
  }


  zero(offset: number, length: number): Promise<void> {
    return this.serial(async () => {
      await this.setDirtyBit(true);
      this.dev.lastInflated = null;
      const h = this.dev.header;
      // Without the zero flag, a cluster reads as zeroes by being unallocated only when nothing is beneath it.
      const canFlag = h.version >= 3 || this.dev.backing === null;
      for (let pos = 0; pos < length; ) {
        const g = offset + pos;
        const inCluster = g % this.cs;
        const n = Math.min(this.cs - inCluster, length - pos);
        const wholeCluster = inCluster === 0 && (n === this.cs || g + n === this.dev.size);
        const r = await this.dev.run(g, n);
        const alreadyZero = r.length >= n && (r.kind === 'zero' || (r.kind === 'unallocated' && this.dev.backing === null));
        if (!alreadyZero) {
          if (wholeCluster && canFlag) {
            const t = await this.l2ForWrite(g);
            const at = ((g % this.dev.l2Span) / this.cs) * l2EntryBytes(h);
            this.dropEntry(t, at);
            if (h.version >= 3) this.setEntry(t, at, 0, true);
            else this.setEntry(t, at, 0, false);
          } else {
            await this.writeCluster(g - inCluster, inCluster, new Uint8Array(n));
            await this.emitPending();
          }
        }
        pos += n;
      }
    });
  }

  flush(): Promise<void> {
    return this.serial(async () => {
      const dev = this.dev;
      if (!this.rc.dirty && dev.dirtyL2.size === 0 && !this.l1Dirty && this.toRelease.length === 0) {
        await this.fh.sync();
        await this.setDirtyBit(false);
        return;
      }
      faultPoint('qcow2-data-fsync');
      await this.fh.sync(); // data before the tables that point at it
      faultPoint('qcow2-refcounts');
      await this.writeRefcounts();
      faultPoint('qcow2-l2');
      for (const [off, t] of dev.dirtyL2) await this.io.write(off, new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
      dev.dirtyL2.clear();
      if (this.l1Dirty) {
        faultPoint('qcow2-l1');
        await this.io.write(dev.header.l1Offset, new Uint8Array(dev.l1.buffer, dev.l1.byteOffset, dev.l1.byteLength));
        this.l1Dirty = false;
      }
      await this.fh.sync();
      const release = this.toRelease;
      this.toRelease = [];
      for (const c of release) await this.rc.release(c);
      if (release.length > 0) faultPoint('qcow2-release');
      await this.writeRefcounts();
      await this.fh.sync();
      faultPoint('qcow2-clean');
      await this.setDirtyBit(false);
    });
  }

  /** Writes the changed refcount blocks; a table that moved is pointed at by the header, then the old one freed. */
  private async writeRefcounts(): Promise<void> {
    for (;;) {
      const moved = await this.rc.writeDirty();
      if (!moved) break;
      await this.fh.sync();
      const hb = new Uint8Array(12);
      const v = new DataView(hb.buffer);
      v.setUint32(0, Math.floor(moved.offset / HI));
      v.setUint32(4, moved.offset % HI);
      v.setUint32(8, moved.clusters);
      await this.io.write(48, hb);
      this.dev.header.refcountTableOffset = moved.offset;
      this.dev.header.refcountTableClusters = moved.clusters;
      await this.fh.sync();
      await this.rc.releaseOldTable();
    }
    this.grewTo(this.rc.endCluster * this.cs);
  }
}
