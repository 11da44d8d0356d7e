/**
 * Qcow2Writer against qemu-img: images written out of order, with 512-byte
 * clusters so that small tests need many L2 tables, refcount blocks and
 * refcount-table clusters, pass `qemu-img check` and compare identical with
 * the bytes written; zero clusters stay unallocated; the native reader reads
 * them back.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../src/util/seeded-random.js';
import { Qcow2Device } from '../src/block/qcow2/qcow2-device.js';
import { Qcow2Writer } from '../src/block/qcow2/qcow2-writer.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-qcow2-writer-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const qemuImg = (...args: string[]) => execFileSync('qemu-img', args, { encoding: 'utf8' });

/** A guest image: random data in some blocks, zeroes in the rest. */
function guestBytes(size: number, block: number, dataEvery: number): Buffer {
  const b = Buffer.alloc(size);
  for (let at = 0, i = 0; at < size; at += block, i++) if (i % dataEvery === 0) crypto.randomFillSync(b, at, Math.min(block, size - at));
  return b;
}

async function writeShuffled(w: Qcow2Writer, bytes: Buffer, block: number, seed: number): Promise<void> {
  const offsets: number[] = [];
  for (let at = 0; at < bytes.length; at += block) offsets.push(at);
  const rng = seededRandom(seed);
  for (let i = offsets.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [offsets[i], offsets[j]] = [offsets[j]!, offsets[i]!];
  }
  // A few writes in flight at once, as guestkit copy issues them.
  for (let i = 0; i < offsets.length; i += 4) {
    await Promise.all(offsets.slice(i, i + 4).map((o) => w.write(o, bytes.subarray(o, Math.min(o + block, bytes.length)))));
  }
}

