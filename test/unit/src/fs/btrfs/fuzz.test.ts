/**
 * Mutated btrfs filesystems (mkfs.btrfs --rootdir of a small tree: inline and
 * regular files, a 300-entry directory, nested directories, symlinks): the
 * superblock, and the tree blocks of every tree (root, chunk, fs, extent, ...)
 * get bits flipped, bytes set to 0x00/0xFF/random, extreme 32/64-bit values and
 * truncations. The CRC-32C of the mutated structure is usually recomputed, so the
 * mutations reach the parsers instead of stopping at the checksum. Each volume is
 * opened read-only and walked (readdir, getattr, lookup, read, readlink, statfs):
 * only FsError/GuestkitError may come out, and no iteration may take long (every
 * loop and tree descent is bounded). The decoders (zlib, LZO, zstd) get mutated
 * and random streams the same way.
 *
 * Seed: BTRFS_FUZZ_SEED (default below); iterations: BTRFS_FUZZ_ITERS.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { FUZZ_HANG_MS, fuzzIterations, fuzzRounds, fuzzSummary, fuzzTimeout, isTypedError, MemSyncDevice, newWalkStats, seededRandom, walkFs } from '../../../../helpers/fuzz-walk.js';
import { makeTempDir, pattern } from '../../../../helpers/host-tools.js';
import { openBtrfs } from '../../../../../src/fs/btrfs/btrfs-driver.js';
import { decompress } from '../../../../../src/fs/btrfs/compression.js';
import { crc32c } from '../../../../../src/fs/xfs/crc32c.js';

const SEED = Number(process.env.BTRFS_FUZZ_SEED ?? 0xb7f5);
const ITERS = fuzzIterations('BTRFS_FUZZ_ITERS', 600);
const tmp = makeTempDir('gk-btrfs-fuzz-');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const LIMITS = { maxSteps: 300, readCap: 64 * 1024, chunk: 16 * 1024 };
const SUPER = 0x10000, NODE = 16384;

function buildImage(): Uint8Array {
  const tree = join(tmp, 'tree');
  mkdirSync(join(tree, 'dir', 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(tree, 'hello.txt'), 'hello, btrfs\n');
  writeFileSync(join(tree, 'inline.bin'), pattern(1500, 3));
  writeFileSync(join(tree, 'data.bin'), pattern(70_000, 5));
  writeFileSync(join(tree, 'dir', 'sub', 'deeper', 'f'), 'deep\n');
  mkdirSync(join(tree, 'many'));
  for (let i = 0; i < 300; i++) writeFileSync(join(tree, 'many', `a-longer-entry-name-${i}`), i % 10 ? '' : `${i}\n`);
  symlinkSync('hello.txt', join(tree, 'link'));
  symlinkSync('/' + 'x'.repeat(900), join(tree, 'long-link'));
  const img = join(tmp, 'btrfs.img');
  execFileSync('truncate', ['-s', '128M', img]);
  execFileSync('mkfs.btrfs', ['-q', '-f', '-m', 'dup', '-r', tree, img], { stdio: ['ignore', 'ignore', 'ignore'] });
  return new Uint8Array(readFileSync(img));
}

interface Region {
  offset: number;
  size: number;
}

/** The primary superblock and every tree block (fsid at 0x20 and a valid CRC), found by scanning node-aligned offsets. */
function metadataRegions(img: Uint8Array): { superblock: Region; blocks: Region[] } {
  const fsid = img.subarray(SUPER + 0x20, SUPER + 0x30);
  const blocks: Region[] = [];
  for (let o = 0; o + NODE <= img.length; o += NODE) {
    if (o === 0) continue;
    let same = true;
    for (let i = 0; i < 16 && same; i++) same = img[o + 0x20 + i] === fsid[i];
    if (!same) continue;
    const stored = (img[o]! | (img[o + 1]! << 8) | (img[o + 2]! << 16) | (img[o + 3]! << 24)) >>> 0;
    if (stored === crc32c(img.subarray(o + 0x20, o + NODE))) blocks.push({ offset: o, size: NODE });
  }
  return { superblock: { offset: SUPER, size: 4096 }, blocks };
}

const EXTREME32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x10000, 0x40, 0x1000];

