/**
 * CachedDevice against a plain in-memory model: random reads and writes of
 * every size and alignment (small ones cached, large ones straight through)
 * read back what a write-through device would, and flush() leaves the
 * device byte-identical to the model, in few coalesced writes.
 */
import { describe, expect, it } from 'vitest';
import { CachedDevice } from '../../../../src/fs/cached-device.js';
import type { SyncDevice } from '../../../../src/fs/fs-driver.js';

function memDevice(size: number): SyncDevice & { bytes: Uint8Array; writes: number; flushes: number } {
  const bytes = new Uint8Array(size);
  const dev = {
    bytes, writes: 0, flushes: 0, size, readOnly: false,
    read(offset: number, into: Uint8Array) {
      if (offset + into.length > size) throw new Error('read past the end');
      into.set(bytes.subarray(offset, offset + into.length));
    },
    write(offset: number, data: Uint8Array) {
      if (offset + data.length > size) throw new Error('write past the end');
      bytes.set(data, offset);
      dev.writes++;
    },
    flush() {
      dev.flushes++;
    },
  };
  return dev;
}

/** A small deterministic generator (xorshift). */
function rng(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

describe('CachedDevice', () => {
  it('reads back every write and flushes the device to the same bytes', () => {
    const size = 3 * 1024 * 1024 + 1234; // not a multiple of the block size
    const inner = memDevice(size);
    const model = new Uint8Array(size);
    const dev = new CachedDevice(inner);
    const r = rng(12345);
    for (let step = 0; step < 3000; step++) {
      const big = r(20) === 0;
      const len = big ? 256 * 1024 + r(300_000) : 1 + r(9000);
      const offset = r(size - Math.min(len, size));
      const n = Math.min(len, size - offset);
      if (r(2) === 0) {
        const data = new Uint8Array(n).map(() => r(256));
        dev.write(offset, data);
        model.set(data, offset);
      } else {
        const got = new Uint8Array(n);
        dev.read(offset, got);
        expect(Buffer.compare(got, model.subarray(offset, offset + n))).toBe(0);
      }
      if (step % 1000 === 999) {
        dev.flush();
        expect(dev.dirtyBlocks()).toBe(0);
        expect(Buffer.compare(inner.bytes, model)).toBe(0);
      }
    }
    dev.flush();
    expect(Buffer.compare(inner.bytes, model)).toBe(0);
  });

  it('holds small writes until flush and writes them back in sorted runs', () => {
    const inner = memDevice(1 << 20);
    const dev = new CachedDevice(inner);
    for (let i = 0; i < 64; i++) dev.write(i * 512, new Uint8Array(512).fill(i + 1));
    expect(inner.writes).toBe(0);
    expect(inner.bytes[0]).toBe(0);
    dev.flush();
    expect(inner.writes).toBe(1);
    expect(inner.flushes).toBe(1);
    expect(inner.bytes[63 * 512]).toBe(64);
  });

  it('passes a read-only device through', () => {
    const inner = { ...memDevice(8192), readOnly: true, write() { throw new Error('device is read-only'); } };
    const dev = new CachedDevice(inner);
    expect(() => dev.write(0, new Uint8Array(1))).toThrow('read-only');
  });
});
