/**
 * Mutated partition tables (an MBR with an extended partition and two
 * logicals, and a GPT, both written by sfdisk): MBR/EBR entries, the GPT
 * header and entry array get bits flipped, bytes set to 0x00/0xFF/random,
 * extreme 32-bit values and truncations. readPartitionTable must finish
 * quickly and only ever raise typed errors (GuestkitError); its results must
 * stay sane (finite, non-negative, inside the disk) and every partition's
 * first sector must be readable or refused with a typed error.
 *
 * Seed: PART_FUZZ_SEED (default below); iterations: PART_FUZZ_ITERS.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzIterations, fuzzTimeout, seededRandom, FUZZ_HANG_MS } from '../../../helpers/fuzz-walk.js';
import { GuestkitError } from '../../../../src/errors/index.js';
import { hostToolEnv, makeTempDir } from '../../../helpers/host-tools.js';
import { MemoryDevice } from '../../../helpers/mem-device.js';
import { readPartitionTable, SECTOR } from '../../../../src/partition/partition-table.js';

const SEED = Number(process.env.PART_FUZZ_SEED ?? 0x9a27);
const ITERS = fuzzIterations('PART_FUZZ_ITERS', 3000);
const env = hostToolEnv();
const tmp = makeTempDir('gk-part-fuzz-');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


/** A sparse disk of `mib` MiB partitioned by sfdisk from `script`. */
function sfdiskImage(name: string, mib: number, script: string): Uint8Array {
  const img = join(tmp, name);
  writeFileSync(img, '');
  execFileSync('truncate', ['-s', `${mib}M`, img]);
  execFileSync('sfdisk', ['--no-reread', '--no-tell-kernel', '-q', img], { env, input: script, stdio: ['pipe', 'pipe', 'pipe'] });
  return new Uint8Array(readFileSync(img));
}

/** Sector numbers holding anything (the table structures sfdisk wrote). */
function metadataSectors(img: Uint8Array): number[] {
  const out: number[] = [];
  for (let s = 0; s * SECTOR < img.length; s++) {
    if (img.subarray(s * SECTOR, (s + 1) * SECTOR).some((b) => b !== 0)) out.push(s);
  }
  return out;
}

const EXTREME32 = [0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x10000, 0x800, 33, 34];
const TYPES = [0x00, 0x05, 0x0f, 0x85, 0xee, 0x83, 0x07, 0x0c];

function mutate(buf: Uint8Array, sectors: number[], gpt: boolean, r: () => number): { len: number; desc: string } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const pick = (n: number) => Math.floor(r() * n);
  const ops: string[] = [];
  let len = buf.length;
  const n = 1 + pick(5);
  for (let i = 0; i < n; i++) {
    const sector = sectors[pick(sectors.length)]!;
    const base = sector * SECTOR;
    const kind = pick(9);
    ops.push(`${kind}@${sector}`);
    if (kind === 0) {
      const at = base + pick(SECTOR);
      buf[at] ^= 1 << pick(8);
    } else if (kind === 1) {
      buf[base + pick(SECTOR)] = [0x00, 0xff, pick(256)][pick(3)]!;
    } else if (kind === 2) {
      dv.setUint32(base + (pick(SECTOR / 4) << 2), EXTREME32[pick(EXTREME32.length)]!, true);
    } else if (kind === 3 || kind === 4) {
      // an MBR/EBR entry field: status, type, LBA start, sector count
      const e = 446 + pick(4) * 16;
      const f = pick(4);
      if (f === 0) buf[base + e] = [0, 0x80, 0x7f, 0xff][pick(4)]!;
      else if (f === 1) buf[base + e + 4] = TYPES[pick(TYPES.length)]!;
      else dv.setUint32(base + e + (f === 2 ? 8 : 12), r() < 0.5 ? EXTREME32[pick(EXTREME32.length)]! : pick(len / SECTOR + 8), true);
    } else if (kind === 5 && gpt) {
      // a GPT header field (primary at LBA 1, or the backup)
      const hdr = r() < 0.8 ? SECTOR : (sectors[sectors.length - 1]! * SECTOR);
      const f = [8, 12, 24, 32, 40, 48, 72, 76, 80, 84][pick(10)]!;
      dv.setUint32(hdr + f, r() < 0.7 ? EXTREME32[pick(EXTREME32.length)]! : pick(0x10000), true);
    } else if (kind === 6 && gpt) {
      // a GPT entry's first/last LBA (64-bit: low or high half) or its name
      const ent = 2 * SECTOR + pick(8) * 128;
      const f = [32, 36, 40, 44, 56, 120][pick(6)]!;
      dv.setUint32(ent + f, EXTREME32[pick(EXTREME32.length)]!, true);
    } else if (kind === 7) {
      buf[base + 510] = r() < 0.5 ? 0x55 : pick(256);
      buf[base + 511] = r() < 0.5 ? 0xaa : pick(256);
      buf.fill(r() < 0.5 ? 0 : 0xff, base + pick(SECTOR), base + SECTOR - 2);
    } else {
      // truncation: anywhere, often just after a table structure
      len = r() < 0.5 ? pick(buf.length) : Math.min(buf.length, base + pick(2 * SECTOR));
    }
  }
  return { len, desc: ops.join(',') };
}

