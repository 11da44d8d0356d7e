/**
 * Shared pieces of the fuzz tests: a seeded PRNG (so a failure reproduces from its
 * seed) and a bounded walk of a possibly corrupt filesystem in which every driver
 * call may fail only with a typed error.
 */
import { expect } from 'vitest';
import { GuestkitError } from '../../src/errors/index.js';
import { DT_DIR, DT_LNK, DT_REG, FsError, type FsDriver, type SyncDevice } from '../../src/fs/fs-driver.js';

import { seededRandom } from '../../src/util/seeded-random.js';

export { seededRandom };

/**
 * How many mutated inputs a fuzz test runs: its own variable (e.g. NTFS_FUZZ_ITERS),
 * else FUZZ_ITERS (`npm run fuzz` sets 10,000 for every parser), else the CI slice.
 */
export function fuzzIterations(ownVariable: string, ciSlice: number): number {
  const v = process.env[ownVariable] ?? process.env.FUZZ_ITERS;
  const n = Number(v);
  return v !== undefined && Number.isSafeInteger(n) && n > 0 ? n : ciSlice;
}

/**
 * The longest one fuzz input (an open and its bounded walk) may take before it
 * counts as a hang. Generous: a loaded machine stalls single inputs for
 * seconds; an unbounded loop never ends.
 */
export const FUZZ_HANG_MS = 20_000;

/**
 * Lets the test worker's event loop run when a second has passed since it last
 * did: a fuzz loop whose awaits all resolve at once would otherwise hold the
 * worker for minutes, and vitest's own messages to it time out ("Timeout
 * calling onTaskUpdate") although every input passed.
 */
export function makeBreather(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < 1000) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    last = performance.now();
  };
}

/** A test timeout that grows with the iterations (ms per iteration, at least the floor). */
export const fuzzTimeout = (iterations: number, msEach: number, floor = 120_000): number => Math.max(floor, iterations * msEach);

/** A read-only SyncDevice over (a prefix of) a buffer: a mutated image, maybe truncated. */
export class MemSyncDevice implements SyncDevice {
  readonly readOnly = true;
  constructor(private readonly data: Uint8Array, readonly size: number) {}
  read(offset: number, into: Uint8Array): void {
    if (offset < 0 || offset + into.length > this.size) throw new Error(`read beyond the end (offset ${offset})`);
    into.set(this.data.subarray(offset, offset + into.length));
  }
  write(): void {
    throw new Error('read-only');
  }
  flush(): void {}
}

export function isTypedError(e: unknown): boolean {
  return e instanceof FsError || e instanceof GuestkitError;
}

export interface WalkStats {
  opened: number;
  entries: number;
  reads: number;
  links: number;
  opErrors: number;
}

export const newWalkStats = (): WalkStats => ({ opened: 0, entries: 0, reads: 0, links: 0, opErrors: 0 });

/** Runs one driver call: typed errors are counted by code, anything else propagates. */
export function attempt<T>(stats: WalkStats, codes: Map<string, number>, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    countTypedError(e, codes);
    stats.opErrors++;
    return undefined;
  }
}

/** Counts a typed error by its code; anything else propagates. */
export function countTypedError(e: unknown, codes: Map<string, number>): void {
  if (!isTypedError(e)) throw e;
  const code = e instanceof FsError ? e.errno : (e as GuestkitError).code;
  codes.set(code, (codes.get(code) ?? 0) + 1);
}

const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000;

export interface WalkLimits {
  maxSteps: number;
  readCap: number;
  chunk: number;
}

