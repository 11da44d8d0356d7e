/**
 * Mutated XFS filesystems (a v5 and a v4 image of 32 MiB, two allocation
 * groups, made by mkfs.xfs -p from a small tree: short-form, block, leaf and
 * node/btree directories, local and remote symlinks, files of several
 * extents; a remote symlink on v4): the superblocks, AGFs, inodes and directory, btree and symlink
 * blocks get bits flipped, bytes set to 0x00/0xFF/random, extreme 16/32-bit
 * values and truncations. On v5 the CRC of the mutated structure is usually
 * recomputed, so the mutations reach the parsers instead of stopping at the
 * checksum. Each volume is opened read-only and walked (readdir, getattr,
 * lookup, read, readlink): only FsError/GuestkitError may come out, and no
 * iteration may take long (every loop is bounded).
 *
 * Seed: XFS_FUZZ_SEED (default below); iterations: XFS_FUZZ_ITERS (per image).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzIterations, fuzzRounds, fuzzSummary, fuzzTimeout, MemSyncDevice, newWalkStats, seededRandom, walkFs, FUZZ_HANG_MS } from '../../../../helpers/fuzz-walk.js';
import { makeTempDir, pattern } from '../../../../helpers/host-tools.js';
import { crc32cWithHole } from '../../../../../src/fs/xfs/crc32c.js';
import { openXfs } from '../../../../../src/fs/xfs/xfs-driver.js';

const SEED = Number(process.env.XFS_FUZZ_SEED ?? 0x5f5e);
const ITERS = fuzzIterations('XFS_FUZZ_ITERS', 800);
const tmp = makeTempDir('gk-xfs-fuzz-');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const LIMITS = { maxSteps: 300, readCap: 64 * 1024, chunk: 16 * 1024 };


function buildImage(v5: boolean): Uint8Array {
  const tree = join(tmp, `tree-${v5 ? 5 : 4}`);
  mkdirSync(join(tree, 'small'), { recursive: true });
  mkdirSync(join(tree, 'block'));
  mkdirSync(join(tree, 'leaf'));
  mkdirSync(join(tree, 'node'));
  writeFileSync(join(tree, 'hello.txt'), 'hello, xfs\n');
  writeFileSync(join(tree, 'data.bin'), pattern(70_000, 5));
  writeFileSync(join(tree, 'small', 'a'), 'a\n');
  for (let i = 0; i < 30; i++) writeFileSync(join(tree, 'block', `entry-${i}`), pattern(i * 100, i + 1));
  for (let i = 0; i < 300; i++) writeFileSync(join(tree, 'leaf', `a-longer-leaf-directory-entry-name-${i}`), '');
  for (let i = 0; i < 1500; i++) writeFileSync(join(tree, 'node', `a-longer-node-directory-entry-name-${i}`), '');
  symlinkSync('hello.txt', join(tree, 'link'));
  symlinkSync('/remote/' + 'x'.repeat(700), join(tree, 'remote-link'));
  const proto = ['/dev/null', '0 0', 'd--755 0 0'];
  const add = (dir: string, depth: number, names: string[]) => {
    for (const n of names) {
      const p = join(dir, n);
      const pad = ' '.repeat(depth);
      if (n.endsWith('link')) proto.push(`${pad}${n} l--777 0 0 ${n === 'link' ? 'hello.txt' : '/remote/' + 'x'.repeat(700)}`);
      else if (['small', 'block', 'leaf', 'node'].includes(n) && depth === 1) {
        proto.push(`${pad}${n} d--755 0 0`);
        const kids = n === 'small' ? ['a'] : n === 'block' ? [...Array(30).keys()].map((i) => `entry-${i}`) : [...Array(n === 'leaf' ? 300 : 1500).keys()].map((i) => `a-longer-${n}-directory-entry-name-${i}`);
        add(p, depth + 1, kids);
        proto.push(`${pad}$`);
      } else proto.push(`${pad}${n} ---644 0 0 ${p}`);
    }
  };
  // (no remote symlink on v5: mkfs.xfs 6.1 -p writes it without its block header, which is corrupt)
  add(tree, 1, ['hello.txt', 'data.bin', 'small', 'block', 'leaf', 'node', 'link', ...(v5 ? [] : ['remote-link'])]);
  proto.push('$');
  const protoFile = join(tmp, `proto-${v5 ? 5 : 4}`);
  writeFileSync(protoFile, proto.join('\n') + '\n');
  const img = join(tmp, `xfs-${v5 ? 5 : 4}.img`);
  writeFileSync(img, '');
  execFileSync('truncate', ['-s', '40M', img]);
  execFileSync('mkfs.xfs', ['-q', '-f', '-d', 'agcount=2', '-l', 'size=8m', ...(v5 ? [] : ['-m', 'crc=0']), '-p', protoFile, img], {
    env: { ...process.env, TEST_DIR: '1', TEST_DEV: '1', QA_CHECK_FS: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Uint8Array(readFileSync(img));
}

interface Region {
  kind: 'head' | 'inode' | 'block';
  offset: number;
  size: number;
  /** Where the structure keeps its CRC-32C (v5), or -1. */
  crcAt: number;
}

