/**
 * Mutated zstd frames through src/compress/zstd.ts: frames the zstd CLI made
 * (text, binary, several levels, with and without content size and checksum)
 * get bits flipped, bytes set, ranges cut, duplicated or truncated, and random
 * headers; every input must decode or give a ZstdError, never a trap, an untyped
 * error or a hang. npm run fuzz runs FUZZ_ITERS (10,000) of them.
 *
 * Seed: ZSTD_FUZZ_SEED (default below); iterations: ZSTD_FUZZ_ITERS.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ZstdError, zstdDecompressExactly, zstdDecompressFirstFrameInto } from '../../../../src/compress/zstd.js';
import { FUZZ_HANG_MS, fuzzIterations, fuzzTimeout, seededRandom } from '../../../helpers/fuzz-walk.js';
import { pattern } from '../../../helpers/host-tools.js';

const SEED = Number(process.env.ZSTD_FUZZ_SEED ?? 0x28b52ffd);
const ITERS = fuzzIterations('ZSTD_FUZZ_ITERS', 1500);

function zstdCli(data: Uint8Array, ...args: string[]): Uint8Array {
  return new Uint8Array(execFileSync('zstd', ['-q', '-c', ...args], { input: data, maxBuffer: 1 << 28 }));
}

describe('zstd decoder fuzz', () => {
  it(`${ITERS} mutated frames decode or give a ZstdError`, () => {
    const text = Buffer.from(Array.from({ length: 4000 }, (_, i) => `entry ${i}: ${(i * 40503) % 9973} ${i % 7 ? 'alpha' : 'omega'}\n`).join(''));
    const seeds = [
      zstdCli(text, '-1'),
      zstdCli(text, '-19', '--no-check'),
      zstdCli(text, '--no-content-size', '-3'),
      zstdCli(pattern(100_000, 11), '-6'),
      zstdCli(Buffer.concat([text.subarray(0, 5000), Buffer.alloc(20000), text.subarray(5000, 9000)]), '-12', '--long=20'),
    ];
    const r = seededRandom(SEED);
    const pick = (n: number) => Math.floor(r() * n);
    const codes = new Map<string, number>();
    let decoded = 0, slowest = 0;
    const t0 = performance.now();
    for (let i = 0; i < ITERS; i++) {
      const base = seeds[i % seeds.length]!;
      let buf = base.slice();
      const how = pick(6);
      if (how === 0) for (let k = 0, n = 1 + pick(4); k < n; k++) buf[pick(buf.length)] ^= 1 << pick(8);
      else if (how === 1) for (let k = 0, n = 1 + pick(8); k < n; k++) buf[pick(buf.length)] = pick(256);
      else if (how === 2) buf = buf.subarray(0, pick(buf.length));
      else if (how === 3) {
        // a header or block header byte: where the parser's bounds live
        const at = pick(Math.min(buf.length, 24));
        buf[at] = [0, 0xff, 0x80, 0x7f, pick(256)][pick(5)]!;
      } else if (how === 4) {
        const a = pick(buf.length), b = pick(buf.length);
        buf.copyWithin(Math.min(a, b), Math.max(a, b));
      } else buf = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, ...Array.from({ length: 4 + pick(60) }, () => pick(256))]);
      const cap = text.length + pick(2) * 50_000;
      const t = performance.now();
      try {
        // each entry point on its own: a throw from one must not hide another's
        if (i % 2 === 0) zstdDecompressFirstFrameInto(new Uint8Array(text.length), buf, cap);
        else zstdDecompressExactly(buf, r() < 0.5 ? text.length : cap);
        decoded++;
      } catch (e) {
        if (!(e instanceof ZstdError)) throw new Error(`iteration ${i} (mutation ${how}): untyped error ${String(e)}`, { cause: e });
        const key = e.message.replace(/\d+/g, 'N');
        codes.set(key, (codes.get(key) ?? 0) + 1);
      }
      const ms = performance.now() - t;
      slowest = Math.max(slowest, ms);
      expect(ms).toBeLessThan(FUZZ_HANG_MS);
    }
    const s = (performance.now() - t0) / 1000;
    console.log(`zstd fuzz: ${ITERS} iterations in ${s.toFixed(2)} s (slowest ${slowest.toFixed(0)} ms); decoded ${decoded}, typed errors ${JSON.stringify(Object.fromEntries(codes))}`);
    expect(codes.size).toBeGreaterThan(3);
    expect(decoded).toBeGreaterThan(0);
  }, fuzzTimeout(ITERS, 20));
});
