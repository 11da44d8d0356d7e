/**
 * A BlockDevice that remembers the first write, zero or flush that failed. A
 * device served to a VM returns such a failure to the guest, whose kernel may
 * only log it (a filesystem shut down, an unmount that still succeeds): the
 * host side, which saw the failure, asks `failure` before it trusts the result.
 */
import type { BlockDevice, Extent } from './block-device.js';

export class FailureWatch implements BlockDevice {
  /** The first failed change, if any. */
  failure: unknown;

  readonly name: string;
  readonly size: number;
  readonly readOnly: boolean;

  constructor(private readonly dev: BlockDevice) {
    ({ name: this.name, size: this.size, readOnly: this.readOnly } = dev);
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    return this.dev.read(offset, length);
  }

  readInto(offset: number, into: Uint8Array): Promise<void> {
    return this.dev.readInto(offset, into);
  }

  extents(offset: number, length: number): Promise<Extent[]> {
    return this.dev.extents(offset, length);
  }

  private async watched(change: Promise<void>): Promise<void> {
    try {
      await change;
    } catch (e) {
      this.failure ??= e;
      throw e;
    }
  }

  write(offset: number, data: Uint8Array): Promise<void> {
    return this.watched(this.dev.write(offset, data));
  }

  zero(offset: number, length: number, trim?: boolean): Promise<void> {
    return this.watched(this.dev.zero(offset, length, trim));
  }

  flush(): Promise<void> {
    return this.watched(this.dev.flush());
  }

  close(): Promise<void> {
    return this.dev.close();
  }
}
