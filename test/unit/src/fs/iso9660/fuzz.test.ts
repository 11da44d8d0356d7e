/**
 * Mutated ISO 9660 volumes (fixtures/make-iso.sh's Rock Ridge + Joliet image, the
 * plain level 1 one and the zisofs one): the volume descriptors, the directory sectors of both
 * trees and their system use areas (SUSP/Rock Ridge entries, CE, CL, SL, NM, TF, ZF),
 * the first sector of each file (a zisofs header and block table)
 * get bits flipped, bytes set to 0x00/0xFF/random, extreme 32-bit values in the
 * extent/size fields, record and entry lengths changed, and truncations. Each
 * volume is opened and walked (readdir, getattr, lookup, read, readlink): only
 * FsError/GuestkitError may come out, and no iteration may take long (every
 * loop is bounded: CE chains, CL targets, record walks).
 *
 * Seed: ISO_FUZZ_SEED (default below); iterations: ISO_FUZZ_ITERS (per image).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fuzzIterations, fuzzRounds, fuzzSummary, fuzzTimeout, MemSyncDevice, newWalkStats, seededRandom, walkFs, FUZZ_HANG_MS } from '../../../../helpers/fuzz-walk.js';
import { fixture } from '../../../../helpers/fixtures.js';
import { openIso9660 } from '../../../../../src/fs/iso9660/iso-driver.js';

const SEED = Number(process.env.ISO_FUZZ_SEED ?? 0x1509);
const ITERS = fuzzIterations('ISO_FUZZ_ITERS', 1500);
const LIMITS = { maxSteps: 300, readCap: 64 * 1024, chunk: 16 * 1024 };
const SECTOR = 2048;

interface Region {
  kind: 'descriptor' | 'directory' | 'data';
  offset: number;
  size: number;
}

const u32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint32(o, true);

/** The descriptor sectors and every directory sector of the primary and Joliet trees. */
function metadataRegions(img: Uint8Array): Region[] {
  const out: Region[] = [];
  const seen = new Set<number>();
  const queue: { extent: number; length: number }[] = [];
  for (let s = 16; s < 32; s++) {
    const at = s * SECTOR;
    out.push({ kind: 'descriptor', offset: at, size: SECTOR });
    if (img[at] === 255) break;
    if (img[at] === 1 || img[at] === 2) queue.push({ extent: u32(img, at + 156 + 2), length: u32(img, at + 156 + 10) });
  }
  while (queue.length) {
    const d = queue.shift()!;
    if (seen.has(d.extent)) continue;
    seen.add(d.extent);
    for (let s = 0; s < d.length / SECTOR; s++) out.push({ kind: 'directory', offset: (d.extent + s) * SECTOR, size: SECTOR });
    for (let pos = d.extent * SECTOR; pos < d.extent * SECTOR + d.length;) {
      const len = img[pos]!;
      if (len === 0) {
        pos = (Math.floor(pos / SECTOR) + 1) * SECTOR;
        continue;
      }
      const isDot = img[pos + 32] === 1 && img[pos + 33]! <= 1;
      if (img[pos + 25]! & 2 && !isDot) queue.push({ extent: u32(img, pos + 2), length: u32(img, pos + 10) });
      // a file's first sector: where a zisofs file keeps its header and block table
      else if (!isDot && u32(img, pos + 10) > 0) out.push({ kind: 'data', offset: u32(img, pos + 2) * SECTOR, size: Math.min(SECTOR, u32(img, pos + 10)) });
      pos += len;
    }
  }
  return out;
}

/** Directory record starts in a directory sector, for mutations aimed at their fields. */
function recordStarts(img: Uint8Array, reg: Region): number[] {
  const out: number[] = [];
  for (let pos = reg.offset; pos < reg.offset + reg.size && img[pos]! > 0; pos += img[pos]!) out.push(pos);
  return out;
}

const EXTREME32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x10, 0x800, 0x100000];

