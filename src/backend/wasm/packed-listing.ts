/**
 * ls -la's listing of a directory, packed in the fs worker for the trip to the
 * main thread: the numbers every line needs in one Float64Array (a column per
 * field) and the names and symlink targets each in one string, instead of an
 * object per entry with a nested attribute object (for 10,000 entries the
 * structured clone of those objects, both ways, cost more than listing them).
 */
import type { Attr } from '../../fs/fs-driver.js';
import { isLnk, type Vfs } from '../../fs/vfs.js';
import type { LsColumns } from '../../util/ls-la.js';

/** The numeric columns, in their order in PackedListing.nums. */
const FIELDS = ['mode', 'nlink', 'uid', 'gid', 'size', 'blocks', 'rdev', 'mtime'] as const;

export interface PackedListing {
  count: number;
  /** FIELDS.length columns of `count` numbers each. */
  nums: Float64Array;
  /** The names, separated by NUL (which no name contains). */
  names: string;
  /** The targets of the symlinks among them, in order, separated by NUL. */
  links: string;
}

export interface ListingOps {
  /** The entries of `ls -la DIR`: '.', '..' and the directory's own, with their lstat and symlink targets. */
  lsLong(dir: string): PackedListing;
}

class ListingPacker {
  private readonly cols: number[][] = FIELDS.map(() => []);
  private readonly names: string[] = [];
  private readonly links: string[] = [];

  add(name: string, a: Attr, link: string | undefined): void {
    const c = this.cols;
    c[0]!.push(a.mode);
    c[1]!.push(a.nlink);
    c[2]!.push(a.uid);
    c[3]!.push(a.gid);
    c[4]!.push(a.size);
    c[5]!.push(a.blocks);
    c[6]!.push(a.rdev);
    c[7]!.push(a.mtime.sec);
    this.names.push(name);
    if (isLnk(a.mode)) this.links.push(link ?? '');
  }

  finish(): PackedListing {
    const count = this.names.length;
    const nums = new Float64Array(FIELDS.length * count);
    this.cols.forEach((col, f) => nums.set(col, f * count));
    return { count, nums, names: this.names.join('\0'), links: this.links.join('\0') };
  }
}

export function listingOps(vfs: Vfs): ListingOps {
  return {
    lsLong(dir: string): PackedListing {
      const p = new ListingPacker();
      p.add('.', vfs.stat(dir), undefined);
      p.add('..', vfs.stat(dir.replace(/\/+$/, '') + '/..'), undefined);
      vfs.visitEntries(dir, (name, attr, _dev, link) => p.add(name, attr, link));
      return p.finish();
    },
  };
}

/** The columns ls-la.ts formats, as views of the packed listing. */
export function unpackListing(p: PackedListing): LsColumns {
  const n = p.count;
  const col = (f: number) => p.nums.subarray(f * n, (f + 1) * n);
  const names = n === 0 ? [] : p.names.split('\0');
  const mode = col(0);
  const targets = p.links === '' && !mode.some(isLnk) ? [] : p.links.split('\0');
  const links: (string | undefined)[] = new Array(n);
  for (let i = 0, k = 0; i < n; i++) links[i] = isLnk(mode[i]!) ? targets[k++] : undefined;
  return { names, links, mode, nlink: col(1), uid: col(2), gid: col(3), size: col(4), blocks: col(5), rdev: col(6), mtime: col(7) };
}

/** The fields of a stat row, in lstatns's order (st_spare* are always 0). */
export const STAT_FIELDS = ['st_dev', 'st_ino', 'st_mode', 'st_nlink', 'st_uid', 'st_gid', 'st_rdev', 'st_size', 'st_blksize',
  'st_blocks', 'st_atime_sec', 'st_atime_nsec', 'st_mtime_sec', 'st_mtime_nsec', 'st_ctime_sec', 'st_ctime_nsec'] as const;
const NF = STAT_FIELDS.length;

/**
 * The lstat of many names, a row of STAT_FIELDS per name in one Float64Array
 * (the worker's message transfers its buffer, no copy); a failed lstat has
 * NaN for st_ino.
 */
export class StatRows {
  private readonly rows: Float64Array;

  constructor(count: number) {
    this.rows = new Float64Array(count * NF);
  }

  set(i: number, a: Attr, dev: number): void {
    const r = this.rows, o = i * NF;
    r[o] = dev;
    r[o + 1] = a.ino;
    r[o + 2] = a.mode;
    r[o + 3] = a.nlink;
    r[o + 4] = a.uid;
    r[o + 5] = a.gid;
    r[o + 6] = a.rdev;
    r[o + 7] = a.size;
    r[o + 8] = a.blksize;
    r[o + 9] = a.blocks;
    r[o + 10] = a.atime.sec;
    r[o + 11] = a.atime.nsec;
    r[o + 12] = a.mtime.sec;
    r[o + 13] = a.mtime.nsec;
    r[o + 14] = a.ctime.sec;
    r[o + 15] = a.ctime.nsec;
  }

  copy(from: number, to: number): void {
    this.rows.copyWithin(to * NF, from * NF, (from + 1) * NF);
  }

  fail(i: number): void {
    this.rows[i * NF + 1] = NaN;
  }

  bytes(): Uint8Array {
    return new Uint8Array(this.rows.buffer);
  }
}

/** Each row of packed StatRows as lstatns's struct, or undefined where the lstat failed. */
export function unpackStatRows(bytes: Uint8Array): (Record<string, number> | undefined)[] {
  const r = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  const out: (Record<string, number> | undefined)[] = [];
  for (let o = 0; o < r.length; o += NF) {
    out.push(Number.isNaN(r[o + 1]) ? undefined : {
      st_dev: r[o]!, st_ino: r[o + 1]!, st_mode: r[o + 2]!, st_nlink: r[o + 3]!, st_uid: r[o + 4]!, st_gid: r[o + 5]!,
      st_rdev: r[o + 6]!, st_size: r[o + 7]!, st_blksize: r[o + 8]!, st_blocks: r[o + 9]!,
      st_atime_sec: r[o + 10]!, st_atime_nsec: r[o + 11]!, st_mtime_sec: r[o + 12]!, st_mtime_nsec: r[o + 13]!,
      st_ctime_sec: r[o + 14]!, st_ctime_nsec: r[o + 15]!,
      st_spare1: 0, st_spare2: 0, st_spare3: 0, st_spare4: 0, st_spare5: 0, st_spare6: 0,
    });
  }
  return out;
}
