import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError } from '../../../../src/errors/index.js';
import { OverlayDevice, OVERLAY_CHUNK } from '../../../../src/block/overlay.js';
import { RawFileDevice } from '../../../../src/block/raw-file.js';
import { SliceDevice } from '../../../../src/block/slice.js';
import { journaledCommit } from '../../../../src/block/journaled-commit.js';

let dir: string;
const MiB = 1024 * 1024;

function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Fast byte equality (vitest's deep equality is slow on large arrays). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

function sha(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function makeFile(name: string, data: Uint8Array): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-raw-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('RawFileDevice', () => {
  it('reads, writes, zeroes and flushes', async () => {
    const data = pattern(3 * MiB + 17);
    const p = makeFile('rw.img', data);
    const d = await RawFileDevice.open(p, { readOnly: false });
    expect(d.size).toBe(data.length);
    expect(d.readOnly).toBe(false);
    expect(await d.read(12345, 1000)).toEqual(data.subarray(12345, 13345));
    await d.write(MiB - 3, new Uint8Array([1, 2, 3, 4, 5, 6]));
    await d.zero(2 * MiB, MiB + 17);
    await d.flush();
    expect(await d.extents(0, d.size)).toEqual([{ offset: 0, length: d.size, zero: false, hole: false }]);
    await d.close();
    const after = fs.readFileSync(p);
    expect([...after.subarray(MiB - 3, MiB + 3)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(after.subarray(2 * MiB).every((b) => b === 0)).toBe(true);
    expect(after.subarray(0, MiB - 3).equals(Buffer.from(data.subarray(0, MiB - 3)))).toBe(true);
    expect(after.length).toBe(data.length);
  });

  it('read-only: opens O_RDONLY and refuses writes', async () => {
    const p = makeFile('ro.img', pattern(65536));
    fs.chmodSync(p, 0o444); // root ignores this, but the open mode must not need write access
    const before = sha(p);
    const d = await RawFileDevice.open(p, { readOnly: true });
    expect(d.readOnly).toBe(true);
    await expect(d.write(0, new Uint8Array(1))).rejects.toThrow(/ro\.img: write: the disk is read-only/);
    await expect(d.zero(0, 10)).rejects.toThrow(/read-only/);
    expect(() => d.writeSync(0, new Uint8Array(1))).toThrow(/read-only/);
    await d.flush();
    await d.close();
    expect(sha(p)).toBe(before);
  });

  it('reading past the end fails with a one-line error naming the file', async () => {
    const p = makeFile('small.img', pattern(4096));
    const d = await RawFileDevice.open(p, { readOnly: true });
    await expect(d.read(4000, 200)).rejects.toThrow(`${p}: read of 200 bytes at offset 4000 is beyond the end of the disk (size 4096)`);
    expect(() => d.readSync(4096, new Uint8Array(1))).toThrow(/small\.img: read .* beyond the end/);
    await expect(d.write(-1, new Uint8Array(1))).rejects.toThrow(/read-only/);
    await d.close();
    await expect(d.read(0, 1)).rejects.toThrow(/small\.img: read: the disk is closed/);
  });

  it('synchronous fast paths', async () => {
    const data = pattern(100_000, 7);
    const p = makeFile('sync.img', data);
    const d = await RawFileDevice.open(p, { readOnly: false });
    expect(typeof d.fd).toBe('number');
    const b = new Uint8Array(5000);
    d.readSync(90_000, b);
    expect(b).toEqual(data.subarray(90_000, 95_000));
    d.writeSync(10, new Uint8Array([9, 9, 9]));
    d.flushSync();
    expect(await d.read(9, 5)).toEqual(new Uint8Array([data[9]!, 9, 9, 9, data[13]!]));
    await d.close();
  });

  it('missing files give one line', async () => {
    const p = path.join(dir, 'nope.img');
    const err = await RawFileDevice.open(p, { readOnly: true }).catch((e) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect(err.message).toBe(`${p}: No such file or directory`);
  });
});

describe('OverlayDevice', () => {
  it('never modifies the base and reads back its writes', async () => {
    const data = pattern(5 * OVERLAY_CHUNK + 1000, 3); // last chunk is partial
    const p = makeFile('base.img', data);
    const before = sha(p);
    const base = await RawFileDevice.open(p, { readOnly: true });
    const ov = new OverlayDevice(base);
    expect(ov.readOnly).toBe(false);
    expect(ov.size).toBe(data.length);
    const expected = Uint8Array.from(data);
    const put = async (off: number, bytes: Uint8Array) => {
      await ov.write(off, bytes);
      expected.set(bytes, off);
    };
    await put(10, new Uint8Array([1, 2, 3])); // partial first chunk
    await put(OVERLAY_CHUNK - 2, new Uint8Array([7, 7, 7, 7])); // straddles a boundary
    await put(2 * OVERLAY_CHUNK, pattern(OVERLAY_CHUNK, 9)); // exactly one chunk
    await put(data.length - 5, new Uint8Array([5, 5, 5, 5, 5])); // the partial last chunk
    await ov.zero(3 * OVERLAY_CHUNK + 100, OVERLAY_CHUNK + 50);
    expected.fill(0, 3 * OVERLAY_CHUNK + 100, 4 * OVERLAY_CHUNK + 150);
    await ov.zero(OVERLAY_CHUNK * 4, OVERLAY_CHUNK); // whole chunk -> zero marker
    expected.fill(0, 4 * OVERLAY_CHUNK, 5 * OVERLAY_CHUNK);
    await ov.flush();
    expect(same(await ov.read(0, ov.size), expected)).toBe(true);
    // odd windows
    for (const [o, n] of [
      [0, 1],
      [OVERLAY_CHUNK - 5, 10],
      [OVERLAY_CHUNK + 3, 3 * OVERLAY_CHUNK],
      [data.length - 7, 7],
    ] as const) {
      expect(same(await ov.read(o, n), expected.subarray(o, o + n))).toBe(true);
    }
    const ext = await ov.extents(0, ov.size);
    expect(ext.reduce((a, e) => a + e.length, 0)).toBe(ov.size);
    expect(ext.some((e) => e.zero && e.offset === 4 * OVERLAY_CHUNK)).toBe(true);
    await expect(ov.write(ov.size - 1, new Uint8Array(2))).rejects.toThrow(/beyond the end/);
    await ov.close();
    expect(sha(p)).toBe(before);
  });

  it('a journaled commit of the dirty ranges writes them to a writable base; a read-only one is refused', async () => {
    const data = pattern(4 * OVERLAY_CHUNK + 333, 5);
    const p = makeFile('commit.img', data);
    const ro = await RawFileDevice.open(p, { readOnly: true });
    const ov = new OverlayDevice(ro);
    await ov.write(100, new Uint8Array([1, 2, 3]));
    await ov.write(OVERLAY_CHUNK, pattern(2 * OVERLAY_CHUNK, 11));
    await ov.zero(3 * OVERLAY_CHUNK, OVERLAY_CHUNK);
    await ov.write(ov.size - 1, new Uint8Array([42]));
    const want = await ov.read(0, ov.size);
    expect(() => ov.checkTarget(ro)).toThrow(/commit\.img: cannot commit the overlay: the disk is read-only/);
    const rw = await RawFileDevice.open(p, { readOnly: false });
    ov.checkTarget(rw);
    await journaledCommit(p, rw, ov.dirtyRanges());
    await rw.close();
    await ov.close();
    expect(same(fs.readFileSync(p), want)).toBe(true);
  });
});

describe('SliceDevice', () => {
  it('maps offsets and checks bounds', async () => {
    const data = pattern(10_000, 13);
    const p = makeFile('slice.img', data);
    const d = await RawFileDevice.open(p, { readOnly: false });
    const s = new SliceDevice(d, 1000, 2000, { name: 'slice.img:p1' });
    expect(s.size).toBe(2000);
    expect(await s.read(0, 10)).toEqual(data.subarray(1000, 1010));
    expect(await s.read(1990, 10)).toEqual(data.subarray(2990, 3000));
    await expect(s.read(1995, 10)).rejects.toThrow('slice.img:p1: read of 10 bytes at offset 1995 is beyond the end of the disk (size 2000)');
    await expect(s.read(-1, 1)).rejects.toThrow(/bad offset/);
    await expect(s.write(2000, new Uint8Array(1))).rejects.toThrow(/beyond the end/);
    await s.write(0, new Uint8Array([0xaa]));
    expect((await d.read(1000, 1))[0]).toBe(0xaa);
    expect(await s.extents(10, 100)).toEqual([{ offset: 10, length: 100, zero: false, hole: false }]);
    expect(() => new SliceDevice(d, 9000, 2000)).toThrow(/slice \[9000, 11000\) is outside the disk \(size 10000\)/);
    const ro = new SliceDevice(d, 0, 10, { readOnly: true });
    await expect(ro.write(0, new Uint8Array(1))).rejects.toThrow(/read-only/);
    await s.close(); // does not close the parent
    expect((await d.read(0, 1)).length).toBe(1);
    await d.close();
  });
});
