/**
 * Mutated labels, metadata area headers and metadata text (with checksums
 * fixed up so the mutations reach the parsers): the scan must finish quickly
 * and only ever raise typed errors.
 */
import { describe, expect, it } from 'vitest';
import { fuzzIterations, fuzzTimeout, seededRandom, FUZZ_HANG_MS } from '../../../helpers/fuzz-walk.js';

const ITERS = fuzzIterations('LVM_FUZZ_ITERS', 1000);
import { GuestkitError } from '../../../../src/errors/index.js';
import { lvmCrc } from '../../../../src/lvm/crc.js';
import { MemoryDevice } from '../../../helpers/mem-device.js';
import { writeLvm, writeMetadataArea } from '../../../../src/lvm/pv-writer.js';
import { lvmLvs, lvmLvsFull, lvmPvsFull, lvmVgsFull } from '../../../../src/lvm/report.js';
import { scanLvm } from '../../../../src/lvm/scan.js';

const MiB = 1024 * 1024;
const AREA = { offset: 4096, size: MiB - 4096 };


const TOKENS = ['{', '}', '[', ']', '"', "'", '=', ',', '#', '\\', '\n', '\0', ' ', '-1', '0', '99999999999999999999', '1e308', '9007199254740993', 'segment1', 'stripes', 'pv0', 'pv7', 'type = "thin"', 'stripe_count = 64', 'extent_size = 0', 'MISSING', 'VISIBLE'];

async function base(): Promise<{ a: Uint8Array; b: Uint8Array; text: string }> {
  const a = new MemoryDevice(2.5 * MiB, '/dev/sda');
  const b = new MemoryDevice(2.5 * MiB, '/dev/sdb');
  const w = await writeLvm({
    vgName: 'fz',
    extentSize: 256 * 1024,
    pvs: [{ dev: a }, { dev: b }],
    lvs: [
      { name: 'str', extents: 4, stripes: 2, stripeSize: 16 * 1024 },
      { name: 'lin', extents: 6 },
      { name: 'thin', rawSegments: [{ start_extent: 0, extent_count: 2, type: 'thin', thin_pool: 'p', device_id: 1 }] },
    ],
  });
  return { a: a.data, b: b.data, text: w.text };
}

function mutateText(text: string, r: () => number): string {
  let t = text;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * t.length);
    const kind = Math.floor(r() * 5);
    if (kind === 0) {
      t = t.slice(0, at) + t.slice(at + 1 + Math.floor(r() * 40)); // delete
    } else if (kind === 1) {
      t = t.slice(0, at) + TOKENS[Math.floor(r() * TOKENS.length)] + t.slice(at); // insert a token
    } else if (kind === 2) {
      const from = Math.floor(r() * t.length);
      t = t.slice(0, at) + t.slice(from, from + Math.floor(r() * 200)) + t.slice(at); // duplicate a range
    } else if (kind === 3) {
      // replace a number
      const nums = [...t.matchAll(/\d+/g)];
      const m = nums[Math.floor(r() * nums.length)];
      if (m) t = t.slice(0, m.index) + ['0', '1', '-5', '4294967297', '99999999999999999999', '128', '3'][Math.floor(r() * 7)] + t.slice(m.index! + m[0].length);
    } else {
      t = t.slice(0, at) + String.fromCharCode(Math.floor(r() * 256)) + t.slice(at + 1); // random char
    }
  }
  return t;
}

function flip(buf: Uint8Array, start: number, len: number, r: () => number): void {
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const at = start + Math.floor(r() * len);
    buf[at] = r() < 0.5 ? buf[at]! ^ (1 << Math.floor(r() * 8)) : Math.floor(r() * 256);
  }
}

function fixLabelCrc(buf: Uint8Array): void {
  new DataView(buf.buffer, buf.byteOffset).setUint32(512 + 16, lvmCrc(buf.subarray(512 + 20, 1024)), true);
}

function fixHeaderCrc(buf: Uint8Array): void {
  new DataView(buf.buffer, buf.byteOffset).setUint32(4096, lvmCrc(buf.subarray(4096 + 4, 4096 + 512)), true);
}

describe('LVM fuzz', () => {
  it(`survives ${ITERS} mutated labels, metadata area headers and metadata texts`, async () => {
    const { a: baseA, b: baseB, text } = await base();
    const r = seededRandom(0x5eed);
    let slowest = 0;
    const kinds = new Map<string, number>();
    let mapped = 0;
    // Mutations stay inside the first MiB (labels, metadata areas): restore just that.
    const a = new MemoryDevice(baseA.slice(), '/dev/sda');
    const b = new MemoryDevice(baseB.slice(), '/dev/sdb');
    for (let iter = 0; iter < ITERS; iter++) {
      const t0 = Date.now();
      a.data.set(baseA.subarray(0, MiB));
      b.data.set(baseB.subarray(0, MiB));
      const target = r() < 0.5 ? a : b;
      const kind = Math.floor(r() * 4);
      if (kind === 0) {
        flip(target.data, 512, 512, r);
        if (r() < 0.7) fixLabelCrc(target.data);
      } else if (kind === 1) {
        flip(target.data, 4096, 64, r);
        if (r() < 0.7) fixHeaderCrc(target.data);
      } else if (kind === 2) {
        // mutated text, valid checksum, sometimes wrapped
        const offset = r() < 0.3 ? AREA.size - Math.floor(r() * 2000) - 1 : 512;
        await writeMetadataArea(target, AREA, mutateText(text, r), { offset }).catch((e: unknown) => {
          if (!(e instanceof GuestkitError)) throw e;
        });
      } else {
        flip(target.data, 4096 + 512, text.length, r); // text damage (bad checksum)
      }
      let scan;
      try {
        scan = await scanLvm([
          { name: '/dev/sda', dev: a },
          { name: '/dev/sdb', dev: b },
        ]);
      } catch (e) {
        throw new Error(`iteration ${iter} (kind ${kind}): scanLvm threw ${String(e)}`, { cause: e });
      }
      for (const w of scan.warnings) {
        expect(w).not.toContain('\n');
        const k = w.replace(/\d+/g, 'N').slice(0, 60);
        kinds.set(k, (kinds.get(k) ?? 0) + 1);
      }
      lvmLvs(scan);
      lvmLvsFull(scan);
      lvmVgsFull(scan);
      lvmPvsFull(scan);
      for (const lv of scan.lvs) {
        if (!lv.dev) continue;
        mapped++;
        for (const off of [0, Math.max(0, lv.dev.size - 4096)]) {
          await lv.dev.read(off, Math.min(4096, lv.dev.size)).catch((e: unknown) => {
            if (!(e instanceof GuestkitError)) throw e;
          });
        }
      }
      // strict mode: only typed errors
      await scanLvm([{ name: '/dev/sda', dev: a }], { strict: true }).catch((e: unknown) => {
        if (!(e instanceof GuestkitError)) throw new Error(`iteration ${iter}: untyped error ${String(e)}`, { cause: e });
      });
      slowest = Math.max(slowest, Date.now() - t0);
    }
    console.log(`lvm fuzz: ${ITERS} iterations, ${mapped} LVs mapped, ${kinds.size} kinds of warning, slowest ${slowest} ms`);
    // No hang: every iteration (two scans and a few reads) ends well within this budget.
    expect(slowest).toBeLessThan(FUZZ_HANG_MS);
    expect(mapped).toBeGreaterThan(100);
    expect(kinds.size).toBeGreaterThan(10);
  }, fuzzTimeout(ITERS, 40));
});