describe('Qcow2Writer', () => {
  for (const [name, bits, size, block, dataEvery] of [
    ['512-byte clusters: many L2 tables, refcount blocks and refcount-table clusters', 9, 24 * 1024 * 1024 + 1536, 8192, 2],
    ['64 KiB clusters, mostly zero, an odd size', 16, 100 * 1024 * 1024 + 4096 + 512, 256 * 1024, 37],
  ] as const) {
    it(name, async () => {
      const bytes = guestBytes(size, block, dataEvery);
      const file = path.join(dir, `w${bits}.qcow2`);
      const raw = path.join(dir, `w${bits}.raw`);
      fs.writeFileSync(raw, bytes);
      const w = await Qcow2Writer.create(file, { clusterBits: bits });
      await writeShuffled(w, bytes, block, bits);
      await w.finish(size, false);
      expect(qemuImg('check', file)).toContain('No errors were found on the image.');
      expect(qemuImg('compare', '-f', 'raw', '-F', 'qcow2', raw, file)).toBe('Images are identical.\n');
      const info = JSON.parse(qemuImg('info', '--output=json', file)) as { 'cluster-size': number; 'virtual-size': number };
      expect(info['cluster-size']).toBe(1 << bits);
      expect(info['virtual-size']).toBe(size);
      // Zero blocks were not allocated: the file holds about the data, not the size.
      const dataBytes = Math.ceil(Math.ceil(size / block) / dataEvery) * block;
      expect(fs.statSync(file).size).toBeLessThan(dataBytes * 1.2 + 1024 * 1024);
      const q = await Qcow2Device.open(file);
      expect(Buffer.from(await q.read(0, size)).equals(bytes)).toBe(true);
      await q.close();
    });
  }

  for (const [name, bits, size] of [
    ['compressed, 64 KiB clusters, an odd size', 16, 24 * 1024 * 1024 + 3 * 512],
    ['compressed, 4 KiB clusters (blobs spill across host clusters)', 12, 6 * 1024 * 1024],
  ] as const) {
    it(name, async () => {
      // Text-like data that deflates, random data that does not (stored as normal clusters), and zeroes.
      const block = 256 * 1024;
      const bytes = Buffer.alloc(size);
      const rng = seededRandom(bits);
      for (let at = 0, i = 0; at < size; at += block, i++) {
        const end = Math.min(at + block, size);
        if (i % 3 === 0) for (let p = at; p < end; p++) bytes[p] = 97 + Math.floor(rng() * 6);
        else if (i % 3 === 1) crypto.randomFillSync(bytes, at, Math.min(block / 4, end - at));
      }
      const file = path.join(dir, `c${bits}.qcow2`);
      const raw = path.join(dir, `c${bits}.raw`);
      fs.writeFileSync(raw, bytes);
      const w = await Qcow2Writer.create(file, { clusterBits: bits });
      const offsets: number[] = [];
      for (let at = 0; at < size; at += block) offsets.push(at);
      for (let i = 0; i < offsets.length; i += 4) {
        await Promise.all(offsets.slice(i, i + 4).map((o) => w.writeCompressed(o, bytes.subarray(o, Math.min(o + block, size)))));
      }
      await expect(w.writeCompressed(0, bytes.subarray(0, 1 << bits))).rejects.toThrow(/written twice/);
      await expect(w.write(0, bytes.subarray(0, 1 << bits))).rejects.toThrow(/written compressed/);
      await w.finish(size, false);
      expect(qemuImg('check', file)).toContain('No errors were found on the image.');
      expect(qemuImg('compare', '-f', 'raw', '-F', 'qcow2', raw, file)).toBe('Images are identical.\n');
      const check = JSON.parse(qemuImg('check', '--output=json', file)) as { 'compressed-clusters': number; 'allocated-clusters': number };
      expect(check['compressed-clusters']).toBeGreaterThan(0);
      expect(check['compressed-clusters']).toBeLessThan(check['allocated-clusters']);
      // The text-like third shrinks to about 6 bits a byte or less.
      expect(fs.statSync(file).size).toBeLessThan(size / 3);
      const q = await Qcow2Device.open(file);
      expect(Buffer.from(await q.read(0, size)).equals(bytes)).toBe(true);
      await q.close();
    });
  }

  it('preallocated: the data goes into space allocated at once, and what zero clusters did not use is given back', async () => {
    // Half of the blocks are zeroes, so preallocating for all of them (as copy does for a raw source's
    // data ranges) leaves space past the metadata that finish() must cut off.
    const size = 8 * 1024 * 1024;
    const bytes = guestBytes(size, 256 * 1024, 2);
    const file = path.join(dir, 'pre.qcow2');
    const raw = path.join(dir, 'pre.raw');
    fs.writeFileSync(raw, bytes);
    const w = await Qcow2Writer.create(file);
    w.preallocate(size);
    await writeShuffled(w, bytes, 256 * 1024, 7);
    await w.finish(size, false);
    expect(qemuImg('check', file)).toContain('No errors were found on the image.');
    expect(qemuImg('compare', '-f', 'raw', '-F', 'qcow2', raw, file)).toBe('Images are identical.\n');
    const end = (JSON.parse(qemuImg('check', '--output=json', file)) as { 'image-end-offset': number })['image-end-offset'];
    const st = fs.statSync(file);
    expect(st.size).toBe(end);
    // Allocated blocks hold the data and metadata only (a preallocation left in place would be twice that).
    expect(st.blocks * 512).toBeLessThanOrEqual(end);
  });

  it('a cluster written again keeps its host cluster, zeroes included; a new cluster of zeroes stays unallocated', async () => {
    const C = 65536;
    const file = path.join(dir, 'again.qcow2');
    const w = await Qcow2Writer.create(file);
    await w.write(0, new Uint8Array(2 * C).fill(1));
    await w.write(C, new Uint8Array(C).fill(2)); // rewritten in place
    await w.write(0, new Uint8Array(C)); // zeroes over data: written, not dropped
    await w.write(2 * C, new Uint8Array(C)); // new zeroes: no cluster
    await w.finish(4 * C, false);
    expect(qemuImg('check', file)).toContain('No errors were found on the image.');
    const check = JSON.parse(qemuImg('check', '--output=json', file)) as { 'allocated-clusters': number };
    expect(check['allocated-clusters']).toBe(2);
    const q = await Qcow2Device.open(file);
    const back = Buffer.from(await q.read(0, 4 * C));
    await q.close();
    expect(back.subarray(0, C).every((b) => b === 0)).toBe(true);
    expect(back.subarray(C, 2 * C).every((b) => b === 2)).toBe(true);
    expect(back.subarray(2 * C).every((b) => b === 0)).toBe(true);
  });

  it('refuses an unaligned write, and an existing file', async () => {
    const file = path.join(dir, 'bad.qcow2');
    const w = await Qcow2Writer.create(file);
    await expect(w.write(512, new Uint8Array(512))).rejects.toThrow(/unaligned offset 512/);
    await w.abort();
    await expect(Qcow2Writer.create(file)).rejects.toThrow(/EEXIST/);
    // An odd size becomes whole sectors, as qemu-img convert makes it.
    const odd = path.join(dir, 'odd.qcow2');
    const o = await Qcow2Writer.create(odd);
    await o.write(0, new Uint8Array(777).fill(1));
    await o.finish(777, false);
    expect((JSON.parse(qemuImg('info', '--output=json', odd)) as { 'virtual-size': number })['virtual-size']).toBe(1024);
  });
});
