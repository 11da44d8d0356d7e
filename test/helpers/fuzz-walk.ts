/**
 * Shared pieces of the fuzz tests: a seeded PRNG (so a failure reproduces from its
 * seed) and a bounded walk of a possibly corrupt filesystem in which every driver
 * call may fail only with a typed error.
 */
import { expect } from 'vitest';
import { GuestkitError } from '../../src/errors/index.js';
import { DT_DIR, DT_LNK, DT_REG, FsError, type FsDriver, type SyncDevice } from '../../src/fs/fs-driver.js';

export { seededRandom } from '../../src/util/seeded-random.js';

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

export interface FuzzRun {
  stats: WalkStats;
  openErrors: number;
  slowest: number;
}

/**
 * Runs `iters` rounds over `buf`: mutate (recording undo entries), open the mutated
 * image read-only, walk it, undo. Anything but a typed error fails with the round's
 * seed, number and mutations; the summary line names `label`.
 */
export function fuzzRounds(o: {
  label: string;
  seed: number;
  iters: number;
  buf: Uint8Array;
  limits: WalkLimits;
  mutate: (undo: [number, Uint8Array][]) => { len: number; desc: string };
  open: (dev: SyncDevice) => FsDriver;
}): FuzzRun {
  const stats = newWalkStats();
  const codes = new Map<string, number>(), openCodes = new Map<string, number>();
  let openErrors = 0, slowest = 0;
  const t0 = performance.now();
  for (let iter = 0; iter < o.iters; iter++) {
    const undo: [number, Uint8Array][] = [];
    const { len, desc } = o.mutate(undo);
    const ti = performance.now();
    let fs: FsDriver | undefined;
    try {
      try {
        fs = o.open(new MemSyncDevice(o.buf, len));
      } catch (e) {
        countTypedError(e, openCodes);
        openErrors++;
      }
      if (fs) {
        stats.opened++;
        walkFs(fs, stats, codes, o.limits);
        fs.close();
      }
    } catch (e) {
      throw new Error(`seed ${o.seed} ${o.label} iteration ${iter} (ops ${desc}, length ${len}): untyped error ${String(e)}\n${(e as Error)?.stack}`, { cause: e });
    }
    slowest = Math.max(slowest, performance.now() - ti);
    for (let k = undo.length - 1; k >= 0; k--) o.buf.set(undo[k]![1], undo[k]![0]);
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `${o.label} fuzz: seed ${o.seed}, ${o.iters} iterations in ${secs.toFixed(2)} s (slowest ${slowest.toFixed(0)} ms); ` +
      `opened ${stats.opened}, open errors ${openErrors} ${JSON.stringify(Object.fromEntries(openCodes))}, ` +
      `walk: ${stats.entries} entries, ${stats.reads} reads, ${stats.links} links, ${stats.opErrors} typed errors ${JSON.stringify(Object.fromEntries(codes))}`,
  );
  return { stats, openErrors, slowest };
}
