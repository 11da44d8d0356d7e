/**
 * An in-memory BlockDevice, for building LVM images in tests and fixtures
 * (write them out with `fs.writeFileSync(path, dev.data)`).
 */
import type { BlockDevice, Extent } from '../../src/block/block-device.js';
import { checkRange } from '../../src/block/slice.js';
import { ErrnoError } from '../../src/errors/index.js';

export class MemoryDevice implements BlockDevice {
  readonly size: number;
  readonly data: Uint8Array;

  constructor(
    sizeOrData: number | Uint8Array,
    readonly name: string = 'memory',
    readonly readOnly: boolean = false,
  ) {
    this.data = typeof sizeOrData === 'number' ? new Uint8Array(sizeOrData) : sizeOrData;
    this.size = this.data.length;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, this.size, offset, length, 'read');
    return this.data.slice(offset, offset + length);
  }

  async readInto(offset: number, into: Uint8Array): Promise<void> {
    checkRange(this.name, this.size, offset, into.length, 'read');
    into.set(this.data.subarray(offset, offset + into.length));
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    if (this.readOnly) throw new ErrnoError('EROFS', `${this.name}: write: the disk is read-only`, { disk: this.name });
    checkRange(this.name, this.size, offset, data.length, 'write');
    this.data.set(data, offset);
  }

  async zero(offset: number, length: number): Promise<void> {
    if (this.readOnly) throw new ErrnoError('EROFS', `${this.name}: zero: the disk is read-only`, { disk: this.name });
    checkRange(this.name, this.size, offset, length, 'zero');
    this.data.fill(0, offset, offset + length);
  }

  async flush(): Promise<void> {}

  async extents(offset: number, length: number): Promise<Extent[]> {
    checkRange(this.name, this.size, offset, length, 'extents');
    return length ? [{ offset, length, zero: false, hole: false }] : [];
  }

  async close(): Promise<void> {}
}
