/**
 * A window [start, start+length) of another device, e.g. a partition.
 * Closing a slice does not close the device below it.
 */
import type { BlockDevice, Extent } from './block-device.js';
import { ErrnoError } from '../errors/index.js';

/** Throws a one-line error naming `name` when [offset, offset+length) is not inside [0, size). */
export function checkRange(name: string, size: number, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new ErrnoError('EINVAL', `${name}: ${what}: bad offset ${offset} or length ${length}`, { disk: name });
  }
  if (offset + length > size) {
    throw new ErrnoError(
      'EINVAL',
      `${name}: ${what} of ${length} bytes at offset ${offset} is beyond the end of the disk (size ${size})`,
      { disk: name },
    );
  }
}

/** A write to a device opened read-only: EROFS, naming the disk and the operation. */
export function checkWritable(name: string, readOnly: boolean, what: string): void {
  if (readOnly) throw new ErrnoError('EROFS', `${name}: ${what}: the disk is read-only`, { disk: name });
}

export class SliceDevice implements BlockDevice {
  readonly name: string;
  readonly size: number;
  readonly readOnly: boolean;

  constructor(
    readonly parent: BlockDevice,
    readonly start: number,
    length: number,
    opts: { name?: string; readOnly?: boolean } = {},
  ) {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 0 || start + length > parent.size) {
      throw new ErrnoError(
        'EINVAL',
        `${parent.name}: slice [${start}, ${start + length}) is outside the disk (size ${parent.size})`,
        { disk: parent.name },
      );
    }
    this.size = length;
    this.name = opts.name ?? `${parent.name}@${start}+${length}`;
    this.readOnly = parent.readOnly || opts.readOnly === true;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, this.size, offset, length, 'read');
    return this.parent.read(this.start + offset, length);
  }

  async readInto(offset: number, into: Uint8Array): Promise<void> {
    checkRange(this.name, this.size, offset, into.length, 'read');
    return this.parent.readInto(this.start + offset, into);
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    if (this.readOnly) throw new ErrnoError('EROFS', `${this.name}: write: the disk is read-only`, { disk: this.name });
    checkRange(this.name, this.size, offset, data.length, 'write');
    return this.parent.write(this.start + offset, data);
  }

  async zero(offset: number, length: number, trim?: boolean): Promise<void> {
    if (this.readOnly) throw new ErrnoError('EROFS', `${this.name}: zero: the disk is read-only`, { disk: this.name });
    checkRange(this.name, this.size, offset, length, 'zero');
    return this.parent.zero(this.start + offset, length, trim);
  }

  flush(): Promise<void> {
    return this.parent.flush();
  }

  async extents(offset: number, length: number): Promise<Extent[]> {
    checkRange(this.name, this.size, offset, length, 'extents');
    const ext = await this.parent.extents(this.start + offset, length);
    return ext.map((e) => ({ ...e, offset: e.offset - this.start }));
  }

  async close(): Promise<void> {
    // The parent belongs to whoever made the slice.
  }
}
