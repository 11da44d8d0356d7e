/**
 * Exact-length reads from a socket: bytes go straight into the caller's
 * buffer when a read is waiting, and are queued otherwise (the socket is
 * paused when too much is queued).
 */
import type { Socket } from 'node:net';

const HIGH_WATER = 8 * 1024 * 1024;

interface Waiter {
  dst: Uint8Array;
  filled: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class StreamReader {
  private chunks: Buffer[] = [];
  private head = 0; // offset into chunks[0]
  private queued = 0;
  private waiter: Waiter | null = null;
  private failure: Error | null = null;
  private paused = false;

  constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.push(d));
  }

  /** Every waiting and future read rejects with `err` (the first failure wins). */
  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(err);
  }

  get failed(): Error | null {
    return this.failure;
  }

  read(n: number): Promise<Buffer> {
    const b = Buffer.allocUnsafe(n);
    return this.readInto(b).then(() => b);
  }

  /** The next `n` bytes if they have arrived already (taken), else null (nothing taken). */
  readNow(n: number): Buffer | null {
    if (this.waiter || this.queued < n) return null;
    const b = Buffer.allocUnsafe(n);
    this.take(b, 0);
    return b;
  }

  /** Fills `dst` completely. Only one read may be outstanding. */
  readInto(dst: Uint8Array): Promise<void> {
    if (this.waiter) return Promise.reject(new Error('StreamReader: concurrent reads'));
    let filled = this.take(dst, 0);
    if (filled === dst.length) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    return new Promise<void>((resolve, reject) => {
      this.waiter = { dst, filled, resolve, reject };
    });
  }

  /** Skips `n` bytes. */
  async skip(n: number): Promise<void> {
    const scratch = Buffer.allocUnsafe(Math.min(n, 1 << 20));
    while (n > 0) {
      const k = Math.min(n, scratch.length);
      await this.readInto(scratch.subarray(0, k));
      n -= k;
    }
  }

  private take(dst: Uint8Array, filled: number): number {
    while (filled < dst.length && this.chunks.length > 0) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length - this.head, dst.length - filled);
      dst.set(c.subarray(this.head, this.head + k), filled);
      filled += k;
      this.head += k;
      this.queued -= k;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    return filled;
  }

  private push(d: Buffer): void {
    const w = this.waiter;
    if (w) {
      const k = Math.min(d.length, w.dst.length - w.filled);
      w.dst.set(k === d.length ? d : d.subarray(0, k), w.filled);
      w.filled += k;
      if (k < d.length) {
        this.chunks.push(d.subarray(k));
        this.queued += d.length - k;
      }
      if (w.filled === w.dst.length) {
        this.waiter = null;
        w.resolve();
      }
      return;
    }
    this.chunks.push(d);
    this.queued += d.length;
    if (this.queued > HIGH_WATER && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }
}
