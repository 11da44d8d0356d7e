/**
 * The fs worker's bulk listing operations: one request answers for a whole directory
 * (readdir with d_type letters, lstat of many names, readlink of many names), so a tree
 * walk costs one worker round trip per directory and per kind, not per file. Each
 * lists the directory once (readdirPlus: inode attributes without a lookup per name).
 */
import { FsError, DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, DT_UNKNOWN } from '../../fs/fs-driver.js';
import type { Vfs } from '../../fs/vfs.js';
import { StatRows } from './packed-listing.js';

export interface Dirent {
  ino: number;
  ftyp: string;
  name: string;
}

/** d_type → the letter libguestfs's readdir reports. */
const FTYP: Record<number, string> = {
  [DT_BLK]: 'b', [DT_CHR]: 'c', [DT_DIR]: 'd', [DT_FIFO]: 'f', [DT_LNK]: 'l', [DT_REG]: 'r', [DT_SOCK]: 's', [DT_UNKNOWN]: 'u',
};

const child = (dir: string, name: string) => (dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`);

export interface BulkOps {
  /** readdir(3) as the appliance returns it: '.' and '..' first, then the directory's own order. */
  direntList(dir: string): Dirent[];
  /** lstat of each name in DIR, packed (StatRows); a failed one has NaN for st_ino (the caller marks it as libguestfs does). */
  lstatList(dir: string, names: string[]): Uint8Array;
  /** readlink of each name in DIR; '' where it is not a symlink or fails. */
  readlinkList(dir: string, names: string[]): string[];
}

export function bulkOps(vfs: Vfs): BulkOps {
  /** Name → entry of one directory, listed once. */
  const entries = (dir: string) => new Map(vfs.readdirPlus(dir).map((e) => [e.name, e]));
  return {
    /** readdir(3) as the appliance returns it: '.' and '..' first, then the directory's own order. */
    direntList(dir: string): Dirent[] {
      const typed = vfs.readdirTyped(dir);
      const self = vfs.stat(dir, true);
      const parent = vfs.stat(child(dir, '..'), true);
      return [
        { ino: self.ino, ftyp: 'd', name: '.' },
        { ino: parent.ino, ftyp: 'd', name: '..' },
        ...typed.map((e) => ({ ino: e.ino, ftyp: FTYP[e.type] ?? '?', name: e.name })),
      ];
    },
    /** lstat of each name in DIR, packed (packed-listing.ts); a failed one has NaN for st_ino. */
    lstatList(dir: string, names: string[]): Uint8Array {
      const rows = new StatRows(names.length);
      const at = new Map<string, number>();
      names.forEach((n, i) => {
        if (!at.has(n)) at.set(n, i);
      });
      const done = new Uint8Array(names.length);
      vfs.visitEntries(dir, (name, attr, dev) => {
        const i = at.get(name);
        if (i === undefined) return;
        rows.set(i, attr, dev);
        done[i] = 1;
      }, false);
      names.forEach((n, i) => {
        if (done[i]) return;
        const first = at.get(n)!;
        if (first !== i && done[first]) return rows.copy(first, i);
        try {
          const st = vfs.stat(child(dir, n), false);
          rows.set(i, st, st.dev);
        } catch (err) {
          if (!(err instanceof FsError)) throw err;
          rows.fail(i);
        }
      });
      return rows.bytes();
    },
    /** readlink of each name in DIR; '' where it is not a symlink or fails. */
    readlinkList(dir: string, names: string[]): string[] {
      const byName = entries(dir);
      return names.map((n) => {
        const e = byName.get(n);
        if (e) return e.link ?? '';
        try {
          return vfs.readlink(child(dir, n));
        } catch (err) {
          if (err instanceof FsError) return '';
          throw err;
        }
      });
    },
  };
}
