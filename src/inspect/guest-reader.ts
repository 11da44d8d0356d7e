/**
 * Read access to the filesystem inspection currently has mounted at '/', built on
 * the command table so it serves either backend. Every reader method is defensive:
 * inspection degrades one fact to 'unknown' rather than failing (issue #5), so the
 * "maybe" helpers return null instead of throwing.
 */
export type CallFn = (name: string, args: unknown[], optargs?: Record<string, unknown>) => Promise<unknown>;

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
}

/** Queries whose answers cannot change while inspection holds a filesystem read-only. */
const CACHED = new Set(['exists', 'is-file', 'is-dir', 'is-symlink', 'readlink', 'statns', 'ls']);

/**
 * A reader for one read-only mounted filesystem. Answers to metadata queries are
 * remembered for the reader's life: detectors ask the same questions (is /etc a
 * symlink?) many times, and on the appliance each question is a round trip.
 */
export function guestReader(call: CallFn, warn: (m: string) => void = () => undefined): GuestReader {
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
    const key = `${name}\0${args.join('\0')}`;
    let answer = memo.get(key);
    if (!answer) {
      answer = quiet(call(name, args));
      memo.set(key, answer);
    }
    return answer;
  };
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
      if (size === null || size > maxBytes) return null;
      return (await quiet(call('read-file', [p]))) as Uint8Array | null;
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
  };
  return reader;
}
