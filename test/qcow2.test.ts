/**
 * The native qcow2 reader against qemu: every byte Qcow2Device reads equals
 * `qemu-img convert -O raw` (compared with cmp), its allocation map equals
 * `qemu-img map`, and lying or cut-short images fail with one-line ImageErrors.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestkitError, ImageError } from '../src/errors/index.js';
import { openDrive } from '../src/block/open-drive.js';
import { OverlayDevice } from '../src/block/overlay.js';
import { Qcow2Device } from '../src/block/qcow2/qcow2-device.js';
import { NbdDevice } from '../src/block/nbd/client.js';
import { buildQcow2Images, MiB, qemuImg, qemuMap, qemuRaw } from './helpers/qcow2-images.js';
import { FIXTURES } from './helpers/fixtures.js';
import { fuzzIterations, fuzzTimeout } from './helpers/fuzz-walk.js';
import { fuzzImages } from './helpers/image-fuzz.js';
import { cmp, dumpDevice, ourMap } from './helpers/device-compare.js';
import { JournaledDevice } from '../src/block/journaled-device.js';
import { runCli } from './helpers/cli.js';

let dir: string;
let images: Record<string, string>;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-qcow2-test-'));
  images = buildQcow2Images(dir);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const CASES = ['v2', 'v3zero', 'c512', 'c2m', 'compressed', 'compressedExtL2', 'compressedZstd', 'compressedZstdExtL2', 'extL2', 'chainMid1', 'chainMid2', 'chainTop'];

describe('Qcow2Device reads what qemu reads', () => {
  for (const name of CASES) {
    it(`${name}: bytes (cmp with qemu-img convert) and map (qemu-img map)`, async () => {
      const image = images[name]!;
      const dev = await Qcow2Device.open(image);
      try {
        expect(dev.size).toBe(JSON.parse(qemuImg('info', '--output=json', image))['virtual-size']);
        const ours = path.join(dir, `${name}.ours.raw`);
        await dumpDevice(dev, ours);
        cmp(qemuRaw(image, path.join(dir, `${name}.qemu.raw`)), ours);
        expect(await ourMap(dev)).toEqual(qemuMap(image));
      } finally {
        await dev.close();
      }
    });
  }

  it('unaligned small reads across cluster, subcluster and backing edges match', async () => {
    const dev = await Qcow2Device.open(images.extL2!);
    const ref = fs.readFileSync(qemuRaw(images.extL2!, path.join(dir, 'extl2.ref.raw')));
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 300; i++) {
      const off = rand(dev.size - 1);
      const len = Math.min(1 + rand(200_000), dev.size - off);
      expect(Buffer.from(await dev.read(off, len)).equals(ref.subarray(off, off + len))).toBe(true);
    }
    await dev.close();
  });

  it('reports the backing chain, nearest first, with formats', async () => {
    const dev = await Qcow2Device.open(images.chainTop!);
    expect(dev.backingChain()).toEqual([
      { file: path.join(dir, 'sub/chain-mid2.qcow2'), format: 'qcow2' },
      { file: images.chainMid1, format: 'qcow2' },
      { file: path.join(dir, 'chain-base.raw'), format: 'raw' },
    ]);
    expect(dev.header.backingFormat).toBeUndefined();
    await dev.close();
  });

  it('a chain 64 images deep (the limit) reads through to its raw bottom', async () => {
    const deep = path.join(dir, 'deep');
    fs.mkdirSync(deep);
    fs.writeFileSync(path.join(deep, 'base.raw'), Buffer.alloc(MiB, 0xb0));
    for (let i = 1; i <= 64; i++) {
      const below = i === 1 ? ['base.raw', 'raw'] : [`l${i - 1}.qcow2`, 'qcow2'];
      qemuImg('create', '-q', '-f', 'qcow2', '-b', below[0]!, '-F', below[1]!, path.join(deep, `l${i}.qcow2`), '1M');
    }
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x33 4k 4k', path.join(deep, 'l32.qcow2')], { stdio: 'ignore' });
    const dev = await Qcow2Device.open(path.join(deep, 'l64.qcow2'));
    expect(dev.backingChain()).toHaveLength(64);
    expect([...(await dev.read(4095, 2))]).toEqual([0xb0, 0x33]);
    await dev.close();
  });

  it('the debian fixture reads the same as qemu-img convert', async () => {
    const image = path.join(FIXTURES, 'debian.qcow2');
    const dev = await Qcow2Device.open(image);
    const ours = path.join(dir, 'debian.ours.raw');
    await dumpDevice(dev, ours);
    await dev.close();
    cmp(qemuRaw(image, path.join(dir, 'debian.qemu.raw')), ours);
  });
});

describe('openDrive and qcow2', () => {
  it('read-only qcow2 is read natively; writes stay in the overlay; writable qcow2 is native too, and unchanged by an open without writes', async () => {
    const ro = await openDrive({ file: images.v3zero!, readOnly: true });
    expect((ro as OverlayDevice).base).toBeInstanceOf(Qcow2Device);
    await ro.write(0, new Uint8Array([1, 2]));
    expect([...(await ro.read(0, 3))]).toEqual([1, 2, 0x44]);
    await ro.close();
    const before = fs.readFileSync(images.v3zero!);
    const rw = await openDrive({ file: images.v3zero!, readOnly: false, journaled: false });
    expect(rw).toBeInstanceOf(Qcow2Device);
    expect(rw.readOnly).toBe(false);
    await rw.close();
    // By default writes go through the commit journal, over the same native device.
    const journaled = await openDrive({ file: images.v3zero!, readOnly: false });
    expect(journaled).toBeInstanceOf(JournaledDevice);
    await journaled.close();
    expect(fs.readFileSync(images.v3zero!).equals(before)).toBe(true);
  });

  it('guestkit cat on debian.qcow2 runs without qemu-nbd on PATH', async () => {
    const bin = path.join(dir, 'bin-no-qemu');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const r = await runCli(['cat', '-a', path.join(FIXTURES, 'debian.qcow2'), '-m', '/dev/sda2', '/etc/hostname'], { env: { PATH: bin } });
    expect(r.err).toBe('');
    expect(r.out).toBe('debian-guest\n');
    expect(r.status).toBe(0);
  });

  it('zstd clusters are read natively: a guest converted with compression_type=zstd reads as its raw source, and info shows the compression', async () => {
    const raw = path.join(dir, 'debian-zstd-src.raw');
    const z = path.join(dir, 'debian-zstd.qcow2');
    qemuImg('convert', '-q', '-O', 'raw', path.join(FIXTURES, 'debian.qcow2'), raw);
    qemuImg('convert', '-q', '-c', '-O', 'qcow2', '-o', 'compression_type=zstd', raw, z);
    const dev = await Qcow2Device.open(z);
    expect(dev.header.compression).toBe('zstd');
    await dumpDevice(dev, `${z}.dump`);
    await dev.close();
    cmp(`${z}.dump`, raw);
    // through the CLI without qemu-nbd on PATH: the native reader, not qemu
    const bin = path.join(dir, 'bin-zstd');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    for (const args of [['cat', '-m', '/dev/sda2', '/etc/hostname'], ['ls', '-lR', '-m', '/dev/sda2', '/etc']]) {
      const ours = await runCli([args[0]!, '-a', z, ...args.slice(1)], { env: { PATH: bin } });
      const truth = await runCli([args[0]!, '--format=raw', '-a', raw, ...args.slice(1)]);
      expect(ours.err).toBe('');
      expect(ours.status).toBe(0);
      expect(ours.out).toBe(truth.out);
      expect(ours.out.length).toBeGreaterThan(10);
    }
    const info = await runCli(['info', z], { env: { PATH: bin } });
    expect(info.status).toBe(0);
    expect(info.out).toContain('    compression type: zstd\n');
  });

  it('a corrupt zstd cluster is a one-line ImageError naming the cluster', async () => {
    const z = path.join(dir, 'zstd-corrupt.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'compression_type=zstd', z, '1M');
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -c -P 0x3c 0 64k', z], { stdio: 'ignore' });
    const good = await Qcow2Device.open(z);
    expect((await good.read(65535, 1))[0]).toBe(0x3c);
    await good.close();
    // the compressed stream is the last thing in the file: flip bytes of its frame header
    const size = fs.statSync(z).size;
    const bytes = fs.readFileSync(z);
    const at = bytes.lastIndexOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    expect(at).toBeGreaterThan(0);
    patch(z, at + 4, Buffer.from([0xff, 0xff, 0xff]));
    expect(fs.statSync(z).size).toBe(size);
    const dev = await Qcow2Device.open(z);
    await expect(dev.read(0, 4096)).rejects.toThrow(new RegExp(`^${z.replace(/[.]/g, '\\.')}: qcow2 image is corrupt: the compressed cluster at offset \\d+ does not decode \\(zstd: `));
    await dev.close();
  });
});

/** Overwrites bytes of a file in place. */
function patch(file: string, offset: number, bytes: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, bytes, 0, bytes.length, offset);
  fs.closeSync(fd);
}
const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};

