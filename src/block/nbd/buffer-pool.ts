/**
 * Read buffers the NBD server reuses once their reply has gone to the socket:
 * a fresh Buffer per read reply (thousands a second, each outside the V8 heap)
 * made the garbage collector the server's largest cost while serving a disk.
 * Buffers come in power-of-two sizes plus room for a reply's headers (a 256 KiB
 * read and its chunk header fit in one 260 KiB buffer); a bounded number of bytes is kept.
 */
const SMALLEST = 64 * 1024;
const HEADROOM = 4096;
const UNPOOLED = 16 * 1024;

export class ReadBufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private keptBytes = 0;

  constructor(private readonly maxKeptBytes: number) {}

  /** A buffer of exactly `length` bytes (contents undefined); give it back with release() when done. */
  take(length: number): Buffer {
    // A small one comes from Node's own slab (release() lets it go): a pooled 68 KiB buffer for each
    // of a client's tiny reads would hold 68 KiB per reply waiting in the socket.
    if (length <= UNPOOLED) return Buffer.allocUnsafe(length);
    const size = sizeClass(length);
    const buf = this.free.get(size)?.pop();
    if (buf) {
      this.keptBytes -= size;
      return buf.subarray(0, length);
    }
    return Buffer.allocUnsafeSlow(size).subarray(0, length);
  }

  /** Returns a buffer from take(); nothing may use it afterwards. */
  release(buf: Buffer): void {
    const size = buf.buffer.byteLength;
    if (buf.byteOffset !== 0 || size !== sizeClass(size) || this.keptBytes + size > this.maxKeptBytes) return;
    const list = this.free.get(size) ?? [];
    list.push(Buffer.from(buf.buffer, 0, size));
    this.free.set(size, list);
    this.keptBytes += size;
  }
}

function sizeClass(length: number): number {
  let size = SMALLEST;
  while (size + HEADROOM < length) size *= 2;
  return size + HEADROOM;
}
