/**
 * The overlay past its memory bound: chunks move to an unlinked temporary
 * file, reads, writes, zeroes, extents and the commit ranges stay exact, and
 * memory stays at the bound.
 */
import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { OverlayDevice, OVERLAY_CHUNK } from '../../../../src/block/overlay.js';
import { MemoryDevice } from '../../../helpers/mem-device.js';

/** A deterministic pseudo-random sequence (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

const spillFiles = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(`guestkit-overlay-${process.pid}-`));

describe('overlay spill to a temporary file', () => {
  it('keeps every byte while memory stays at the bound', async () => {
    const size = 32 * 1024 * 1024 + 12345; // a short last chunk too
    const base = new MemoryDevice(size);
    for (let i = 0; i < size; i += 4096) base.data[i] = (i / 4096) & 0xff;
    const truth = Uint8Array.from(base.data);
    const limit = 1024 * 1024;
    const ov = new OverlayDevice(base, { memoryLimit: limit });
    const rand = rng(7);
    for (let op = 0; op < 600; op++) {
      const offset = Math.floor(rand() * size);
      const length = Math.min(size - offset, 1 + Math.floor(rand() * 3 * OVERLAY_CHUNK));
      if (rand() < 0.2) {
        await ov.zero(offset, length);
        truth.fill(0, offset, offset + length);
      } else {
        const data = new Uint8Array(length).fill(op & 0xff);
        await ov.write(offset, data);
        truth.set(data, offset);
      }
    }
    expect(ov.memoryBytes).toBeLessThanOrEqual(limit);
    expect(ov.spilledBytes).toBeGreaterThan(8 * 1024 * 1024);
    expect(spillFiles(), 'the spill file is unlinked once open').toEqual([]);
    expect(Buffer.from(await ov.read(0, size)).equals(Buffer.from(truth))).toBe(true);
    expect(base.data.every((b, i) => i % 4096 !== 0 || b === ((i / 4096) & 0xff)), 'the base was written').toBe(true);

    // The commit ranges rebuild the same image on a copy of the base.
    const copy = new MemoryDevice(Uint8Array.from(base.data));
    for await (const r of ov.dirtyRanges()) {
      if (r.data) await copy.write(r.offset, r.data);
      else await copy.zero(r.offset, r.length);
    }
    expect(Buffer.from(copy.data).equals(Buffer.from(truth))).toBe(true);

    // Zero extents are reported without reading the spilled data.
    const ext = await ov.extents(0, size);
    expect(ext.reduce((n, e) => n + e.length, 0)).toBe(size);
    await ov.close();
  });

  it('concurrent writes to one spilled chunk both land', async () => {
    const base = new MemoryDevice(4 * OVERLAY_CHUNK);
    const ov = new OverlayDevice(base, { memoryLimit: 0 });
    await Promise.all([ov.write(10, new Uint8Array([1, 2])), ov.write(20, new Uint8Array([3])), ov.zero(0, 4)]);
    const b = await ov.read(0, 32);
    expect([b[10], b[11], b[20], b[0]]).toEqual([1, 2, 3, 0]);
    expect(ov.memoryBytes).toBe(0);
    await ov.close();
  });
});