/** A fresh copy of a small qcow2 with data in its first cluster. */
function victim(name: string): string {
  const f = path.join(dir, `bad-${name}.qcow2`);
  qemuImg('create', '-q', '-f', 'qcow2', f, '4M');
  execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x42 0 128k', f], { stdio: 'ignore' });
  return f;
}

/** Both the reader and openDrive refuse `file` with one line naming it and matching `problem`. */
async function expectRefused(file: string, problem: RegExp): Promise<void> {
  for (const open of [() => Qcow2Device.open(file), () => openDrive({ file, readOnly: true })]) {
    const e = await open().then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ImageError);
    const message = (e as Error).message;
    expect(message.startsWith(`${file}: `)).toBe(true);
    expect(message).not.toContain('\n');
    expect(message).toMatch(problem);
  }
}

describe('bad qcow2 images: one-line ImageErrors naming the file', () => {
  it('cluster_bits out of range 9..21', async () => {
    for (const bits of [8, 22, 0xffffffff]) {
      const f = victim(`cbits${bits}`);
      patch(f, 20, u32(bits));
      await expectRefused(f, /bad cluster size/);
    }
  });

  it('L1 table past the end of the file, and an L1 size far too large', async () => {
    const past = victim('l1past');
    patch(past, 40, u64(1n << 40n));
    await expectRefused(past, /L1 table .* past the end of the file/);
    const huge = victim('l1huge');
    patch(huge, 36, u32(0x7fffffff));
    await expectRefused(huge, /L1 table/);
  });

  it('an L1 table too small for the virtual size (a lying size)', async () => {
    const f = victim('size');
    patch(f, 24, u64(1n << 45n));
    await expectRefused(f, /too small for the virtual size/);
  });

  it('an L2 table past the end of the file: openDrive refuses at open, the reader at the first read', async () => {
    const f = victim('l2past');
    const l1 = Number(fs.readFileSync(f).readBigUInt64BE(40));
    patch(f, l1, u64((1n << 63n) | (1n << 36n)));
    await expect(openDrive({ file: f, readOnly: true })).rejects.toThrow(new RegExp(`^${f}: qcow2 image is truncated: an L2 table .* past the end of the file`));
    const dev = await Qcow2Device.open(f);
    await expect(dev.read(0, 512)).rejects.toThrow(new RegExp(`^${f}: qcow2 image is truncated: an L2 table .* past the end of the file`));
    await dev.close();
  });

  it('a backing loop', async () => {
    const a = path.join(dir, 'loop-a.qcow2');
    const b = path.join(dir, 'loop-b.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', a, '1M');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'loop-a.qcow2', '-F', 'qcow2', b, '1M');
    qemuImg('rebase', '-q', '-u', '-f', 'qcow2', '-b', 'loop-b.qcow2', '-F', 'qcow2', a);
    await expectRefused(b, /backing chain loops: .*loop-b\.qcow2 → loop-a\.qcow2 → loop-b\.qcow2/);
  });

  it('the corrupt bit is refused; the dirty bit (lazy refcounts) reads fine', async () => {
    const corrupt = victim('corrupt');
    patch(corrupt, 72 + 7, Buffer.from([2]));
    await expectRefused(corrupt, /marked corrupt/);
    const dirty = victim('dirty');
    patch(dirty, 72 + 7, Buffer.from([1]));
    const dev = await Qcow2Device.open(dirty);
    expect(dev.header.dirty).toBe(true);
    expect((await dev.read(128 * 1024 - 1, 2))[0]).toBe(0x42);
    await dev.close();
  });

  it('an external data file is refused, naming it', async () => {
    const f = path.join(dir, 'with-data-file.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', `data_file=${path.join(dir, 'the-data.raw')}`, f, '1M');
    await expectRefused(f, new RegExp(`keeps its data in an external file \\(${path.join(dir, 'the-data.raw')}\\): external data files are not supported`));
  });

  it('unknown incompatible features and encryption are refused', async () => {
    const f = victim('feature');
    patch(f, 72 + 6, Buffer.from([0x80]));
    await expectRefused(f, /unsupported feature\(s\): bit 15/);
    const enc = victim('crypt');
    patch(enc, 32, u32(1));
    await expectRefused(enc, /encrypted/);
  });

  it('cut short inside a data cluster: the read fails with one line, never zeroes', async () => {
    const f = victim('cut');
    const dev0 = await Qcow2Device.open(f);
    await dev0.close();
    fs.truncateSync(f, fs.statSync(f).size - 65536);
    const dev = await Qcow2Device.open(f);
    await expect(dev.read(0, 128 * 1024)).rejects.toThrow(new RegExp(`^${f}: qcow2 image is truncated`));
    await dev.close();
  });
});

