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

export function guestReader(call: CallFn, warn: (m: string) => void = () => undefined): GuestReader {
  const quiet = async <T>(p: Promise<T>): Promise<T | null> => {
    try {
      return await p;
    } catch {
      return null;
    }
  };
  const statSize = async (path: string): Promise<number | null> => {
    const st = (await quiet(call('statns', [path]))) as Record<string, number> | null;
    return st ? Number(st.st_size) : null;
  };
  const reader: GuestReader = {
    call,
    warn,
    exists: async (p) => (await quiet(call('exists', [p]))) === true,
    isFile: async (p) => (await quiet(call('is-file', [p]))) === true,
    isDir: async (p) => (await quiet(call('is-dir', [p]))) === true,
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
    ls: async (d) => (await quiet(call('ls', [d]))) as string[] | null,
    readlink: async (p) => {
      if ((await quiet(call('is-symlink', [p]))) !== true) return null;
      return (await quiet(call('readlink', [p]))) as string | null;
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
