/**
 * What the in-process drivers that only read (xfs, btrfs) share: the write half
 * of FsDriver, where every write fails with EROFS naming the operation and the
 * backend that writes; and the cached form of a directory listing.
 */
import { FsError, type DirEntry } from './fs-driver.js';

/** A directory's entries in readdir order, with a name index for lookup. */
export interface DirIndex {
  entries: DirEntry[];
  byName: Map<string, number>;
}

export function indexDirectory(entries: DirEntry[]): DirIndex {
  const byName = new Map<string, number>();
  for (const e of entries) byName.set(e.name, e.ino);
  return { entries, byName };
}

export abstract class ReadOnlyDriver {
  abstract readonly type: string;
  readonly readOnly = true;

  /** The directory's listing (cached by the driver). */
  protected abstract dirIndex(dir: number): DirIndex;

  lookup(dir: number, name: string): number {
    const ino = this.dirIndex(dir).byName.get(name);
    if (ino === undefined) throw new FsError('ENOENT', `${name}: No such file or directory`);
    return ino;
  }

  readdir(dir: number): DirEntry[] {
    return this.dirIndex(dir).entries.map((e) => ({ ...e }));
  }

  private refuse(op: string): never {
    throw new FsError('EROFS', `${this.type}: ${op}: the wasm backend reads ${this.type} only: use --backend=appliance to write`);
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
