import type { SyncDevice } from '../../src/fs/fs-driver.js';

/** A read-only view of part of a device (from `start`, `size` bytes: a partition) with some bytes replaced (corruption without copying the image). */
export class PatchedDevice implements SyncDevice {
  readonly readOnly = true;
  readonly size: number;
  constructor(private readonly base: SyncDevice, private readonly patches = new Map<number, number>(), private readonly start = 0, size?: number) {
    this.size = size ?? base.size - start;
  }
  read(offset: number, into: Uint8Array): void {
    this.base.read(this.start + offset, into);
    for (const [at, v] of this.patches) if (at >= offset && at < offset + into.length) into[at - offset] = v;
  }
  write(): void {
    throw new Error('read-only');
  }
  flush(): void {}
}
