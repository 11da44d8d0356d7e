/**
 * Mutated FAT volumes (one small mkfs.vfat image with files, long names and
 * nested subdirectories copied in by mcopy): the boot sector / BPB, the FAT
 * tables and the directory entries (root and subdirectory clusters) get bits
 * flipped, bytes set to 0x00/0xFF/random, extreme values in the entry
 * fields (attributes, first cluster, size) and truncations. Each volume is
 * opened read-only and walked (readdir, getattr, lookup, read): only
 * FsError/GuestkitError may come out. A js-fatfs abort marks its instance
 * dead (the next open gets a fresh one); it is counted.
 *
 * Seed: FAT_FUZZ_SEED (default below); iterations: FAT_FUZZ_ITERS.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzIterations, fuzzTimeout, runFsFuzz, walkGood, MemSyncDevice, FUZZ_HANG_MS } from '../../../../helpers/fuzz-walk.js';
import { flipBit, regionMutator, setByte, setWord32, truncate, type Mutation, type MutationRegion } from '../../../../helpers/region-mutator.js';
import { hostToolEnv, makeTempDir, pattern, resolve, runTool } from '../../../../helpers/host-tools.js';
import { openFat } from '../../../../../src/fs/fat/fat-driver.js';
import { readGeometry } from '../../../../../src/fs/fat/fat-layout.js';

const SEED = Number(process.env.FAT_FUZZ_SEED ?? 0xfa7);
const ITERS = fuzzIterations('FAT_FUZZ_ITERS', 2000);
const env = hostToolEnv({ TZ: 'UTC', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', MTOOLS_SKIP_CHECK: '1' });
const tmp = makeTempDir('gk-fat-fuzz-');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const MAX_STEPS = 200;
const READ_CAP = 64 * 1024;
const CHUNK = 16 * 1024;

function buildImage(): Uint8Array {
  const img = join(tmp, 'base.img');
  rmSync(img, { force: true });
  runTool(env, 'mkfs.vfat', ['-C', '-n', 'FUZZ', img, '1024']);
  const src = join(tmp, 'tree');
  mkdirSync(join(src, 'Sub Directory', 'nested'), { recursive: true });
  writeFileSync(join(src, 'HELLO.TXT'), 'hello, fat\n');
  writeFileSync(join(src, 'big.bin'), pattern(20_000, 7)); // several clusters
  writeFileSync(join(src, 'A rather long file name.txt'), 'long\n');
  writeFileSync(join(src, 'empty'), '');
  for (let i = 0; i < 20; i++) writeFileSync(join(src, 'Sub Directory', `entry number ${i}.dat`), pattern(i * 100 + 1, i + 1));
  writeFileSync(join(src, 'Sub Directory', 'nested', 'deep.txt'), 'deep\n');
  runTool(env, 'mcopy', ['-i', img, '-s', '-m', join(src, 'HELLO.TXT'), join(src, 'big.bin'), join(src, 'A rather long file name.txt'),
    join(src, 'empty'), join(src, 'Sub Directory'), '::/']);
  return new Uint8Array(readFileSync(img));
}

interface Region extends MutationRegion {
  dir: boolean;
}

/** The boot sector, the FATs, the root directory and each subdirectory cluster. */
function metadataRegions(img: Uint8Array): Region[] {
  const geo = readGeometry(new MemSyncDevice(img, img.length));
  const out: Region[] = [
    { offset: 0, size: geo.ss, dir: false },
    { offset: geo.fatOffset, size: geo.rootOffset - geo.fatOffset, dir: false },
    { offset: geo.rootOffset, size: geo.rootBytes, dir: true },
  ];
  const dot = '.          ';
  for (let o = geo.dataOffset; o + geo.clusterBytes <= img.length; o += geo.clusterBytes) {
    if (String.fromCharCode(...img.subarray(o, o + 11)) === dot && (img[o + 11]! & 0x10) !== 0) {
      out.push({ offset: o, size: geo.clusterBytes, dir: true });
    }
  }
  return out;
}

const EXTREME32 = [0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff7, 0x0ffffff8, 0xff7, 0xfff8, 0x10000];
const BPB_FIELDS: [number, number][] = [[11, 2], [13, 1], [14, 2], [16, 1], [17, 2], [19, 2], [21, 1], [22, 2], [28, 4], [32, 4], [36, 4], [44, 4], [48, 2]];

