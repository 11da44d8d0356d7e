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
import { fuzzIterations, fuzzTimeout, glueModuleOpener, MemSyncDevice, runFsFuzz, walkGood, FUZZ_HANG_MS } from '../../../../helpers/fuzz-walk.js';
import { flipBit, junkRun, regionMutator, setByte, setWord16, setWord32, truncate, type MutationRegion } from '../../../../helpers/region-mutator.js';
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

/** Superblock, group descriptors, bitmaps, inode tables (from dumpe2fs) and every directory's blocks (from debugfs). */
function metadataRegions(img: string): MutationRegion[] {
  const out: MutationRegion[] = [{ offset: 1024, size: 1024 }, { offset: 2 * BLOCK, size: BLOCK }];
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

/** The superblock gets a share of its own. */
const mutations = (regions: MutationRegion[]) => regionMutator({
  regions,
  firstShare: 0.15,
  kinds: [flipBit, setByte, setWord32(EXTREME32), setWord32(EXTREME32), setWord16([0, 1, 0xffff, 0x7fff, 12], 0x10000), junkRun, truncate],
});

describe('ext4 fuzz', () => {
  it(`survives ${ITERS} mutated filesystems opened read-only and walked, with only typed errors`, async () => {
    const good = buildImage();
    const regions = metadataRegions(join(tmp, 'base.img'));
    expect(regions.length).toBeGreaterThan(8);
    const mod: Ext2Module = await loadExt2Module();
    const sane = walkGood(openExt2(mod, new MemSyncDevice(good, good.length), { readOnly: true }), { maxSteps: 1000, readCap: READ_CAP, chunk: CHUNK });
    expect(sane.codes).toEqual(new Map());
    expect(sane.stats.entries).toBeGreaterThan(400);

    const res = await runFsFuzz({
      name: 'ext4', seed: SEED, iterations: ITERS, good,
      mutate: mutations(regions),
      ...glueModuleOpener(mod, loadExt2Module, (m, dev) => openExt2(m, dev, { readOnly: true })),
      limits: { maxSteps: MAX_STEPS, readCap: READ_CAP, chunk: CHUNK },
    });
    // No hang: each open and walk ends well within this budget.
    expect(res.slowestMs).toBeLessThan(FUZZ_HANG_MS);
    expect(res.stats.opened).toBeGreaterThan(ITERS / 5);
  }, fuzzTimeout(ITERS, 60));
});
