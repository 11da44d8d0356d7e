/**
 * The native qcow2 write path against qemu: random write/zero patterns on
 * images qemu-img made (v2 and v3, cluster sizes 512 B..2 MiB, with and
 * without a backing file, compressed clusters, extended L2 entries, 1- to
 * 64-bit refcounts) leave `qemu-img check` clean, and the guest bytes qemu
 * reads equal a raw mirror that got the same writes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Qcow2Device } from '../src/block/qcow2/qcow2-device.js';
import { createQcow2 } from '../src/block/qcow2/qcow2-create.js';
import { GuestkitError } from '../src/errors/index.js';
import { createImage, imageInfo } from '../src/block/qemu-img.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-qcow2w-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const KiB = 1024;
const MiB = 1024 * KiB;

function qemuImg(...args: string[]): string {
  return execFileSync('qemu-img', args, { encoding: 'utf8' });
}

/** `qemu-img check`: exit 0 and no leaks, errors or corruptions. */
function expectClean(img: string): void {
  const r = spawnSync('qemu-img', ['check', '--output=json', img], { encoding: 'utf8' });
  const out = r.stdout || r.stderr;
  expect(r.status, `qemu-img check ${img}: ${out}`).toBe(0);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  expect(j['leaks'] ?? 0, out).toBe(0);
  expect(j['corruptions'] ?? 0, out).toBe(0);
  expect(j['check-errors'] ?? 0, out).toBe(0);
}

function guestBytes(img: string): Buffer {
  const raw = path.join(dir, `read-${process.hrtime.bigint()}.raw`);
  execFileSync('qemu-img', ['convert', '-U', '-O', 'raw', img, raw]);
  const b = fs.readFileSync(raw);
  fs.rmSync(raw);
  return b;
}

/** A seeded generator (mulberry32), so a failing pattern can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Scenario {
  name: string;
  size: number;
  create: (img: string) => void;
  /** Content of the image before the writes (what the mirror starts as). */
  backing?: boolean;
  ops: number;
  maxLen: number;
}

function makeBase(file: string, size: number, seed: number): void {
  const b = Buffer.alloc(size);
  const r = rng(seed);
  for (let i = 0; i < 12; i++) {
    const at = Math.floor((r() * size) / 4096) * 4096;
    b.fill((i * 37 + 1) & 0xff, at, Math.min(size, at + 64 * KiB));
  }
  fs.writeFileSync(file, b);
}

const scenarios: Scenario[] = [];
for (const [cluster, compat] of [
  [512, '0.10'],
  [512, '1.1'],
  [4 * KiB, '1.1'],
  [64 * KiB, '0.10'],
  [64 * KiB, '1.1'],
  [2 * MiB, '1.1'],
] as const) {
  for (const backing of [false, true]) {
    scenarios.push({
      name: `v${compat === '0.10' ? 2 : 3}, ${cluster} B clusters${backing ? ', over a raw backing file' : ''}`,
      size: cluster >= MiB ? 24 * MiB : 6 * MiB,
      backing,
      ops: 60,
      maxLen: cluster >= MiB ? 3 * MiB : 200 * KiB,
      create: (img) => {
        const args = ['create', '-q', '-f', 'qcow2', '-o', `cluster_size=${cluster},compat=${compat}`];
        if (backing) args.push('-b', path.basename(img) + '.base', '-F', 'raw');
        qemuImg(...args, img, String(cluster >= MiB ? 24 * MiB : 6 * MiB));
      },
    });
  }
}
for (const order of [0, 3, 4, 6]) {
  scenarios.push({
    name: `${2 ** order}-bit refcounts`,
    size: 4 * MiB,
    ops: 40,
    maxLen: 100 * KiB,
    create: (img) => qemuImg('create', '-q', '-f', 'qcow2', '-o', `cluster_size=4096,refcount_bits=${2 ** order}`, img, String(4 * MiB)),
  });
}
scenarios.push({
  name: 'extended L2 entries (subclusters) over a backing file',
  size: 8 * MiB,
  backing: true,
  ops: 40,
  maxLen: 300 * KiB,
  create: (img) => qemuImg('create', '-q', '-f', 'qcow2', '-o', 'cluster_size=64k,extended_l2=on', '-b', path.basename(img) + '.base', '-F', 'raw', img, String(8 * MiB)),
});
scenarios.push({
  name: 'compressed clusters rewritten',
  size: 4 * MiB,
  ops: 40,
  maxLen: 100 * KiB,
  create: (img) => {
    const base = img + '.src';
    makeBase(base, 4 * MiB, 7);
    qemuImg('convert', '-q', '-c', '-f', 'raw', '-O', 'qcow2', '-o', 'cluster_size=4096', base, img);
  },
});
scenarios.push({
  name: 'refcount table growth (512 B clusters, 16 MiB written)',
  size: 20 * MiB,
  ops: 12,
  maxLen: 2 * MiB,
  create: (img) => qemuImg('create', '-q', '-f', 'qcow2', '-o', 'cluster_size=512', img, String(20 * MiB)),
});

