/**
 * 1,000 mutated hives (bytes flipped, offsets and sizes replaced by hostile
 * values, truncations; header checksums fixed up so the mutations reach the
 * parser) opened, walked in full and edited: only typed errors, no hang.
 */
import { describe, expect, it } from 'vitest';
import { fuzzIterations, fuzzTimeout, seededRandom, FUZZ_HANG_MS } from '../../../helpers/fuzz-walk.js';

const ITERS = fuzzIterations('HIVE_FUZZ_ITERS', 1000);
import { GuestkitError } from '../../../../src/errors/index.js';
import { encodeValueData, Hive, headerChecksum, REG_BINARY, REG_DWORD, REG_SZ, windowsChecksum } from '../../../../src/hive/index.js';
import { buildHive } from '../../../../fixtures/hive/index.js';


function base(): Uint8Array {
  const keys: Record<string, Record<string, unknown>> = {
    'Software\\Microsoft\\Windows NT\\CurrentVersion': { ProductName: 'Windows 10 Pro', CurrentMajorVersionNumber: 10, Multi: ['a', 'b'], Q: 5n },
    'Unicode\\Ключ': { 'Значение': 'текст', '@': 'default' },
    Big: { data: new Uint8Array(40000).fill(3), small: new Uint8Array([1, 2, 3]) },
  };
  for (let i = 0; i < 520; i++) keys[`Many\\K${i}`] = i % 50 === 0 ? { v: i } : {};
  return buildHive({ timestamp: new Date('2024-01-01T00:00:00Z'), keys: keys as never });
}

function fixChecksum(b: Uint8Array): void {
  if (b.length >= 0x200) new DataView(b.buffer, b.byteOffset).setUint32(0x1fc, windowsChecksum(headerChecksum(b)), true);
}

function mutate(good: Uint8Array, r: () => number): Uint8Array {
  let b = good.slice();
  const dv = new DataView(b.buffer);
  const n = 1 + Math.floor(r() * 6);
  const pick = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo));
  const hostile = () => [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0xfffffff8, pick(0, b.length), pick(0, b.length) & ~7, 0x20, 8, -8 >>> 0][pick(0, 11)]!;
  for (let i = 0; i < n; i++) {
    const kind = pick(0, 7);
    if (kind === 0) b[pick(0, b.length)] ^= 1 << pick(0, 8);
    else if (kind === 1) b[pick(0, b.length)] = pick(0, 256);
    else if (kind === 2 || kind === 3) dv.setUint32(pick(0x1000, b.length - 4) & ~3, hostile(), true);
    else if (kind === 4) dv.setUint16(pick(0x1000, b.length - 2) & ~1, [0, 1, 0xffff, 0x7fff, pick(0, 600)][pick(0, 5)]!, true);
    else if (kind === 5) dv.setUint32([4, 8, 0x14, 0x18, 0x1c, 0x24, 0x28][pick(0, 7)]!, hostile(), true);
    else if (r() < 0.3) b = b.slice(0, pick(0, b.length));
  }
  fixChecksum(b);
  return b;
}

function walkAll(h: Hive): number {
  let steps = 0;
  h.walk((node) => {
    h.nodeName(node);
    h.nodeTimestamp(node);
    h.nodeClassName(node);
    if (node !== h.root()) h.nodeParent(node);
    for (const v of h.nodeValues(node)) {
      if (++steps > 100000) throw new Error('too many steps');
      h.valueKey(v);
      const { type } = h.valueValue(v);
      if (type === 1 || type === 2) h.valueString(v);
      if (type === 7) h.valueMultipleStrings(v);
      if (type === 4 && h.valueDataLength(v) === 4) h.valueDword(v);
    }
  });
  return steps;
}

describe('fuzz', () => {
  it(`${ITERS} mutated hives: opened, walked and edited with only typed errors`, () => {
    const good = base();
    walkAll(Hive.open(good));
    const r = seededRandom(Number(process.env.HIVE_FUZZ_SEED ?? 20240601));
    const started = performance.now();
    let slowest = 0;
    const outcomes = { opened: 0, walked: 0, edited: 0, typedErrors: 0 };
    const codes = new Map<string, number>();
    for (let i = 0; i < ITERS; i++) {
      const t0 = performance.now();
      const b = mutate(good, r);
      const phase = { now: 'open' };
      try {
        const h = Hive.open(b, { write: i % 3 === 0 });
        outcomes.opened++;
        phase.now = 'walk';
        walkAll(h);
        outcomes.walked++;
        if (h.writable) {
          phase.now = 'edit';
          const k = h.nodeAddChild(h.root(), `fuzz${i}`);
          h.nodeSetValue(k, { key: 'v', type: REG_SZ, value: encodeValueData(REG_SZ, 'x') });
          const many = h.nodeGetChild(h.root(), 'Many');
          if (many !== undefined) {
            h.nodeAddChild(many, 'K0000a');
            const kids = h.nodeChildren(many);
            if (kids.length) h.nodeDeleteChild(kids[Math.floor(r() * kids.length)]!);
          }
          const big = h.nodeAt('Big');
          if (big !== undefined) {
            h.nodeSetValue(big, { key: 'data', type: REG_BINARY, value: new Uint8Array(20000) });
            h.nodeSetValue(big, { key: 'small', type: REG_DWORD, value: encodeValueData(REG_DWORD, 1) });
          }
          const sw = h.nodeAt('Software');
          if (sw !== undefined) h.nodeDeleteChild(sw);
          const out = h.commit();
          walkAll(Hive.open(out));
          outcomes.edited++;
        }
      } catch (e) {
        if (!(e instanceof GuestkitError)) {
          throw new Error(`mutation ${i} (${phase.now}): untyped ${e instanceof Error ? e.stack : String(e)}`);
        }
        expect(e.message).not.toContain('\n');
        outcomes.typedErrors++;
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    const ms = performance.now() - started;
    console.log(`hive fuzz: ${ITERS} iterations: ${JSON.stringify(outcomes)} codes ${JSON.stringify(Object.fromEntries(codes))} in ${ms.toFixed(0)} ms (slowest ${slowest.toFixed(0)} ms)`);
    // No hang: every iteration (open, walk, edit, commit, reopen) ends well within this budget.
    expect(slowest).toBeLessThan(FUZZ_HANG_MS);
  }, fuzzTimeout(ITERS, 60));
});
