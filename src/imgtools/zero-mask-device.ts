/**
 * A read-only view of a device in which given byte ranges read as zeroes: the
 * source as sparsify wants it copied (free filesystem blocks, cleared swap),
 * without writing a byte to the source or to an overlay.
 */
import { readIntoNew, type BlockDevice, type Extent } from '../block/block-device.js';
import { ErrnoError } from '../errors/index.js';
import type { ByteRange } from './free-space/byte-ranges.js';
import { partitionPoint } from '../util/partition-point.js';

export class ZeroMaskDevice implements BlockDevice {
  readonly readOnly = true;
  readonly name: string;
  readonly size: number;

  /** `zeroed` must be sorted and non-overlapping (mergeRanges). */
  constructor(private readonly parent: BlockDevice, private readonly zeroed: readonly ByteRange[]) {
    this.name = parent.name;
    this.size = parent.size;
  }

  /** Index of the first range that ends after `offset`. */
  private firstAfter(offset: number): number {
    return partitionPoint(this.zeroed.length, (i) => this.zeroed[i]![1] <= offset);
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    return readIntoNew(this, offset, length);
  }

  async readInto(offset: number, into: Uint8Array): Promise<void> {
    await this.parent.readInto(offset, into);
    const end = offset + into.length;
    for (let i = this.firstAfter(offset); i < this.zeroed.length && this.zeroed[i]![0] < end; i++) {
      const [s, e] = this.zeroed[i]!;
      into.fill(0, Math.max(s, offset) - offset, Math.min(e, end) - offset);
    }
  }

  async extents(offset: number, length: number): Promise<Extent[]> {
    const out: Extent[] = [];
    for (const x of await this.parent.extents(offset, length)) {
      let at = x.offset;
      const end = x.offset + x.length;
      for (let i = this.firstAfter(at); i < this.zeroed.length && this.zeroed[i]![0] < end && at < end; i++) {
        const s = Math.max(this.zeroed[i]![0], at), e = Math.min(this.zeroed[i]![1], end);
        if (s > at) out.push({ ...x, offset: at, length: s - at });
        out.push({ offset: s, length: e - s, zero: true, hole: x.hole });
        at = e;
      }
      if (at < end) out.push({ ...x, offset: at, length: end - at });
    }
    return out;
  }

  async write(): Promise<void> {
    throw new ErrnoError('EROFS', `${this.name}: the sparsify source is read-only`);
  }
  async zero(): Promise<void> {
    throw new ErrnoError('EROFS', `${this.name}: the sparsify source is read-only`);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {
    await this.parent.close();
  }
}