describe('qcow2 writes keep qemu-img check clean', () => {
  scenarios.forEach((s, n) => {
    it(s.name, async () => {
      const img = path.join(dir, `s${n}.qcow2`);
      if (s.backing) makeBase(img + '.base', s.size, n);
      s.create(img);
      const mirror = Buffer.from(guestBytes(img));
      const r = rng(1000 + n);
      const dev = await Qcow2Device.open(img, { readOnly: false });
      try {
        for (let i = 0; i < s.ops; i++) {
          const len = 1 + Math.floor(r() * s.maxLen);
          const at = Math.floor(r() * (s.size - len));
          const kind = r();
          if (kind < 0.25) {
            await dev.zero(at, len);
            mirror.fill(0, at, at + len);
          } else if (kind < 0.35) {
            // Aligned zeroing, whole clusters.
            const c = dev.header.clusterSize;
            const a = Math.floor(at / c) * c;
            const l = Math.max(c, Math.floor(len / c) * c);
            if (a + l <= s.size) {
              await dev.zero(a, l);
              mirror.fill(0, a, a + l);
            }
          } else {
            const data = Buffer.alloc(len, (i * 13 + 7) & 0xff);
            data[0] = i & 0xff;
            await dev.write(at, data);
            data.copy(mirror, at);
          }
          if (i % 17 === 16) await dev.flush();
        }
        // What the device reads back before closing is what was written.
        const back = await dev.read(0, s.size);
        expect(Buffer.from(back).equals(mirror)).toBe(true);
      } finally {
        await dev.close();
      }
      expectClean(img);
      expect(guestBytes(img).equals(mirror)).toBe(true);
    });
  });
});

