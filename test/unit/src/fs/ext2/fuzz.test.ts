/**
 * Mutated ext4 filesystems (made by mke2fs -d from a tree with extents, an
 * htree directory, fast and slow symlinks, a sparse file): the superblock,
 * group descriptors, bitmaps, inode tables and directory blocks get bits
 * flipped, bytes set to 0x00/0xFF/random, extreme 32-bit values, junk runs and
 * truncations, with the metadata checksums sometimes left wrong and sometimes
 * not checked (the mutation hits before libext2fs verifies). Each filesystem
 * is opened read-only through our libext2fs build and walked (readdir,
 * getattr, lookup, read, readlink): only FsError/GuestkitError may come out. A
 * wasm abort marks the module dead; it is counted and a fresh module loaded.
 *
 * Seed: EXT_FUZZ_SEED (default below); iterations: EXT_FUZZ_ITERS or FUZZ_ITERS.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzIterations, fuzzTimeout, glueModuleOpener, MemSyncDevice, newWalkStats, runFsFuzz, walkFs, FUZZ_HANG_MS } from '../../../../helpers/fuzz-walk.js';
import { hostToolEnv, makeTempDir, pattern, runTool } from '../../../../helpers/host-tools.js';
import { loadExt2Module, openExt2, type Ext2Module } from '../../../../../src/fs/ext2/ext2-driver.js';

const SEED = Number(process.env.EXT_FUZZ_SEED ?? 0xe4f5);
const ITERS = fuzzIterations('EXT_FUZZ_ITERS', 1500);
const env = hostToolEnv();
const tmp = makeTempDir('gk-ext-fuzz-');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const MAX_STEPS = 300;
const READ_CAP = 64 * 1024;
const CHUNK = 16 * 1024;
const BLOCK = 1024;

function buildImage(): Uint8Array {
  const tree = join(tmp, 'tree');
  mkdirSync(join(tree, 'htree'), { recursive: true });
  mkdirSync(join(tree, 'a', 'b', 'c'), { recursive: true });
  writeFileSync(join(tree, 'hello.txt'), 'hello, ext4\n');
  writeFileSync(join(tree, 'big.bin'), pattern(200_000, 5)); // several extents' worth of blocks
  writeFileSync(join(tree, 'a', 'b', 'c', 'deep.txt'), 'deep\n');
  for (let i = 0; i < 400; i++) writeFileSync(join(tree, 'htree', `an-entry-with-a-longer-name-${i}`), i % 7 ? '' : `${i}\n`);
  writeFileSync(join(tree, 'sparse.bin'), 'start\n');
  truncateSync(join(tree, 'sparse.bin'), 300_000); // a hole after the first block
  symlinkSync('hello.txt', join(tree, 'fast-link'));
  symlinkSync(`${'long/'.repeat(30)}target`, join(tree, 'slow-link'));
  const img = join(tmp, 'base.img');
  writeFileSync(img, '');
  execFileSync('truncate', ['-s', '4M', img]);
  runTool(env, 'mke2fs', ['-q', '-F', '-t', 'ext4', '-b', String(BLOCK), '-N', '1024', '-d', tree, '-L', 'fuzz', img]);
  return new Uint8Array(readFileSync(img));
}

interface Region {
  offset: number;
  size: number;
}

/** Superblock, group descriptors, bitmaps, inode tables (from dumpe2fs) and every directory's blocks (from debugfs). */
function metadataRegions(img: string): Region[] {
  const out: Region[] = [{ offset: 1024, size: 1024 }, { offset: 2 * BLOCK, size: BLOCK }];
  const dump = runTool(env, 'dumpe2fs', [img]);
  for (const m of dump.matchAll(/(Block bitmap|Inode bitmap) at (\d+)/g)) out.push({ offset: Number(m[2]) * BLOCK, size: BLOCK });
  for (const m of dump.matchAll(/Inode table at (\d+)-(\d+)/g)) {
    out.push({ offset: Number(m[1]) * BLOCK, size: (Number(m[2]) - Number(m[1]) + 1) * BLOCK });
  }
  for (const dir of ['/', '/htree', '/a', '/a/b', '/a/b/c', '/lost+found']) {
    const blocks = runTool(env, 'debugfs', ['-R', `blocks ${dir}`, img]).trim().split(/\s+/).filter(Boolean).map(Number);
    for (const b of blocks.slice(0, 8)) out.push({ offset: b * BLOCK, size: BLOCK });
  }
  return out;
}

const EXTREME32 = [0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0xf30a, 0x10000, 1024, 4096];

function mutate(buf: Uint8Array, regions: Region[], r: () => number): { len: number; desc: string } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const pick = (n: number) => Math.floor(r() * n);
  let len = buf.length;
  const ops: string[] = [];
  const n = 1 + pick(4);
  for (let i = 0; i < n; i++) {
    // the superblock gets a share of its own
    const reg = r() < 0.15 ? regions[0]! : regions[pick(regions.length)]!;
    const kind = pick(7);
    const at = reg.offset + pick(reg.size);
    ops.push(`${kind}@${at}`);
    if (kind === 0) buf[at] ^= 1 << pick(8);
    else if (kind === 1) buf[at] = [0x00, 0xff, pick(256)][pick(3)]!;
    else if (kind === 2 || kind === 3) dv.setUint32(Math.min(at & ~3, reg.offset + reg.size - 4), EXTREME32[pick(EXTREME32.length)]!, true);
    else if (kind === 4) dv.setUint16(Math.min(at & ~1, reg.offset + reg.size - 2), [0, 1, 0xffff, 0x7fff, 12, pick(0x10000)][pick(6)]!, true);
    else if (kind === 5) {
      const end = Math.min(reg.offset + reg.size, at + 1 + pick(64));
      const v = pick(3);
      for (let j = at; j < end; j++) buf[j] = v === 0 ? 0 : v === 1 ? 0xff : pick(256);
    } else {
      len = r() < 0.5 ? pick(buf.length) : Math.min(buf.length, reg.offset + pick(reg.size + 4096));
    }
  }
  return { len, desc: ops.join(',') };
}

describe('ext4 fuzz', () => {
  it(`survives ${ITERS} mutated filesystems opened read-only and walked, with only typed errors`, async () => {
    const good = buildImage();
    const regions = metadataRegions(join(tmp, 'base.img'));
    expect(regions.length).toBeGreaterThan(8);
    const mod: Ext2Module = await loadExt2Module();
    {
      const fs = openExt2(mod, new MemSyncDevice(good, good.length), { readOnly: true });
      const s = newWalkStats();
      const c = new Map<string, number>();
      walkFs(fs, s, c, { maxSteps: 1000, readCap: READ_CAP, chunk: CHUNK });
      expect(c).toEqual(new Map());
      expect(s.entries).toBeGreaterThan(400);
      fs.close();
    }

    const res = await runFsFuzz({
      name: 'ext4', seed: SEED, iterations: ITERS, good,
      mutate: (buf, r) => mutate(buf, regions, r),
      ...glueModuleOpener(mod, loadExt2Module, (m, dev) => openExt2(m, dev, { readOnly: true })),
      limits: { maxSteps: MAX_STEPS, readCap: READ_CAP, chunk: CHUNK },
    });
    // No hang: each open and walk ends well within this budget.
    expect(res.slowestMs).toBeLessThan(FUZZ_HANG_MS);
    expect(res.stats.opened).toBeGreaterThan(ITERS / 5);
  }, fuzzTimeout(ITERS, 60));
});