/** Breadth-first over directories, stat and look up every entry, read links and the start of files. */
export function walkFs(fs: FsDriver, stats: WalkStats, codes: Map<string, number>, limits: WalkLimits): void {
  const { maxSteps, readCap, chunk } = limits;
  const seen = new Set<number>();
  const queue = [fs.rootIno];
  let steps = 0;
  attempt(stats, codes, () => fs.statfs());
  attempt(stats, codes, () => fs.getattr(fs.rootIno));
  while (queue.length > 0 && steps < maxSteps) {
    const dir = queue.shift()!;
    if (seen.has(dir)) continue;
    seen.add(dir);
    const entries = attempt(stats, codes, () => fs.readdir(dir)) ?? [];
    for (const e of entries) {
      if (++steps > maxSteps) break;
      stats.entries++;
      expect(typeof e.name).toBe('string');
      const a = attempt(stats, codes, () => fs.getattr(e.ino));
      attempt(stats, codes, () => fs.lookup(dir, e.name));
      const fmt = a ? a.mode & S_IFMT : 0;
      if (e.type === DT_DIR || fmt === S_IFDIR) {
        queue.push(e.ino);
      } else if (e.type === DT_LNK || fmt === S_IFLNK) {
        if (attempt(stats, codes, () => fs.readlink(e.ino)) !== undefined) stats.links++;
      } else if (e.type === DT_REG || fmt === S_IFREG) {
        const size = Math.min(a?.size ?? readCap, readCap);
        for (let off = 0; off < size; off += chunk) {
          const got = attempt(stats, codes, () => fs.read(e.ino, off, chunk));
          if (!got) break;
          expect(got.length).toBeLessThanOrEqual(chunk);
          stats.reads++;
          if (got.length < chunk) break;
        }
      }
    }
  }
}

/** One bounded walk of a filesystem that should be sound (a fuzz test's good image): what it met, then the filesystem is closed. */
export function walkGood(fs: FsDriver, limits: WalkLimits): { stats: WalkStats; codes: Map<string, number> } {
  const stats = newWalkStats();
  const codes = new Map<string, number>();
  try {
    walkFs(fs, stats, codes, limits);
  } finally {
    fs.close();
  }
  return { stats, codes };
}

/**
 * Opens one (mutated) image, walks it and closes it. A refused open (a typed
 * error, counted in `openCodes`) returns false; typed errors of the walk and
 * the close are counted in `codes`; anything untyped propagates.
 */
async function openAndWalk(
  open: () => FsDriver | Promise<FsDriver>,
  stats: WalkStats,
  codes: Map<string, number>,
  openCodes: Map<string, number>,
  limits: WalkLimits,
): Promise<boolean> {
  let fs: FsDriver;
  try {
    fs = await open();
  } catch (e) {
    countTypedError(e, openCodes);
    return false;
  }
  stats.opened++;
  walkFs(fs, stats, codes, limits);
  attempt(stats, codes, () => fs.close());
  return true;
}

/** One filesystem fuzz run: what varies between the drivers. */
export interface FsFuzzSpec {
  /** Printed at the start of the summary line, e.g. "ntfs". */
  name: string;
  seed: number;
  iterations: number;
  /** The good image; each iteration mutates a copy of it. */
  good: Uint8Array;
  /** Mutates `buf` in place; returns the length to expose (a truncation) and a description. */
  mutate: (buf: Uint8Array, r: () => number) => { len: number; desc: string };
  /** Opens the (mutated) image read-only. */
  open: (device: SyncDevice) => FsDriver | Promise<FsDriver>;
  limits: WalkLimits;
  /**
   * For WASM drivers: true when an error came from an abort that killed the
   * module (counted; `restart` loads a fresh one). Absent: every error must be typed.
   */
  aborted?: (e: unknown) => boolean;
  restart?: () => Promise<void>;
}

/**
 * open/aborted/restart of an FsFuzzSpec for a driver over a WASM glue module
 * (ext2, NTFS): an abort kills the module; it is counted, and a fresh module
 * is loaded for the next image.
 */
export function glueModuleOpener<M extends { dead: boolean }>(
  first: M,
  load: () => Promise<M>,
  open: (mod: M, device: SyncDevice) => FsDriver,
): Pick<FsFuzzSpec, 'open' | 'aborted' | 'restart'> {
  let mod = first;
  return {
    open: (device) => open(mod, device),
    aborted: () => mod.dead,
    restart: async () => {
      mod = await load();
    },
  };
}

export interface FsFuzzResult {
  stats: WalkStats;
  openErrors: number;
  aborts: number;
  slowestMs: number;
}

/**
 * Runs `iterations` mutated images: each is opened and walked, and only typed
 * errors (or counted module aborts) may come out. Prints one summary line
 * ("NAME fuzz: ...", collected by `npm run fuzz`).
 */