describe('qcow2 images created natively', () => {
  it('an overlay over a raw and a qcow2 backing file reads as its backing file and stays clean after writes', async () => {
    const base = path.join(dir, 'ov-base.raw');
    makeBase(base, 3 * MiB, 3);
    const ov = path.join(dir, 'ov.qcow2');
    await createQcow2(ov, { size: 3 * MiB, backingFile: 'ov-base.raw', backingFormat: 'raw' });
    expectClean(ov);
    const info = JSON.parse(qemuImg('info', '--output=json', ov)) as Record<string, unknown>;
    expect(info['backing-filename']).toBe('ov-base.raw');
    expect(info['backing-filename-format']).toBe('raw');
    expect(info['virtual-size']).toBe(3 * MiB);
    qemuImg('compare', '-q', ov, base);
    const dev = await Qcow2Device.open(ov, { readOnly: false });
    await dev.write(5000, Buffer.alloc(70000, 9));
    await dev.close();
    expectClean(ov);
    const expected = fs.readFileSync(base);
    expected.fill(9, 5000, 75000);
    expect(guestBytes(ov).equals(expected)).toBe(true);
    const top = path.join(dir, 'ov-top.qcow2');
    await createQcow2(top, { size: 3 * MiB, backingFile: ov, backingFormat: 'qcow2', clusterSize: 4096 });
    expectClean(top);
    qemuImg('compare', '-q', top, ov);
  });

  it('disk-create qcow2 (sizes from the backing file, compat, cluster size) without qemu-img, with its messages', async () => {
    const base = path.join(dir, 'dc-base.raw');
    makeBase(base, 2 * MiB + 512, 5);
    const ov = path.join(dir, 'dc.qcow2');
    await createImage(ov, 'qcow2', -1, { backingfile: 'dc-base.raw', backingformat: 'raw', compat: '0.10', clustersize: 4096 });
    expectClean(ov);
    const info = JSON.parse(qemuImg('info', '--output=json', ov)) as Record<string, unknown> & { 'format-specific': { data: { compat: string } } };
    expect([info['virtual-size'], info['cluster-size'], info['format-specific'].data.compat]).toEqual([2 * MiB + 512, 4096, '0.10']);
    qemuImg('compare', '-q', ov, base);
    expect(await imageInfo(ov)).toEqual({ format: 'qcow2', virtualSize: 2 * MiB + 512, backingFile: 'dc-base.raw' });
    const top = path.join(dir, 'dc-top.qcow2');
    await createImage(top, 'qcow2', -1, { backingfile: ov, backingformat: 'qcow2' });
    expect((await imageInfo(top)).virtualSize).toBe(2 * MiB + 512);
    for (const preallocation of ['metadata', 'full'] as const) {
      const pre = path.join(dir, `dc-${preallocation}.qcow2`);
      await createImage(pre, 'qcow2', 3 * MiB, { preallocation, clustersize: 4096 });
      expectClean(pre);
      const map = JSON.parse(qemuImg('map', '--output=json', pre)) as Array<{ data: boolean; zero: boolean }>;
      // Every cluster allocated: reading zeroes from holes of the file (metadata), or written zeroes (full).
      expect(map.every((e) => e.data && (e.zero || preallocation === 'full'))).toBe(true);
      const blocks = fs.statSync(pre).blocks * 512;
      if (preallocation === 'full') expect(blocks).toBeGreaterThanOrEqual(3 * MiB);
      else expect(blocks).toBeLessThan(1 * MiB);
      const dev = await Qcow2Device.open(pre, { readOnly: false });
      await dev.write(4095, Buffer.alloc(10000, 7));
      await dev.close();
      expectClean(pre);
      const expected = Buffer.alloc(3 * MiB);
      expected.fill(7, 4095, 14095);
      expect(guestBytes(pre).equals(expected)).toBe(true);
    }
    await expect(createImage(top, 'qcow2', -1, { backingfile: 'dc-base.raw' })).rejects.toThrow(/Backing file specified without backing format/);
    await expect(createImage(top, 'qcow2', 1 * MiB, { clustersize: 1000 })).rejects.toThrow(/Cluster size must be a power of two between 512 and 2048k/);
    await expect(createImage(top, 'qcow2', 1 * MiB, { compat: '2' })).rejects.toThrow(/Parameter 'version' does not accept value '2'/);
    await expect(createImage(path.join(dir, 'dc-x.qcow2'), 'qcow2', -1, { backingfile: 'nope.raw', backingformat: 'raw' })).rejects.toThrow(/Could not open 'nope.raw': No such file or directory/);
  });

  it('a plain image of 100 GiB (v2 and v3) is clean and sparse', async () => {
    for (const compat of ['0.10', '1.1'] as const) {
      const f = path.join(dir, `big-${compat}.qcow2`);
      await createQcow2(f, { size: 100 * 1024 * MiB, compat });
      expectClean(f);
      const info = JSON.parse(qemuImg('info', '--output=json', f)) as { 'virtual-size': number; 'format-specific': { data: { compat: string } } };
      expect(info['virtual-size']).toBe(100 * 1024 * MiB);
      expect(info['format-specific'].data.compat).toBe(compat);
      expect(fs.statSync(f).size).toBeLessThan(1 * MiB);
    }
  });
});