function mutate(buf: Uint8Array, regions: Region[], r: () => number, undo: [number, Uint8Array][]): { len: number; desc: string } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const pick = (n: number) => Math.floor(r() * n);
  const save = (o: number, n: number) => undo.push([o, buf.slice(o, o + n)]);
  let len = buf.length;
  const ops: string[] = [];
  const dirs = regions.filter((x) => x.kind === 'directory'), descs = regions.filter((x) => x.kind === 'descriptor');
  const data = regions.filter((x) => x.kind === 'data');
  for (let i = 0, n = 1 + pick(3); i < n; i++) {
    const x = r();
    const reg = x < 0.15 ? descs[pick(descs.length)]! : x < 0.3 && data.length ? data[pick(data.length)]! : dirs[pick(dirs.length)]!;
    save(reg.offset, reg.size);
    const recs = reg.kind === 'directory' ? recordStarts(buf, reg) : [reg.offset + 156];
    const rec = recs.length ? recs[pick(recs.length)]! : reg.offset;
    const recLen = Math.max(34, buf[rec]!);
    const kind = pick(8);
    ops.push(`${kind}@${rec}`);
    const inRec = rec + pick(Math.min(recLen, reg.offset + reg.size - rec));
    if (kind === 0) buf[inRec] ^= 1 << pick(8);
    else if (kind === 1) buf[inRec] = [0x00, 0xff, pick(256)][pick(3)]!;
    else if (kind === 2) dv.setUint32(rec + [2, 10][pick(2)]!, EXTREME32[pick(EXTREME32.length)]!, true); // extent or size
    else if (kind === 3) buf[rec + [0, 32, 25][pick(3)]!] = [0, 1, 33, 34, 0xff, pick(256)][pick(6)]!; // record/name length, flags
    else if (kind === 4) {
      // a SUSP entry's length or a CE/CL field in the system use area
      const su = rec + 33 + buf[rec + 32]! + 1;
      const at = Math.min(su + pick(Math.max(1, recLen - 34)), reg.offset + reg.size - 4);
      if (r() < 0.5) buf[at] = [0, 1, 3, 4, 0xff, pick(256)][pick(6)]!;
      else dv.setUint32(at & ~3, EXTREME32[pick(EXTREME32.length)]!, true);
    } else if (kind === 5) {
      const end = Math.min(reg.offset + reg.size, inRec + 1 + pick(64));
      const v = pick(3);
      for (let j = inRec; j < end; j++) buf[j] = v === 0 ? 0 : v === 1 ? 0xff : pick(256);
    } else if (kind === 6) buf[reg.offset + pick(reg.size)] = pick(256);
    else len = r() < 0.5 ? pick(buf.length) : Math.min(buf.length, reg.offset + pick(reg.size + 4096));
  }
  return { len, desc: ops.join(',') };
}

describe('ISO 9660 fuzz', () => {
  for (const image of ['iso-rock.iso', 'iso-l1.iso', 'iso-zisofs.iso']) {
    it(`survives ${ITERS} mutated copies of ${image} opened and walked, with only typed errors`, async () => {
      const good = new Uint8Array(readFileSync(fixture(image)));
      const regions = metadataRegions(good);
      expect(regions.filter((x) => x.kind === 'directory').length).toBeGreaterThan(image === 'iso-rock.iso' ? 30 : 0);
      expect(regions.filter((x) => x.kind === 'data').length).toBeGreaterThan(2);
      {
        const fs = openIso9660(new MemSyncDevice(good, good.length), { readOnly: true });
        const s = newWalkStats();
        walkFs(fs, s, new Map(), { ...LIMITS, maxSteps: 5000 });
        expect(s.opErrors).toBe(0);
        // every file of the source tree (make-iso.sh keeps it), and the Rock Ridge image's rr_moved
        const tree = fixture(`iso-src/${image.replace(/^iso-|\.iso$/g, '')}`);
        expect(s.entries).toBe(readdirSync(tree, { recursive: true }).length + (image === 'iso-rock.iso' ? 1 : 0));
        fs.close();
      }
      const r = seededRandom(SEED + image.length);
      const buf = good.slice();
      const label = `iso9660 ${image} fuzz: seed ${SEED}`;
      const res = await fuzzRounds({ label, iters: ITERS, buf, mutate: (undo) => mutate(buf, regions, r, undo), open: (dev) => openIso9660(dev, { readOnly: true }), limits: LIMITS });
      console.log(fuzzSummary(label, ITERS, res));
      expect(res.slowestMs).toBeLessThan(FUZZ_HANG_MS);
      expect(res.stats.opened).toBeGreaterThan(ITERS / 2);
      expect(res.stats.opErrors).toBeGreaterThan(0);
    }, fuzzTimeout(ITERS, 60));
  }
});
