/**
 * Mutated NTFS volumes (one 8 MiB mkntfs image with files copied in by
 * ntfscp and a directory tree with a symlink added through the driver):
 * the boot sector, $MFT / $MFTMirr records and INDX blocks get bits
 * flipped, bytes set to 0x00/0xFF/random, extreme 32-bit values and
 * truncations (update sequence fixups usually repaired, so the mutations
 * reach ntfs-3g's parsers). Each volume is opened read-only and walked
 * (readdir, getattr, read, readlink): only FsError/GuestkitError may come
 * out. A wasm abort marks the module dead; it is counted and a fresh module
 * loaded.
 *
 * Seed: NTFS_FUZZ_SEED (default below); iterations: NTFS_FUZZ_ITERS.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzIterations, fuzzTimeout, glueModuleOpener, runFsFuzz, walkGood, MemSyncDevice, FUZZ_HANG_MS } from '../../../../helpers/fuzz-walk.js';
import { flipBit, junkRun, regionMutator, setByte, setWord16, setWord32, truncate, type MutationRegion } from '../../../../helpers/region-mutator.js';
import { FileDevice, hostToolEnv, makeTempDir, pattern, resolve, runTool } from '../../../../helpers/host-tools.js';
import { loadNtfsModule, openNtfs, type NtfsModule } from '../../../../../src/fs/ntfs/ntfs-driver.js';

const SEED = Number(process.env.NTFS_FUZZ_SEED ?? 0x7f5e);
const ITERS = fuzzIterations('NTFS_FUZZ_ITERS', 3000);
const env = hostToolEnv();
const tmp = makeTempDir('gk-ntfs-fuzz-');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const MAX_STEPS = 200;
const READ_CAP = 64 * 1024;
const CHUNK = 16 * 1024;

async function buildImage(mod: NtfsModule): Promise<Uint8Array> {
  const img = join(tmp, 'base.img');
  writeFileSync(img, '');
  execFileSync('truncate', ['-s', '8M', img]);
  runTool(env, 'mkntfs', ['-F', '-q', '-f', '-L', 'fuzz', img]);
  const src = join(tmp, 'src');
  writeFileSync(`${src}1`, 'hello, ntfs\n');
  writeFileSync(`${src}2`, pattern(40_000, 3)); // non-resident, several clusters
  writeFileSync(`${src}3`, pattern(300, 4)); // resident
  runTool(env, 'ntfscp', ['-f', img, `${src}1`, 'hello.txt']);
  runTool(env, 'ntfscp', ['-f', img, `${src}2`, 'big.bin']);
  runTool(env, 'ntfscp', ['-f', img, `${src}3`, 'Résumé.dat']);
  // a directory tree (more than fits in the root's resident index) and a symlink
  const dev = new FileDevice(img, false);
  try {
    const fs = openNtfs(mod, dev, { readOnly: false });
    const d = fs.mkdir(fs.rootIno, 'dir', 0o755, 0, 0);
    const sub = fs.mkdir(d, 'sub', 0o755, 0, 0);
    for (let i = 0; i < 40; i++) {
      const f = fs.create(d, `file-with-a-longish-name-${i}.txt`, 0o644, 0, 0);
      fs.write(f, 0, pattern(i * 37 + 1, i + 10));
    }
    const deep = fs.create(sub, 'deep.txt', 0o644, 0, 0);
    fs.write(deep, 0, new TextEncoder().encode('deep\n'));
    fs.symlink(fs.rootIno, 'link', 'dir/sub/deep.txt', 0, 0);
    fs.symlink(d, 'abs', '/hello.txt', 0, 0);
    fs.close();
  } finally {
    dev.close();
  }
  return new Uint8Array(readFileSync(img));
}

interface Region extends MutationRegion {
  /** Records with an update sequence array (FILE / INDX). */
  fixup: boolean;
}

/** The boot sector, every FILE record of $MFT and $MFTMirr, every INDX block. */
function metadataRegions(img: Uint8Array): Region[] {
  const out: Region[] = [{ offset: 0, size: 512, fixup: false }];
  const sig = (o: number, s: string) => img[o] === s.charCodeAt(0) && img[o + 1] === s.charCodeAt(1) && img[o + 2] === s.charCodeAt(2) && img[o + 3] === s.charCodeAt(3);
  for (let o = 0; o < img.length; o += 1024) {
    if (sig(o, 'FILE')) out.push({ offset: o, size: 1024, fixup: true });
    else if (o % 4096 === 0 && sig(o, 'INDX')) out.push({ offset: o, size: 4096, fixup: true });
  }
  // the backup boot sector (last sector)
  out.push({ offset: img.length - 512, size: 512, fixup: false });
  return out;
}