describe('dirty, corrupt and unsupported images', () => {
  it('an image left dirty (lazy refcounts, leaked clusters) is repaired on a writable open', async () => {
    const img = path.join(dir, 'dirty.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4096,lazy_refcounts=on', img, String(4 * MiB));
    const dev = await Qcow2Device.open(img, { readOnly: false });
    await dev.write(0, Buffer.alloc(50000, 1));
    await dev.flush();
    await dev.write(100000, Buffer.alloc(50000, 2));
    // A crash: the device's metadata never reaches the file, the dirty bit stays set.
    (dev as unknown as { writer: null }).writer = null;
    await dev.close();
    const h = JSON.parse(qemuImg('info', '--output=json', '-U', img)) as { 'dirty-flag': boolean };
    expect(h['dirty-flag']).toBe(true);
    const again = await Qcow2Device.open(img, { readOnly: false });
    expect(again.header.dirty).toBe(false);
    await again.close();
    expectClean(img);
  });

  it('a version 2 image left mid-flush (no dirty bit) is repaired when a pending commit asks for it', async () => {
    const img = path.join(dir, 'v2crash.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4096,compat=0.10', img, String(4 * MiB));
    const dev = await Qcow2Device.open(img, { readOnly: false });
    await dev.write(0, Buffer.alloc(50000, 1));
    await dev.flush();
    await dev.write(200000, Buffer.alloc(50000, 2));
    // Data clusters and refcounts reach the file, the L2 tables do not: leaked clusters.
    const w = (dev as unknown as { writer: { writeRefcounts(): Promise<void> } | null }).writer!;
    await w.writeRefcounts();
    (dev as unknown as { writer: null }).writer = null;
    await dev.close();
    const leaky = spawnSync('qemu-img', ['check', img], { encoding: 'utf8' });
    expect(leaky.stdout).toMatch(/leaked clusters/);
    const again = await Qcow2Device.open(img, { readOnly: false, repair: true });
    await again.close();
    expectClean(img);
    const back = guestBytes(img);
    expect(back.subarray(0, 50000).every((b) => b === 1)).toBe(true);
  });

  it('writes to an image with internal snapshots or an external data file are refused with one line', async () => {
    const img = path.join(dir, 'snap.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', img, String(MiB));
    qemuImg('snapshot', '-c', 'one', img);
    await expect(Qcow2Device.open(img, { readOnly: false })).rejects.toThrow(/internal snapshot.*not supported/);
    const ext = path.join(dir, 'ext.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', `data_file=${ext}.data`, ext, String(MiB));
    await expect(Qcow2Device.open(ext, { readOnly: false })).rejects.toThrow(/external file/);
  });

  it('a corrupt L2 entry (pointing past the end or at the header) gives a typed error, never a write there', async () => {
    const img = path.join(dir, 'lie.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4096', img, String(MiB));
    let dev = await Qcow2Device.open(img, { readOnly: false });
    await dev.write(0, Buffer.alloc(4096, 1));
    await dev.close();
    const fh = fs.openSync(img, 'r+');
    const hdr = Buffer.alloc(48);
    fs.readSync(fh, hdr, 0, 48, 0);
    const l1 = Buffer.alloc(8);
    fs.readSync(fh, l1, 0, 8, Number(hdr.readBigUInt64BE(40)));
    const l2 = Number(l1.readBigUInt64BE(0) & 0x00fffffffffffe00n);
    const l1Offset = Number(hdr.readBigUInt64BE(40));
    for (const lie of [2n ** 50n, BigInt(l1Offset)]) {
      const e = Buffer.alloc(8);
      e.writeBigUInt64BE(lie | 0x8000000000000000n);
      fs.writeSync(fh, e, 0, 8, l2);
      const size = fs.statSync(img).size;
      dev = await Qcow2Device.open(img, { readOnly: false });
      const err = await dev.write(10, Buffer.alloc(10, 3)).then(() => null, (x: unknown) => x);
      await dev.close().catch(() => {});
      expect(err).toBeInstanceOf(GuestkitError);
      expect(String((err as Error).message)).toMatch(/corrupt/);
      expect(fs.statSync(img).size).toBe(size);
    }
    fs.closeSync(fh);
  });
});
