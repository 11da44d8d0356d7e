/**
 * One open file of a vmdk (the descriptor/sparse file itself or an extent it
 * names): bounds-checked reads whose errors are one line naming the disk the
 * user gave and, when it is another file, the extent file too.
 */
import fs from 'node:fs';
import { ErrnoError, ImageError, codeOfError } from '../../errors/index.js';
import { readFileFully } from '../raw-file.js';

export class ExtentFile {
  private handle: fs.promises.FileHandle | null;

  private constructor(
    /** The disk as the user named it (errors start with it). */
    readonly disk: string,
    /** The extent file as the descriptor names it, or null when it is the disk itself. */
    readonly shown: string | null,
    readonly path: string,
    handle: fs.promises.FileHandle,
    readonly size: number,
  ) {
    this.handle = handle;
  }

  static async open(disk: string, path: string, shown: string | null): Promise<ExtentFile> {
    const where = shown === null ? '' : `extent ${shown}: `;
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(path, fs.constants.O_RDONLY);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const text = code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : (e as Error).message.split('\n')[0]!;
      throw new ImageError(disk, `${where}${text}`, { cause: e });
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new ImageError(disk, `${where}not a regular file: vmdk extents are read natively only from regular files`);
      return new ExtentFile(disk, shown, path, handle, st.size);
    } catch (e) {
      await handle.close().catch(() => {});
      throw e;
    }
  }

  /** An ImageError about this file: "DISK: [extent X: ]vmdk image is PROBLEM". */
  error(problem: string): ImageError {
    return new ImageError(this.disk, this.shown === null ? problem : `extent ${this.shown}: ${problem}`);
  }

  corrupt(problem: string): ImageError {
    return this.error(`vmdk image is corrupt: ${problem}`);
  }

  pastEnd(what: string, offset: number): ImageError {
    return this.error(`vmdk image is truncated: ${what} (offset ${offset}) is past the end of the file (size ${this.size})`);
  }

  /** True when [offset, offset+length) lies inside the file. */
  holds(offset: number, length: number): boolean {
    return offset >= 0 && length >= 0 && offset + length <= this.size;
  }

  /** Reads `length` bytes of `what` at `offset`, refusing ranges past the end of the file. */
  async readAt(offset: number, length: number, what: string): Promise<Uint8Array> {
    if (!this.holds(offset, length)) throw this.pastEnd(what, offset);
    const b = new Uint8Array(length);
    await this.readInto(b, offset);
    return b;
  }

  /** Fills `into` from `offset` (the caller checked the range). */
  readInto(into: Uint8Array, offset: number): Promise<void> {
    if (!this.handle) throw new ErrnoError('EBADF', `${this.disk}: read: the disk is closed`, { disk: this.disk });
    return readFileFully(this.handle, into, offset, {
      failed: (at, e) => {
        return new ErrnoError(codeOfError(e), `${this.disk}: read at offset ${at} of ${this.path} failed: ${(e as Error).message.split('\n')[0]}`, { disk: this.disk, cause: e });
      },
      ended: (at) => this.error(`vmdk image is truncated: read at offset ${at} is past the end of the file (the file shrank?)`),
    });
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    await h?.close();
  }
}