/** Superblocks and AGFs (sectors), inodes in use, and directory/bmbt/symlink blocks, found by their magic numbers. */
function metadataRegions(img: Uint8Array, v5: boolean): Region[] {
  const dv = new DataView(img.buffer, img.byteOffset, img.byteLength);
  const bs = dv.getUint32(4), isize = dv.getUint16(104);
  const out: Region[] = [];
  const magic = (o: number) => dv.getUint32(o);
  const crc = (at: number) => (v5 ? at : -1);
  for (let o = 0; o < img.length; o += bs) {
    const m = magic(o);
    if (m === 0x58465342) out.push({ kind: 'head', offset: o, size: 512, crcAt: crc(224) }); // XFSB
    if (magic(o + 512) === 0x58414746) out.push({ kind: 'head', offset: o + 512, size: 512, crcAt: crc(216) }); // XAGF
    if ([0x58444233, 0x58444433, 0x58443242, 0x58443244].includes(m)) out.push({ kind: 'block', offset: o, size: bs, crcAt: crc(4) }); // dir data/block
    else if (m === 0x424d4133 || m === 0x424d4150) out.push({ kind: 'block', offset: o, size: bs, crcAt: crc(64) }); // BMA3/BMAP
    else if (m === 0x58534c4d) out.push({ kind: 'block', offset: o, size: bs, crcAt: 12 }); // XSLM
    else if (dv.getUint16(o) === 0x494e) {
      for (let i = o; i < o + bs; i += isize) if (dv.getUint16(i) === 0x494e && dv.getUint16(i + 2) !== 0) out.push({ kind: 'inode', offset: i, size: isize, crcAt: crc(100) });
    }
  }
  return out;
}

const EXTREME32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x10000, 0x40, 0x1000];

/** Applies 1-4 mutations; returns the undo log (offset, old bytes) and the device length. */
function mutate(buf: Uint8Array, byKind: Record<Region['kind'], Region[]>, r: () => number, undo: [number, Uint8Array][]): { len: number; desc: string } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const pick = (n: number) => Math.floor(r() * n);
  const save = (o: number, n: number) => undo.push([o, buf.slice(o, o + n)]);
  let len = buf.length;
  const ops: string[] = [];
  for (let i = 0, n = 1 + pick(4); i < n; i++) {
    // superblocks/AGFs 15%, blocks 40%, inodes 45% (the first ones most: the walk is bounded)
    const x = r();
    const list = x < 0.15 ? byKind.head : x < 0.55 ? byKind.block : byKind.inode;
    const reg = list[list === byKind.inode && r() < 0.7 ? pick(Math.min(list.length, 48)) : pick(list.length)]!;
    const kind = pick(7);
    // headers most often: the first 0x100 bytes
    const at = reg.offset + (r() < 0.6 ? pick(Math.min(reg.size, 0x100)) : pick(reg.size));
    ops.push(`${kind}@${reg.offset}+${at - reg.offset}`);
    save(reg.offset, reg.size);
    if (kind === 0) buf[at] ^= 1 << pick(8);
    else if (kind === 1) buf[at] = [0x00, 0xff, pick(256)][pick(3)]!;
    else if (kind === 2 || kind === 3) dv.setUint32(Math.min(at & ~3, reg.offset + reg.size - 4), EXTREME32[pick(EXTREME32.length)]!);
    else if (kind === 4) dv.setUint16(Math.min(at & ~1, reg.offset + reg.size - 2), [0, 1, 0xffff, 0x7fff, 8, pick(0x1000)][pick(6)]!);
    else if (kind === 5) {
      const end = Math.min(reg.offset + reg.size, at + 1 + pick(64));
      const v = pick(3);
      for (let j = at; j < end; j++) buf[j] = v === 0 ? 0 : v === 1 ? 0xff : pick(256);
    } else len = r() < 0.5 ? pick(buf.length) : Math.min(buf.length, reg.offset + pick(reg.size + 4096));
    if (reg.crcAt >= 0 && r() < 0.85) {
      const crc = crc32cWithHole(buf.subarray(reg.offset, reg.offset + reg.size), reg.crcAt);
      dv.setUint32(reg.offset + reg.crcAt, crc, true);
    }
  }
  return { len, desc: ops.join(',') };
}

describe('XFS fuzz', () => {
  for (const v5 of [true, false]) {
    it(`survives ${ITERS} mutated ${v5 ? 'v5' : 'v4'} filesystems opened read-only and walked, with only typed errors`, async () => {
      const good = buildImage(v5);
      const regions = metadataRegions(good, v5);
      const byKind = { head: regions.filter((x) => x.kind === 'head'), inode: regions.filter((x) => x.kind === 'inode'), block: regions.filter((x) => x.kind === 'block') };
      expect(byKind.head.length).toBe(4); // 2 AGs: superblock and AGF each
      expect(byKind.block.length).toBeGreaterThan(10);
      expect(byKind.inode.length).toBeGreaterThan(1800);
      // sanity: the unmutated image walks in full
      {
        const fs = openXfs(new MemSyncDevice(good, good.length), { readOnly: true });
        const s = newWalkStats();
        walkFs(fs, s, new Map(), { ...LIMITS, maxSteps: 5000 });
        expect(s.opErrors).toBe(0);
        expect(s.links).toBe(v5 ? 1 : 2);
        expect(s.entries).toBe((v5 ? 7 : 8) + 1 + 30 + 300 + 1500);
        fs.close();
      }
      const r = seededRandom(SEED + (v5 ? 0 : 1));
      const buf = good.slice();
      const label = `xfs ${v5 ? 'v5' : 'v4'} fuzz: seed ${SEED}`;
      const res = await fuzzRounds({ label, iters: ITERS, buf, mutate: (undo) => mutate(buf, byKind, r, undo), open: (dev) => openXfs(dev, { readOnly: true }), limits: LIMITS });
      console.log(fuzzSummary(label, ITERS, res));
      expect(res.slowestMs).toBeLessThan(FUZZ_HANG_MS);
      // the mutations must reach past the superblock checks
      expect(res.stats.opened).toBeGreaterThan(ITERS / 2);
      expect(res.stats.opErrors).toBeGreaterThan(0);
    }, fuzzTimeout(ITERS, 150));
  }
});