describe('fuzz: mutated qcow2 headers and tables give only typed errors', () => {
  const rounds = fuzzIterations('GUESTKIT_QCOW2_FUZZ_ROUNDS', 2000);

  it(`${rounds} mutated images`, async () => {
    // Seeds: 4 KiB clusters with compressed, plain and zero clusters; 16 KiB extended-L2 clusters over a backing file.
    const src = path.join(dir, 'fuzz-src.raw');
    fs.writeFileSync(src, Buffer.concat([Buffer.alloc(64 * 1024, 0x61), fs.readFileSync(images.v2!).subarray(0, 64 * 1024), Buffer.alloc(128 * 1024)]));
    const a = path.join(dir, 'fuzz-a.qcow2');
    qemuImg('convert', '-q', '-c', '-O', 'qcow2', '-o', 'cluster_size=4096', src, a);
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x7e 200k 8k', '-c', 'write -z 8k 8k', a], { stdio: 'ignore' });
    const b = path.join(dir, 'fuzz-b.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'extended_l2=on,cluster_size=16k', '-b', 'fuzz-a.qcow2', '-F', 'qcow2', b, '512k');
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x11 1k 2k', '-c', 'write -z 40k 1k', '-c', 'write -P 0x12 300k 20k', b], { stdio: 'ignore' });
    // A third: zstd clusters, whose compressed streams are mutated too.
    const c = path.join(dir, 'fuzz-c.qcow2');
    qemuImg('convert', '-q', '-c', '-O', 'qcow2', '-o', 'cluster_size=4096,compression_type=zstd', src, c);
    const seeds = [a, b, c].map((f) => {
      const bytes = fs.readFileSync(f);
      const clusterSize = 2 ** bytes.readUInt32BE(20);
      const l1 = Number(bytes.readBigUInt64BE(40));
      // Metadata worth mutating: the header cluster's first 512 bytes, the L1 table, the L2 tables it points at.
      const regions: Array<[number, number]> = [[0, 512], [l1, bytes.readUInt32BE(36) * 8]];
      // The refcount table and its first block: mutated for the write path.
      const rt = Number(bytes.readBigUInt64BE(48));
      regions.push([rt, 64]);
      const rb = Number(bytes.readBigUInt64BE(rt) & 0x00fffffffffffe00n);
      if (rb) regions.push([rb, 256]);
      for (let i = 0; i < bytes.readUInt32BE(36); i++) {
        const l2 = Number(bytes.readBigUInt64BE(l1 + i * 8) & 0x00fffffffffffe00n);
        if (l2) regions.push([l2, clusterSize]);
      }
      if (f === c) regions.push([clusterSize, bytes.length - clusterSize]);
      return { bytes, regions };
    });
    const target = path.join(dir, 'fuzz-b-target.qcow2'); // beside fuzz-a.qcow2, so b's backing name still resolves
    const writeCodes = new Map<string, number>();
    let writable = 0;
    const { opened, codes } = await fuzzImages({
      rounds,
      seeds: seeds.map((s) => ({ ...s, target })),
      randomSeed: Number(process.env.GUESTKIT_QCOW2_FUZZ_SEED ?? 0x5eed),
      open: (f) => Qcow2Device.open(f),
      afterRound: async (file, round, pick) => {
        if (round % 4 >= 2) return;
        // The write path on the same mutated image: typed errors or a bounded write, never a wild one.
        const before = fs.statSync(file).size;
        try {
          const dev = await Qcow2Device.open(file, { readOnly: false });
          writable++;
          try {
            const span = Math.min(dev.size, 1024 * 1024);
            for (let w = 0; w < 4 && span > 0; w++) {
              const at = pick(span);
              const len = Math.min(span - at, 1 + pick(20000));
              if (w % 2) await dev.zero(at, len);
              else await dev.write(at, Buffer.alloc(len, 0x5a));
            }
            await dev.flush();
          } finally {
            await dev.close().catch(() => {});
          }
        } catch (e) {
          if (!(e instanceof GuestkitError)) throw new Error(`round ${round} (write): untyped error: ${(e as Error)?.stack ?? e}`);
          expect((e as Error).message).not.toContain('\n');
          writeCodes.set(e.code, (writeCodes.get(e.code) ?? 0) + 1);
        }
        // A rebuild of the refcounts, 4 writes and their tables: a few hundred KiB at most, never a jump to a lying offset.
        expect(fs.statSync(file).size, `round ${round}`).toBeLessThan(before + 8 * 1024 * 1024);
      },
    });
    console.log(`qcow2 fuzz: ${rounds} iterations, opened ${opened}, typed errors ${JSON.stringify(Object.fromEntries(codes))}; written ${writable}, typed errors ${JSON.stringify(Object.fromEntries(writeCodes))}`);
    expect(writable).toBeGreaterThan(rounds / 20);
    // The mutations must reach both outcomes: images that still open, and refusals.
    expect(opened).toBeGreaterThan(rounds / 10);
    expect([...codes.values()].reduce((x, y) => x + y, 0)).toBeGreaterThan(rounds / 10);
  }, fuzzTimeout(rounds, 100));
});
