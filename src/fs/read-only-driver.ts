/**
 * The write half of FsDriver for the filesystems the wasm backend only reads
 * (xfs, ISO 9660): every change fails with EROFS, in the driver's own words.
 */
import { FsError, type DirEntry } from './fs-driver.js';
import { Lru } from '../util/lru.js';

export abstract class ReadOnlyDriver {
  readonly readOnly = true;
  /** The EROFS message for a refused operation, e.g. "xfs: write: ...". */
  protected abstract refusal(op: string): string;
  private refuse(op: string): never {
    throw new FsError('EROFS', this.refusal(op));
  }
  write(): void { this.refuse('write'); }
  truncate(): void { this.refuse('truncate'); }
  create(): number { this.refuse('create'); }
  mkdir(): number { this.refuse('mkdir'); }
  symlink(): number { this.refuse('symlink'); }
  link(): void { this.refuse('link'); }
  unlink(): void { this.refuse('unlink'); }
  rmdir(): void { this.refuse('rmdir'); }
  rename(): void { this.refuse('rename'); }
  setattr(): void { this.refuse('setattr'); }
  flush(): void {}
}

/** A directory's entries in readdir order, with a name index for lookup. */
interface DirListing {
  entries: DirEntry[];
  byName: Map<string, number>;
}

/**
 * A read-only driver that lists a directory once (listDirectory) and answers
 * readdir and lookup from that listing, kept for the most recent directories
 * (xfs, btrfs).
 */
export abstract class ListingReadOnlyDriver extends ReadOnlyDriver {
  private readonly listings = new Lru<number, DirListing>(64);

  /** The entries of directory `dir` in readdir order; ENOTDIR when it is not a directory. */
  protected abstract listDirectory(dir: number): DirEntry[];

  private listing(dir: number): DirListing {
    const hit = this.listings.get(dir);
    if (hit) return hit;
    const entries = this.listDirectory(dir);
    const byName = new Map<string, number>();
    for (const e of entries) byName.set(e.name, e.ino);
    const listing = { entries, byName };
    this.listings.set(dir, listing);
    return listing;
  }

  lookup(dir: number, name: string): number {
    const ino = this.listing(dir).byName.get(name);
    if (ino === undefined) throw new FsError('ENOENT', `${name}: No such file or directory`);
    return ino;
  }

  readdir(dir: number): DirEntry[] {
    return this.listing(dir).entries.map((e) => ({ ...e }));
  }
}
