/**
 * A writable image whose writes reach it only through the write-ahead journal:
 * they collect in an overlay, and each flush (the filesystem's sync, unmount,
 * the session's end) commits them as one journaled commit (journaled-commit.ts).
 * A crash therefore leaves the image as of one flush or the next, never between;
 * writes since the last flush are lost, as with any write-back cache.
 */
import type { BlockDevice, Extent } from './block-device.js';
import { journaledCommit } from './journaled-commit.js';
import { OverlayDevice } from './overlay.js';

export class JournaledDevice implements BlockDevice {
  readonly name: string;
  readonly size: number;
  readonly readOnly = false;
  private readonly pending: OverlayDevice;

  constructor(
    private readonly image: string,
    private readonly base: BlockDevice,
  ) {
    this.name = base.name;
    this.size = base.size;
    this.pending = new OverlayDevice(base, { ownsBase: false });
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    return this.pending.read(offset, length);
  }

  readInto(offset: number, into: Uint8Array): Promise<void> {
    return this.pending.readInto(offset, into);
  }

  write(offset: number, data: Uint8Array): Promise<void> {
    return this.pending.write(offset, data);
  }

  zero(offset: number, length: number, trim?: boolean): Promise<void> {
    return this.pending.zero(offset, length, trim);
  }

  extents(offset: number, length: number): Promise<Extent[]> {
    return this.pending.extents(offset, length);
  }

  /** Commits the writes since the last flush (one journaled commit), or flushes the image when there are none. */
  async flush(): Promise<void> {
    if (this.pending.dirtyChunks === 0) return this.base.flush();
    await journaledCommit(this.image, this.base, this.pending.dirtyRanges());
    this.pending.discardChunks();
  }

  /** Commits what is pending, then closes the image. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.pending.close();
      await this.base.close();
    }
  }
}
