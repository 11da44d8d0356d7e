/**
 * The write half of FsDriver for the filesystems the wasm backend only reads
 * (xfs, ISO 9660): every change fails with EROFS, in the driver's own words.
 */
import { FsError } from './fs-driver.js';

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