/** Re-applies the update sequence of a record whose header is intact. */
function fixup(buf: Uint8Array, reg: Region): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const usaOfs = dv.getUint16(reg.offset + 4, true);
  const usaCount = dv.getUint16(reg.offset + 6, true);
  if (usaCount < 1 || usaCount - 1 !== reg.size / 512 || usaOfs + usaCount * 2 > 512 || usaOfs & 1) return;
  const usn = dv.getUint16(reg.offset + usaOfs, true);
  for (let i = 1; i < usaCount; i++) {
    const end = reg.offset + i * 512 - 2;
    const v = dv.getUint16(end, true);
    if (v !== usn) {
      dv.setUint16(reg.offset + usaOfs + i * 2, v, true);
      dv.setUint16(end, usn, true);
    }
  }
}

/** Undoes the fixups (so mutations see the real record bytes). */
function unfixup(buf: Uint8Array, reg: Region): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const usaOfs = dv.getUint16(reg.offset + 4, true);
  const usaCount = dv.getUint16(reg.offset + 6, true);
  if (usaCount < 1 || usaCount - 1 !== reg.size / 512 || usaOfs + usaCount * 2 > 512) return;
  for (let i = 1; i < usaCount; i++) {
    dv.setUint16(reg.offset + i * 512 - 2, dv.getUint16(reg.offset + usaOfs + i * 2, true), true);
  }
}

const EXTREME32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0xfff0, 0x10000, 0x18, 0x38, 0x400];

/**
 * The boot sector gets a share of its own; the rest are records, their first 0x100
 * bytes (the header and first attribute headers) most often. A record's update
 * sequence is usually repaired around the mutation, so it reaches the parsers.
 */
const mutations = (regions: Region[]) => regionMutator({
  regions,
  firstShare: 0.15,
  head: { share: 0.6, bytes: 0x100 },
  around: (buf, reg, r) => {
    if (!(reg.fixup && r() < 0.85)) return undefined;
    unfixup(buf, reg);
    return { mark: 'f', after: () => fixup(buf, reg) };
  },
  kinds: [flipBit, setByte, setWord32(EXTREME32, 2), setWord32(EXTREME32, 2), setWord16([0, 1, 0xffff, 0x7fff, 8], 0x400), junkRun, truncate],
});

describe('NTFS fuzz', () => {
  it(`survives ${ITERS} mutated volumes opened read-only and walked, with only typed errors`, async () => {
    // the abort path this test relies on: a trap marks the module dead
    const probe = await loadNtfsModule();
    expect(() => probe.invoke(() => probe.em._gk_test_abort())).toThrow(/aborted/);
    expect(probe.dead).toBe(true);
    const mod = await loadNtfsModule();
    const good = await buildImage(mod);
    const regions = metadataRegions(good);
    expect(regions.filter((x) => x.fixup).length).toBeGreaterThan(20);
    // sanity: the unmutated image walks in full
    {
      const fs = openNtfs(mod, new MemSyncDevice(good, good.length), { readOnly: true });
      expect(resolve(fs, 'dir/sub/deep.txt')).toBeGreaterThan(0);
      const { stats } = walkGood(fs, { maxSteps: MAX_STEPS, readCap: READ_CAP, chunk: CHUNK });
      expect(stats.opErrors).toBe(0);
      expect(stats.links).toBe(2);
      expect(stats.entries).toBeGreaterThan(45);
    }

    const res = await runFsFuzz({
      name: 'ntfs', seed: SEED, iterations: ITERS, good,
      mutate: mutations(regions),
      // an abort/trap: the module refuses further calls; counted, and a fresh one loaded
      ...glueModuleOpener(mod, loadNtfsModule, (m, dev) => openNtfs(m, dev, { readOnly: true })),
      limits: { maxSteps: MAX_STEPS, readCap: READ_CAP, chunk: CHUNK },
    });
    expect(res.slowestMs).toBeLessThan(FUZZ_HANG_MS);
    // the mutations must reach past the boot sector checks
    expect(res.stats.opened).toBeGreaterThan(ITERS / 5);
  }, fuzzTimeout(ITERS, 100));
});
