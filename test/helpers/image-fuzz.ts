/**
 * The mutation loop the image-format fuzz tests share (qcow2, vmdk): each round
 * flips or sets a few bytes inside a seed's metadata regions (sometimes cutting
 * the file short), opens the result with the reader under test, reads a bounded
 * span and its map, and requires every failure to be a one-line GuestkitError.
 */
import fs from 'node:fs';
import { expect } from 'vitest';
import type { BlockDevice } from '../../src/block/block-device.js';
import { GuestkitError } from '../../src/errors/index.js';
import { seededRandom } from './fuzz-walk.js';

export interface FuzzSeed {
  bytes: Buffer;
  /** [offset, length] ranges worth mutating (headers, tables, descriptors). */
  regions: Array<[number, number]>;
  /** Where the mutated image is written (beside whatever files it names). */
  target: string;
}

export interface FuzzOutcome {
  opened: number;
  /** Error codes of the refusals, counted. */
  codes: Map<string, number>;
}

const INTERESTING = [0, 1, 0xff, 0x7f, 0x80, 0x40, 0x3f];

export async function fuzzImages(opts: { rounds: number; seeds: FuzzSeed[]; randomSeed: number; open: (file: string) => Promise<BlockDevice>; interesting?: number[];
  /** Run after each round's read (e.g. the write path on the same mutated image); `pick(n)` draws from the round's random stream. */
  afterRound?: (target: string, round: number, pick: (n: number) => number) => Promise<void> }): Promise<FuzzOutcome> {
  const random = seededRandom(opts.randomSeed);
  const pick = (n: number) => Math.floor(random() * n);
  const interesting = opts.interesting ?? INTERESTING;
  const codes = new Map<string, number>();
  let opened = 0;
  for (let round = 0; round < opts.rounds; round++) {
    const seed = opts.seeds[round % opts.seeds.length]!;
    const m = Buffer.from(seed.bytes);
    for (let k = 1 + pick(4); k > 0; k--) {
      const [start, len] = seed.regions[pick(seed.regions.length)]!;
      const at = Math.min(m.length - 1, start + pick(len));
      if (random() < 0.5) m[at] = interesting[pick(interesting.length)]!;
      else m[at]! ^= 1 << pick(8);
    }
    fs.writeFileSync(seed.target, random() < 0.05 ? m.subarray(0, pick(m.length)) : m);
    try {
      const dev = await opts.open(seed.target);
      opened++;
      try {
        // Bounded work whatever the (possibly lying) virtual size says.
        const span = Math.min(dev.size, 1024 * 1024);
        for (let at = 0; at < span; at += 65536) await dev.read(at, Math.min(65536, span - at));
        await dev.extents(0, Math.min(dev.size, 64 * 1024 * 1024));
      } finally {
        await dev.close();
      }
    } catch (e) {
      if (!(e instanceof GuestkitError)) throw new Error(`round ${round}: untyped error: ${(e as Error)?.stack ?? e}`);
      expect((e as Error).message).not.toContain('\n');
      codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
    }
    await opts.afterRound?.(seed.target, round, pick);
  }
  return { opened, codes };
}
