/**
 * Read access to the filesystem inspection currently has mounted at '/', built on
 * the command table so it serves either backend. Every reader method is defensive:
 * inspection degrades one fact to 'unknown' rather than failing (issue #5), so the
 * "maybe" helpers return null instead of throwing.
 */
import type { CallItem, CallResult } from '../api/types.js';

export type CallFn = (name: string, args: unknown[], optargs?: Record<string, unknown>) => Promise<unknown>;
/** Several calls at once (CallContext.callMany): batched where the backend can. */
export type CallManyFn = (calls: readonly CallItem[]) => Promise<CallResult[]>;

export interface GuestReader {
  /** True when the path exists (symlinks followed inside the guest). */
  exists(path: string): Promise<boolean>;
  isFile(path: string): Promise<boolean>;
  isDir(path: string): Promise<boolean>;
  /** The file's bytes, or null when missing/unreadable/larger than maxBytes (default 64 MiB). */
  readBytes(path: string, maxBytes?: number): Promise<Uint8Array | null>;
  /** The file as UTF-8 text, or null (same rules as readBytes). */
  readText(path: string, maxBytes?: number): Promise<string | null>;
  /** Directory entries (no . and ..), or null. */
  ls(dir: string): Promise<string[] | null>;
  /** Link target, or null when not a symlink. */
  readlink(path: string): Promise<string | null>;
  /**
   * Finds a path case-insensitively, component by component (Windows guests),
   * returning the path as stored on disk, or null when some component is missing.
   */
  caseInsensitive(path: string): Promise<string | null>;
  /** Records a degraded fact (shown under -v). */
  warn(message: string): void;
  /** The command table, for anything else. */
  call: CallFn;
  /**
   * Asks ahead, in batches, what `explore` will ask: explore runs against a
   * speculative reader (answers known so far, guesses for the rest, warnings
   * dropped) and every question it could not answer goes out in one batch;
   * again until a run asks nothing new (or a few rounds). The real run then
   * finds its answers remembered: the same answers, in a few requests instead
   * of one per question. Without a batching call it does nothing.
   */
  prefetch(explore: (r: GuestReader) => Promise<unknown>): Promise<void>;
}

/** Queries whose answers cannot change while inspection holds a filesystem read-only. */
const CACHED = new Set(['exists', 'is-file', 'is-dir', 'is-symlink', 'readlink', 'statns', 'ls', 'read-file']);

/** Files read ahead (see prefetch) only up to this size; larger ones are read when asked for. */
const PREFETCH_READ_MAX = 256 * 1024;

/** Rounds of speculation before the real run (each is one batch). */
const PREFETCH_ROUNDS = 8;

/** A speculative run reached something it cannot guess (a command outside the reader's queries). */
class SpeculationEnd extends Error {}

const keyOf = (name: string, args: unknown[]) => `${name}\0${args.join('\0')}`;

/**
 * A reader for one read-only mounted filesystem. Answers to metadata queries
 * (and file contents) are remembered for the reader's life: detectors ask the
 * same questions (is /etc a symlink?) many times, and on the appliance each
 * question is a round trip.
 *
 * prefetch speculates (see GuestReader.prefetch): a question about a path whose
 * directory has not been listed first lists the directory (one `ls` per
 * directory), and a name the listing lacks is answered "absent" without asking
 * (what the query itself would answer: resolving the same directory finds no
 * such entry). Only names that exist are asked about, in one batch per round.
 */