function mutate(buf: Uint8Array, regions: ReturnType<typeof metadataRegions>, r: () => number, undo: [number, Uint8Array][]): { len: number; desc: string } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const pick = (n: number) => Math.floor(r() * n);
  let len = buf.length;
  const ops: string[] = [];
  for (let i = 0, n = 1 + pick(4); i < n; i++) {
    const reg = r() < 0.12 ? regions.superblock : regions.blocks[pick(regions.blocks.length)]!;
    const kind = pick(8);
    // headers and item tables most often: the first 0x300 bytes
    const at = reg.offset + 0x20 + (r() < 0.6 ? pick(0x300) : pick(reg.size - 0x20));
    ops.push(`${kind}@${reg.offset}+${at - reg.offset}`);
    undo.push([reg.offset, buf.slice(reg.offset, reg.offset + reg.size)]);
    const word = (w: number) => Math.min(at, reg.offset + reg.size - w);
    if (kind === 0) buf[at] ^= 1 << pick(8);
    else if (kind === 1) buf[at] = [0x00, 0xff, pick(256)][pick(3)]!;
    else if (kind === 2 || kind === 3) dv.setUint32(word(4), EXTREME32[pick(EXTREME32.length)]!, true);
    else if (kind === 4) dv.setBigUint64(word(8), [0n, 1n, 2n ** 64n - 1n, 2n ** 63n, BigInt(pick(2 ** 30)), 5n, 256n][pick(7)]!, true);
    else if (kind === 5) dv.setUint16(word(2), [0, 1, 0xffff, 0x7fff, 8, pick(0x1000)][pick(6)]!, true);
    else if (kind === 6) {
      const end = Math.min(reg.offset + reg.size, at + 1 + pick(64));
      const v = pick(3);
      for (let j = at; j < end; j++) buf[j] = v === 0 ? 0 : v === 1 ? 0xff : pick(256);
    } else len = r() < 0.5 ? pick(buf.length) : Math.min(buf.length, reg.offset + pick(reg.size + 4096));
    if (r() < 0.85) dv.setUint32(reg.offset, crc32c(buf.subarray(reg.offset + 0x20, reg.offset + reg.size)), true);
  }
  return { len, desc: ops.join(',') };
}

describe('btrfs fuzz', () => {
  it(`survives ${ITERS} mutated filesystems opened read-only and walked, with only typed errors`, async () => {
    const good = buildImage();
    const regions = metadataRegions(good);
    expect(regions.blocks.length).toBeGreaterThan(10);
    {
      const fs = openBtrfs(new MemSyncDevice(good, good.length), { readOnly: true });
      const s = newWalkStats();
      walkFs(fs, s, new Map(), { ...LIMITS, maxSteps: 5000 });
      expect(s.opErrors).toBe(0);
      expect(s.links).toBe(2);
      expect(s.entries).toBe(10 + 300);
      fs.close();
    }
    const r = seededRandom(SEED);
    const buf = good.slice();
    const res = await fuzzRounds({
      label: 'btrfs', iters: ITERS, buf, limits: LIMITS,
      mutate: (undo) => mutate(buf, regions, r, undo),
      open: (dev) => openBtrfs(dev, { readOnly: true }),
    });
    console.log(fuzzSummary(`btrfs (seed ${SEED})`, ITERS, res));
    expect(res.slowestMs).toBeLessThan(FUZZ_HANG_MS);
    // the mutations must reach past the superblock checks
    expect(res.stats.opened).toBeGreaterThan(ITERS / 3);
    expect(res.stats.opErrors).toBeGreaterThan(0);
  }, fuzzTimeout(ITERS, 150));

  it('the zlib, LZO and zstd decoders give only typed errors on mutated and random streams', () => {
    const text = Buffer.from('a compressible line of text, again and again\n'.repeat(3000)).subarray(0, 128 * 1024);
    const zlib = new Uint8Array(deflateSync(text));
    const zstdFile = join(tmp, 'text');
    writeFileSync(zstdFile, text);
    execFileSync('zstd', ['-q', '-f', '--no-check', zstdFile, '-o', `${zstdFile}.zst`]);
    const zstd = new Uint8Array(readFileSync(`${zstdFile}.zst`));
    expect(Buffer.from(decompress(1, zlib, text.length, 4096, 't'))).toEqual(text);
    expect(Buffer.from(decompress(3, zstd, text.length, 4096, 't'))).toEqual(text);
    const r = seededRandom(SEED + 1);
    const pick = (n: number) => Math.floor(r() * n);
    let typed = 0;
    for (let i = 0; i < 1500; i++) {
      const kind = 1 + (i % 3);
      const base = kind === 1 ? zlib : kind === 3 ? zstd : new Uint8Array(256 + pick(4096)).map(() => pick(256));
      const buf = base.slice(0, kind === 2 ? base.length : 1 + pick(base.length));
      for (let k = 0, n = 1 + pick(6); k < n; k++) buf[pick(buf.length)] = pick(256);
      if (kind === 2 && r() < 0.5) new DataView(buf.buffer).setUint32(0, Math.min(buf.length, pick(buf.length * 2)), true);
      try {
        const out = decompress(kind, buf, text.length, 4096, 'fuzz');
        expect(out.length).toBe(text.length);
      } catch (e) {
        if (!isTypedError(e)) throw new Error(`decoder ${kind} iteration ${i}: untyped error ${String(e)}`, { cause: e });
        typed++;
      }
    }
    expect(typed).toBeGreaterThan(50);
  });
});
