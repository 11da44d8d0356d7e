/**
 * A logical volume as a BlockDevice: maps LV offsets onto the data areas of
 * its PVs. Linear segments are one area; striped segments spread
 * `stripeSize`-byte chunks round-robin over their areas (chunk i goes to
 * area i mod N, at row floor(i / N)). Closing an LV does not close its PVs.
 */
import type { BlockDevice, Extent } from '../block/block-device.js';
import { appendExtent } from '../block/extent-list.js';
import { checkRange } from '../block/slice.js';
import { ErrnoError } from '../errors/index.js';
import { partitionPoint } from '../util/partition-point.js';

export interface LvArea {
  dev: BlockDevice;
  /** Byte offset of the area on `dev`. */
  offset: number;
}

export interface LvSegmentMap {
  /** Byte offset of the segment in the LV. */
  start: number;
  /** Length in bytes. */
  length: number;
  /** 'striped' (linear = one area), 'zero' (reads zeroes) or 'error' (I/O errors). */
  kind: 'striped' | 'zero' | 'error';
  /** Chunk size in bytes for more than one area. */
  stripeSize: number;
  areas: LvArea[];
}

interface Piece {
  /** Offset in the request buffer / LV-relative offset of the piece. */
  lvOffset: number;
  length: number;
  seg: LvSegmentMap;
  dev?: BlockDevice;
  devOffset: number;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function each<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  if (items.length === 1) return fn(items[0]!);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class LvDevice implements BlockDevice {
  readonly name: string;
  readonly size: number;
  readonly readOnly: boolean;
  readonly segments: readonly LvSegmentMap[];

  constructor(name: string, segments: LvSegmentMap[], opts: { readOnly?: boolean } = {}) {
    this.name = name;
    let pos = 0;
    for (const s of segments) {
      if (s.start !== pos || s.length <= 0) throw new ErrnoError('EINVAL', `${name}: LV segments are not contiguous`, { disk: name });
      if (s.kind === 'striped') {
        if (s.areas.length === 0) throw new ErrnoError('EINVAL', `${name}: LV segment without areas`, { disk: name });
        if (s.areas.length > 1 && !(s.stripeSize > 0)) throw new ErrnoError('EINVAL', `${name}: bad stripe size`, { disk: name });
      }
      pos += s.length;
    }
    this.size = pos;
    this.segments = segments;
    this.readOnly = opts.readOnly === true || segments.some((s) => s.areas.some((a) => a.dev.readOnly));
  }

  /** The index of the last segment starting at or before `offset`. */
  private findSegment(offset: number): number {
    return Math.max(0, partitionPoint(this.segments.length, (i) => this.segments[i]!.start <= offset) - 1);
  }

  private pieces(offset: number, length: number): Piece[] {
    const out: Piece[] = [];
    if (length === 0) return out;
    let i = this.findSegment(offset);
    let pos = offset;
    const end = offset + length;
    while (pos < end) {
      const seg = this.segments[i]!;
      const segEnd = seg.start + seg.length;
      const o = pos - seg.start;
      let len: number;
      if (seg.kind !== 'striped') {
        len = Math.min(end, segEnd) - pos;
        out.push({ lvOffset: pos - offset, length: len, seg, devOffset: 0 });
      } else if (seg.areas.length === 1) {
        len = Math.min(end, segEnd) - pos;
        const a = seg.areas[0]!;
        out.push({ lvOffset: pos - offset, length: len, seg, dev: a.dev, devOffset: a.offset + o });
      } else {
        const n = seg.areas.length;
        const chunk = seg.stripeSize;
        const c = Math.floor(o / chunk);
        const within = o - c * chunk;
        const a = seg.areas[c % n]!;
        len = Math.min(end, segEnd, pos + chunk - within) - pos;
        out.push({ lvOffset: pos - offset, length: len, seg, dev: a.dev, devOffset: a.offset + Math.floor(c / n) * chunk + within });
      }
      pos += len;
      if (pos >= segEnd) i++;
    }
    return out;
  }

  private eio(what: string, p: Piece, offset: number): ErrnoError {
    return new ErrnoError('EIO', `${this.name}: ${what} at offset ${offset + p.lvOffset}: the LV maps this range to an error segment`, {
      disk: this.name,
    });
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, this.size, offset, length, 'read');
    const buf = new Uint8Array(length);
    await this.readInto(offset, buf);
    return buf;
  }

  async readInto(offset: number, into: Uint8Array): Promise<void> {
    checkRange(this.name, this.size, offset, into.length, 'read');
    await each(this.pieces(offset, into.length), 8, async (p) => {
      const dst = into.subarray(p.lvOffset, p.lvOffset + p.length);
      if (p.seg.kind === 'zero') dst.fill(0);
      else if (p.seg.kind === 'error') throw this.eio('read', p, offset);
      else await p.dev!.readInto(p.devOffset, dst);
    });
  }

  private checkWritable(what: string): void {
    if (this.readOnly) throw new ErrnoError('EROFS', `${this.name}: ${what}: the logical volume is read-only`, { disk: this.name });
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.checkWritable('write');
    checkRange(this.name, this.size, offset, data.length, 'write');
    await each(this.pieces(offset, data.length), 8, async (p) => {
      if (p.seg.kind === 'zero') return; // dm "zero" targets discard writes
      if (p.seg.kind === 'error') throw this.eio('write', p, offset);
      await p.dev!.write(p.devOffset, data.subarray(p.lvOffset, p.lvOffset + p.length));
    });
  }

  async zero(offset: number, length: number, trim?: boolean): Promise<void> {
    this.checkWritable('zero');
    checkRange(this.name, this.size, offset, length, 'zero');
    await each(this.pieces(offset, length), 8, async (p) => {
      if (p.seg.kind === 'zero') return;
      if (p.seg.kind === 'error') throw this.eio('zero', p, offset);
      await p.dev!.zero(p.devOffset, p.length, trim);
    });
  }

  async flush(): Promise<void> {
    const devs = new Set<BlockDevice>();
    for (const s of this.segments) for (const a of s.areas) devs.add(a.dev);
    for (const d of devs) await d.flush();
  }

  async extents(offset: number, length: number): Promise<Extent[]> {
    checkRange(this.name, this.size, offset, length, 'extents');
    const out: Extent[] = [];
    const push = (e: Extent) => appendExtent(out, e);
    for (const p of this.pieces(offset, length)) {
      const at = offset + p.lvOffset;
      if (p.seg.kind === 'zero') {
        push({ offset: at, length: p.length, zero: true, hole: true });
      } else if (p.seg.kind === 'error') {
        push({ offset: at, length: p.length, zero: false, hole: false });
      } else {
        for (const e of await p.dev!.extents(p.devOffset, p.length)) {
          const s = Math.max(e.offset, p.devOffset);
          const t = Math.min(e.offset + e.length, p.devOffset + p.length);
          if (t > s) push({ offset: at + (s - p.devOffset), length: t - s, zero: e.zero, hole: e.hole });
        }
      }
    }
    return out;
  }

  async close(): Promise<void> {
    // The PVs belong to whoever opened them.
  }
}