/** A BPB field set to an extreme or a small value. */
const setBpbField: Mutation<Region> = ({ buf, dv, r, pick }) => {
  const [o, w] = BPB_FIELDS[pick(BPB_FIELDS.length)]!;
  const v = r() < 0.5 ? EXTREME32[pick(EXTREME32.length)]! : [0, 1, 2, 3, 64, 128, 255, 512, 4096][pick(9)]!;
  if (w === 1) buf[o] = v & 0xff;
  else if (w === 2) dv.setUint16(o, v & 0xffff, true);
  else dv.setUint32(o, v, true);
};

/** A directory entry field (of any directory): name[0], attributes, first cluster hi/lo, size. */
const setDirEntryField = (dirs: Region[]): Mutation<Region> => ({ buf, dv, pick }) => {
  const d = dirs[pick(dirs.length)]!;
  const e = d.offset + pick(d.size / 32) * 32;
  const f = pick(6);
  if (f === 0) buf[e] = [0x00, 0xe5, 0x05, 0x2e, 0x20, pick(256)][pick(6)]!;
  else if (f === 1) buf[e + 11] = [0x0f, 0x10, 0x08, 0x3f, 0x00, 0x20, pick(256)][pick(7)]!;
  else if (f === 2) dv.setUint16(e + 20, [0, 0xffff, 0x0fff, pick(0x10000)][pick(4)]!, true);
  else if (f === 3) dv.setUint16(e + 26, [0, 1, 2, 0xffff, 0xfff7, 0xff8, pick(0x1000)][pick(7)]!, true);
  else if (f === 4) dv.setUint32(e + 28, EXTREME32[pick(EXTREME32.length)]!, true);
  else buf[e + 13] = pick(256); // LFN checksum / ordinal-ish bytes
};

/** An entry of the first FAT: free, bad, end of chain, a loop, out of range. */
const setFatEntry = (fat: Region): Mutation<Region> => ({ buf, r, pick }) => {
  const a = fat.offset + pick(Math.min(fat.size, 512));
  buf[a] = [0x00, 0xff, 0xf7, 0x02, pick(256)][pick(5)]!;
  if (r() < 0.5) buf[a + 1] = [0x00, 0xff, 0x0f, pick(256)][pick(4)]!;
};

const mutations = (regions: Region[]) => {
  const dirs = regions.filter((x) => x.dir);
  return regionMutator({
    regions,
    kinds: [flipBit, setByte, setWord32(EXTREME32), setBpbField, setDirEntryField(dirs), setDirEntryField(dirs), setFatEntry(regions[1]!), truncate],
  });
};

function isAbort(e: unknown): boolean {
  return e instanceof Error && /js-fatfs module (aborted|is unusable)/.test(e.message);
}

describe('FAT fuzz', () => {
  it(`survives ${ITERS} mutated volumes opened read-only and walked, with only typed errors`, async () => {
    const good = buildImage();
    const regions = metadataRegions(good);
    expect(regions.filter((x) => x.dir).length).toBeGreaterThanOrEqual(3); // root, Sub Directory, nested
    {
      const fs = await openFat(new MemSyncDevice(good, good.length), { readOnly: true });
      expect(resolve(fs, 'Sub Directory/nested/deep.txt')).toBeGreaterThan(0);
      const sane = walkGood(fs, { maxSteps: MAX_STEPS, readCap: READ_CAP, chunk: CHUNK });
      expect(sane.codes).toEqual(new Map());
      expect(sane.stats.entries).toBe(27);
    }

    const res = await runFsFuzz({
      name: 'fat', seed: SEED, iterations: ITERS, good,
      mutate: mutations(regions),
      open: (dev) => openFat(dev, { readOnly: true }),
      limits: { maxSteps: MAX_STEPS, readCap: READ_CAP, chunk: CHUNK },
      // js-fatfs aborts kill only the instance: the next open gets a fresh one
      aborted: isAbort,
    });
    expect(res.slowestMs).toBeLessThan(FUZZ_HANG_MS);
    expect(res.stats.opened).toBeGreaterThan(ITERS / 5);
  }, fuzzTimeout(ITERS, 60));
});
