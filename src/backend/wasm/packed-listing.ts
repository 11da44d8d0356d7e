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