export async function runFsFuzz(spec: FsFuzzSpec): Promise<FsFuzzResult> {
  const r = seededRandom(spec.seed);
  const buf = spec.good.slice();
  const stats = newWalkStats();
  const codes = new Map<string, number>();
  const openCodes = new Map<string, number>();
  let openErrors = 0, aborts = 0, slowest = 0;
  const abortSamples: string[] = [];
  const t0 = performance.now();
  for (let iter = 0; iter < spec.iterations; iter++) {
    buf.set(spec.good);
    const { len, desc } = spec.mutate(buf, r);
    const ti = performance.now();
    try {
      if (!(await openAndWalk(() => spec.open(new MemSyncDevice(buf, len)), stats, codes, openCodes, spec.limits))) openErrors++;
    } catch (e) {
      if (!spec.aborted?.(e)) {
        const where = `seed ${spec.seed} iteration ${iter} (ops ${desc}, length ${len})`;
        throw new Error(`${where}: untyped error ${String(e)}\n${e instanceof Error ? e.stack : ''}`, { cause: e });
      }
      aborts++;
      if (abortSamples.length < 5) abortSamples.push(`${iter}: ${e instanceof Error ? e.message : String(e)}`);
      await spec.restart?.();
    }
    slowest = Math.max(slowest, performance.now() - ti);
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `${spec.name} fuzz: seed ${spec.seed}, ${spec.iterations} iterations in ${secs.toFixed(2)} s (slowest ${slowest.toFixed(0)} ms); ` +
      `opened ${stats.opened}, open errors ${openErrors} ${JSON.stringify(Object.fromEntries(openCodes))}, ` +
      `walk: ${stats.entries} entries, ${stats.reads} reads, ${stats.links} links, ${stats.opErrors} typed errors ` +
      `${JSON.stringify(Object.fromEntries(codes))}; aborts ${aborts}${abortSamples.length ? ` ${JSON.stringify(abortSamples)}` : ''}`,
  );
  return { stats, openErrors, aborts, slowestMs: slowest };
}

export interface FuzzResult {
  stats: WalkStats;
  /** Typed errors of the walks, and of the opens, by code. */
  codes: Map<string, number>;
  openCodes: Map<string, number>;
  openErrors: number;
  slowestMs: number;
  seconds: number;
}

/**
 * `iters` rounds on `buf`: `mutate` changes it in place (saving what it overwrote in
 * `undo`, and saying which device length to expose), the volume is opened and
 * walked, the bytes are restored. An untyped error fails naming the round.
 */
export async function fuzzRounds(opts: {
  label: string;
  iters: number;
  buf: Uint8Array;
  mutate: (undo: [number, Uint8Array][]) => { len: number; desc: string };
  open: (dev: SyncDevice) => FsDriver;
  limits: WalkLimits;
}): Promise<FuzzResult> {
  const stats = newWalkStats();
  const codes = new Map<string, number>(), openCodes = new Map<string, number>();
  let openErrors = 0, slowestMs = 0;
  const t0 = performance.now();
  const breathe = makeBreather();
  for (let iter = 0; iter < opts.iters; iter++) {
    await breathe();
    const undo: [number, Uint8Array][] = [];
    const { len, desc } = opts.mutate(undo);
    const ti = performance.now();
    try {
      if (!(await openAndWalk(() => opts.open(new MemSyncDevice(opts.buf, len)), stats, codes, openCodes, opts.limits))) openErrors++;
    } catch (e) {
      throw new Error(`${opts.label} iteration ${iter} (ops ${desc}, length ${len}): untyped error ${String(e)}\n${(e as Error)?.stack}`, { cause: e });
    }
    slowestMs = Math.max(slowestMs, performance.now() - ti);
    for (let k = undo.length - 1; k >= 0; k--) opts.buf.set(undo[k]![1], undo[k]![0]);
  }
  return { stats, codes, openCodes, openErrors, slowestMs, seconds: (performance.now() - t0) / 1000 };
}

/** One line saying what a fuzz run did. */
export function fuzzSummary(label: string, iters: number, r: FuzzResult): string {
  const s = r.stats;
  return `${label}: ${iters} iterations in ${r.seconds.toFixed(2)} s (slowest ${r.slowestMs.toFixed(0)} ms); ` +
    `opened ${s.opened}, open errors ${r.openErrors} ${JSON.stringify(Object.fromEntries(r.openCodes))}, ` +
    `walk: ${s.entries} entries, ${s.reads} reads, ${s.links} links, ${s.opErrors} typed errors ${JSON.stringify(Object.fromEntries(r.codes))}`;
}