function isTyped(e: unknown): boolean {
  return e instanceof GuestkitError;
}

describe('partition table fuzz', () => {
  it(`survives ${ITERS} mutated MBR/EBR and GPT tables with only typed errors`, async () => {
    const mbr = sfdiskImage('mbr.img', 2, [
      'label: dos',
      'start=2048, size=512, type=83, bootable',
      'start=2560, size=1536, type=5',
      'start=2600, size=400, type=83',
      'start=3100, size=600, type=7',
      '',
    ].join('\n'));
    const gpt = sfdiskImage('gpt.img', 1, [
      'label: gpt',
      'start=64, size=256, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system"',
      'start=320, size=512, type=0FC63DAF-8483-4772-8E79-3D69E4C47DE4, name="root"',
      'start=832, size=128, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, name="swap"',
      '',
    ].join('\n'));
    const bases = [
      { name: 'mbr', img: mbr, sectors: metadataSectors(mbr), gpt: false },
      { name: 'gpt', img: gpt, sectors: metadataSectors(gpt), gpt: true },
    ];
    // sanity: the unmutated tables parse as written
    const pm = await readPartitionTable(new MemoryDevice(mbr.slice()));
    expect(pm?.type).toBe('msdos');
    expect(pm?.partitions.map((p) => p.number)).toEqual([1, 2, 5, 6]);
    const pg = await readPartitionTable(new MemoryDevice(gpt.slice()));
    expect(pg?.type).toBe('gpt');
    expect(pg?.partitions.map((p) => p.gptName)).toEqual(['EFI system', 'root', 'swap']);
    expect(bases[0]!.sectors.length).toBeGreaterThanOrEqual(3); // MBR + 2 EBRs
    expect(bases[1]!.sectors.length).toBeGreaterThanOrEqual(4); // PMBR, header, entries, backup

    const r = seededRandom(SEED);
    const work = bases.map((b) => b.img.slice());
    const stats = { typedErrors: 0, nullTables: 0, msdos: 0, gpt: 0, partitions: 0, reads: 0 };
    const codes = new Map<string, number>();
    let slowest = 0;
    const t0 = performance.now();
    for (let iter = 0; iter < ITERS; iter++) {
      const which = iter % 2;
      const b = bases[which]!;
      const buf = work[which]!;
      buf.set(b.img);
      const { len, desc } = mutate(buf, b.sectors, b.gpt, r);
      const dev = new MemoryDevice(buf.subarray(0, len), `fuzz-${b.name}`, true);
      const where = `seed ${SEED} iteration ${iter} (${b.name}, ops ${desc}, length ${len})`;
      const ti = performance.now();
      try {
        const t = await readPartitionTable(dev);
        if (!t) {
          stats.nullTables++;
        } else {
          stats[t.type]++;
          expect(t.partitions.length, where).toBeLessThanOrEqual(4 + 257 + 1024);
          for (const p of t.partitions) {
            stats.partitions++;
            expect(Number.isFinite(p.start) && p.start >= 0, `${where}: start ${p.start}`).toBe(true);
            expect(Number.isFinite(p.size) && p.size >= 0, `${where}: size ${p.size}`).toBe(true);
            if (p.start <= dev.size) expect(p.start + p.size, where).toBeLessThanOrEqual(dev.size);
            if (p.size > 0 && !p.extended) {
              try {
                await dev.read(p.start, Math.min(SECTOR, p.size));
                stats.reads++;
              } catch (e) {
                if (!isTyped(e)) throw e;
              }
            }
          }
        }
      } catch (e) {
        if (!isTyped(e)) throw new Error(`${where}: untyped error ${String(e)}`, { cause: e });
        stats.typedErrors++;
        const code = (e as GuestkitError).code;
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
      slowest = Math.max(slowest, performance.now() - ti);
    }
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `partition fuzz: seed ${SEED}, ${ITERS} iterations in ${secs.toFixed(2)} s (slowest ${slowest.toFixed(1)} ms); ` +
        `${JSON.stringify(stats)}; typed errors by code ${JSON.stringify(Object.fromEntries(codes))}`,
    );
    expect(slowest).toBeLessThan(FUZZ_HANG_MS);
    // the mutations must reach the parsers, not just break the signatures
    expect(stats.msdos).toBeGreaterThan(ITERS / 10);
    expect(stats.gpt).toBeGreaterThan(ITERS / 10);
  }, fuzzTimeout(ITERS, 20));
});
