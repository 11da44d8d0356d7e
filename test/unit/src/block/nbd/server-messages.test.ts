import { describe, expect, it } from 'vitest';
import { zeroRuns } from '../../../../../src/block/nbd/server-messages.js';
import { ReadBufferPool } from '../../../../../src/block/nbd/buffer-pool.js';

const K = 1024;

describe('zeroRuns', () => {
  it('cuts data into zero and non-zero runs in 64 KiB steps, merging neighbours', () => {
    const b = Buffer.alloc(320 * K);
    b[70 * K] = 1; // second 64 KiB step
    b[200 * K] = 7; // fourth step
    expect(zeroRuns(b)).toEqual([
      { from: 0, to: 64 * K, zero: true },
      { from: 64 * K, to: 128 * K, zero: false },
      { from: 128 * K, to: 192 * K, zero: true },
      { from: 192 * K, to: 256 * K, zero: false },
      { from: 256 * K, to: 320 * K, zero: true },
    ]);
  });

  it('handles a short tail, a view into a larger buffer, and no data', () => {
    const big = Buffer.alloc(200 * K, 0xff);
    const view = big.subarray(10, 10 + 100 * K);
    view.fill(0, 64 * K);
    expect(zeroRuns(view)).toEqual([
      { from: 0, to: 64 * K, zero: false },
      { from: 64 * K, to: 100 * K, zero: true },
    ]);
    expect(zeroRuns(Buffer.alloc(0))).toEqual([]);
  });
});

describe('ReadBufferPool', () => {
  it('hands a released buffer out again and keeps no more than its bound', () => {
    const pool = new ReadBufferPool(300 * K);
    const a = pool.take(100 * K);
    expect(a.length).toBe(100 * K);
    pool.release(a);
    const b = pool.take(120 * K);
    expect(b.buffer).toBe(a.buffer); // same class (128 KiB and the headers' room)
    expect(a.buffer.byteLength).toBe(132 * K);
    const c = pool.take(200 * K);
    const d = pool.take(200 * K);
    pool.release(c);
    pool.release(d); // over the 300 KiB bound: dropped
    expect(pool.take(200 * K).buffer).toBe(c.buffer);
    expect(pool.take(200 * K).buffer).not.toBe(d.buffer);
  });

  it('gives small buffers from Node\'s slab, never a pooled 68 KiB one, and does not keep them', () => {
    const pool = new ReadBufferPool(300 * K);
    const small = pool.take(10 * K);
    expect(small.buffer.byteLength).toBe(10 * K);
    pool.release(small);
    expect(pool.take(10 * K).buffer).not.toBe(small.buffer);
  });
});