export function guestReader(call: CallFn, warn: (m: string) => void = () => undefined, callMany?: CallManyFn): GuestReader {
  const memo = new Map<string, Promise<unknown>>();
  const quiet = async <T>(p: Promise<T>): Promise<T | null> => {
    try {
      return await p;
    } catch {
      return null;
    }
  };
  const ask = (name: string, args: unknown[]): Promise<unknown> => {
    if (!CACHED.has(name)) return quiet(call(name, args));
    const key = keyOf(name, args);
    let answer = memo.get(key);
    if (!answer) {
      answer = quiet(call(name, args));
      memo.set(key, answer);
    }
    return answer;
  };
  const reader = readerOver(ask, call, warn, PREFETCH_READ_MAX_UNLIMITED);
  if (callMany) {
    reader.prefetch = async (explore) => {
      for (let round = 0; round < PREFETCH_ROUNDS; round++) {
        const misses = new Map<string, CallItem>();
        const known = new Map<string, unknown>();
        for (const [k, v] of memo) known.set(k, await v);
        const speculate = (name: string, args: unknown[]): Promise<unknown> => {
          const key = keyOf(name, args);
          if (known.has(key)) return Promise.resolve(known.get(key));
          // A name its directory's listing does not have: every question about it has the answer "absent".
          const at = splitPath(String(args[0]));
          if (at) {
            const listingKey = keyOf('ls', [at.dir]);
            if (!known.has(listingKey)) {
              misses.set(listingKey, { name: 'ls', args: [at.dir] });
              return Promise.resolve(GUESS[name]);
            }
            const listing = known.get(listingKey) as string[] | null;
            if (!listing?.includes(at.name)) {
              known.set(key, ABSENT[name]);
              memo.set(key, Promise.resolve(ABSENT[name]));
              return Promise.resolve(ABSENT[name]);
            }
          }
          misses.set(key, { name, args });
          // a symlink's target is asked right after: ask both at once
          if (name === 'is-symlink') misses.set(keyOf('readlink', args), { name: 'readlink', args });
          return Promise.resolve(GUESS[name]);
        };
        const spec = readerOver(speculate, () => Promise.reject(new SpeculationEnd()), () => undefined, PREFETCH_READ_MAX);
        try {
          await explore(spec);
        } catch {
          // a speculative answer led somewhere impossible, or to a command the reader does not ask ahead: stop here
        }
        if (misses.size === 0) return;
        const items = [...misses.entries()];
        const results = await callMany(items.map(([, c]) => c));
        items.forEach(([key], i) => {
          const r = results[i]!;
          memo.set(key, Promise.resolve(r.ok ? r.value : null));
        });
      }
    };
  }
  return reader;
}

/**
 * What a speculative run assumes for a question not asked yet: that paths exist
 * and are what is asked (so the run goes on to the questions that would follow),
 * and that they are not symlinks; a listing or a content is unknown (null).
 */
const GUESS: Record<string, unknown> = {
  exists: true, 'is-file': true, 'is-dir': true, 'is-symlink': false, readlink: null, statns: null, ls: null, 'read-file': null,
};

/**
 * The answers for a path its directory does not list (or whose directory cannot
 * be listed): what each query gives for a missing path (the reader turns errors into null).
 */
const ABSENT: Record<string, unknown> = {
  exists: false, 'is-file': false, 'is-dir': false, 'is-symlink': false, readlink: null, statns: null, ls: null, 'read-file': null,
};

/** A path's directory and last name; null for '/' and for paths with '.' or '..' (not answered from listings). */
function splitPath(path: string): { dir: string; name: string } | null {
  const parts = path.split('/').filter((c) => c !== '');
  if (!path.startsWith('/') || parts.length === 0 || parts.some((c) => c === '.' || c === '..')) return null;
  return { dir: `/${parts.slice(0, -1).join('/')}`, name: parts[parts.length - 1]! };
}

/** No size limit of its own: the caller's maxBytes decides. */
const PREFETCH_READ_MAX_UNLIMITED = Infinity;

/** The reader's methods over `ask` (memoized, or speculative). */
function readerOver(ask: (name: string, args: unknown[]) => Promise<unknown>, call: CallFn, warn: (m: string) => void, readAhead: number): GuestReader {
  const statSize = async (path: string): Promise<number | null> => {
    const st = (await ask('statns', [path])) as Record<string, number> | null;
    return st ? Number(st.st_size) : null;
  };
  const reader: GuestReader = {
    call,
    warn,
    exists: async (p) => (await ask('exists', [p])) === true,
    isFile: async (p) => (await ask('is-file', [p])) === true,
    isDir: async (p) => (await ask('is-dir', [p])) === true,
    async readBytes(p, maxBytes = 64 * 1024 * 1024) {
      if (!(await reader.isFile(p))) return null;
      const size = await statSize(p);
      if (size === null || size > maxBytes || size > readAhead) return null;
      return (await ask('read-file', [p])) as Uint8Array | null;
    },
    async readText(p, maxBytes) {
      const b = await reader.readBytes(p, maxBytes);
      return b ? new TextDecoder('utf-8').decode(b) : null;
    },
    ls: async (d) => (await ask('ls', [d])) as string[] | null,
    readlink: async (p) => {
      if ((await ask('is-symlink', [p])) !== true) return null;
      return (await ask('readlink', [p])) as string | null;
    },
    async caseInsensitive(path) {
      let cur = '';
      for (const part of path.split('/').filter(Boolean)) {
        const entries = await reader.ls(cur || '/');
        if (!entries) return null;
        const hit = entries.find((e) => e === part) ?? entries.find((e) => e.toLowerCase() === part.toLowerCase());
        if (hit === undefined) return null;
        cur = `${cur}/${hit}`;
      }
      return cur || '/';
    },
    prefetch: async () => undefined,
  };
  return reader;
}
