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
import { fuzzIterations, fuzzTimeout, glueModuleOpener, newWalkStats, runFsFuzz, walkFs, MemSyncDevice, FUZZ_HANG_MS } from '../../../../helpers/fuzz-walk.js';
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

interface Region {
  offset: number;
  size: number;
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

function mutate(buf: Uint8Array, regions: Region[], r: () => number): { len: number; desc: string } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const pick = (n: number) => Math.floor(r() * n);
  let len = buf.length;
  const ops: string[] = [];
  const n = 1 + pick(4);
  for (let i = 0; i < n; i++) {
    // the boot sector gets a share of its own; the rest are records
    const reg = r() < 0.15 ? regions[0]! : regions[pick(regions.length)]!;
    const repair = reg.fixup && r() < 0.85;
    if (repair) unfixup(buf, reg);
    const kind = pick(7);
    // header/attribute-header-heavy offsets: the first 0x100 bytes most often
    const at = reg.offset + (r() < 0.6 ? pick(Math.min(reg.size, 0x100)) : pick(reg.size));
    ops.push(`${kind}@${reg.offset}+${at - reg.offset}${repair ? 'f' : ''}`);
    if (kind === 0) buf[at] ^= 1 << pick(8);
    else if (kind === 1) buf[at] = [0x00, 0xff, pick(256)][pick(3)]!;
    else if (kind === 2 || kind === 3) {
      const a = Math.min(at & ~1, reg.offset + reg.size - 4);
      dv.setUint32(a, EXTREME32[pick(EXTREME32.length)]!, true);
    } else if (kind === 4) {
      const a = Math.min(at & ~1, reg.offset + reg.size - 2);
      dv.setUint16(a, [0, 1, 0xffff, 0x7fff, 8, pick(0x400)][pick(6)]!, true);
    } else if (kind === 5) {
      // a range of junk
      const end = Math.min(reg.offset + reg.size, at + 1 + pick(64));
      const v = pick(3);
      for (let j = at; j < end; j++) buf[j] = v === 0 ? 0 : v === 1 ? 0xff : pick(256);
    } else if (r() < 0.5) {
      len = pick(buf.length);
    } else {
      len = Math.min(buf.length, reg.offset + pick(reg.size + 4096));
    }
    if (repair) fixup(buf, reg);
  }
  return { len, desc: ops.join(',') };
}

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
      const s = newWalkStats();
      walkFs(fs, s, new Map(), { maxSteps: MAX_STEPS, readCap: READ_CAP, chunk: CHUNK });
      expect(s.opErrors).toBe(0);
      expect(s.links).toBe(2);
      expect(s.entries).toBeGreaterThan(45);
      expect(resolve(fs, 'dir/sub/deep.txt')).toBeGreaterThan(0);
      fs.close();
    }

    const res = await runFsFuzz({
      name: 'ntfs', seed: SEED, iterations: ITERS, good,
      mutate: (buf, r) => mutate(buf, regions, r),
      // an abort/trap: the module refuses further calls; counted, and a fresh one loaded
      ...glueModuleOpener(mod, loadNtfsModule, (m, dev) => openNtfs(m, dev, { readOnly: true })),
      limits: { maxSteps: MAX_STEPS, readCap: READ_CAP, chunk: CHUNK },
    });
    expect(res.slowestMs).toBeLessThan(FUZZ_HANG_MS);
    // the mutations must reach past the boot sector checks
    expect(res.stats.opened).toBeGreaterThan(ITERS / 5);
  }, fuzzTimeout(ITERS, 100));
});
