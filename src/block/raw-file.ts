/**
 * A raw image file or host block device. Async methods use a FileHandle;
 * readSync/writeSync are fast paths for the fs worker thread, which must call
 * its block device synchronously.
 */
import fs from 'node:fs';
import { readIntoNew, type BlockDevice, type Extent } from './block-device.js';
import { ErrnoError, ImageError, codeOfError, type GuestkitCode } from '../errors/index.js';
import { checkRange, checkWritable } from './slice.js';
import { appendExtent } from './extent-list.js';
import { fileDataRanges, type DataRanges } from './file-data-map.js';
import { takeImageLocks, type ImageLocks } from './image-lock.js';
import { fileDataMap } from '../util/fd-ops.js';

const ZERO_CHUNK = 1024 * 1024;

function errnoProblem(e: unknown): { code: GuestkitCode; text: string } {
  const err = e as NodeJS.ErrnoException;
  const code = codeOfError(err);
  const texts: Record<string, string> = {
    ENOENT: 'No such file or directory',
    EACCES: 'Permission denied',
    EPERM: 'Operation not permitted',
    EISDIR: 'Is a directory',
    EROFS: 'Read-only file system',
    ENOSPC: 'No space left on device',
    EIO: 'Input/output error',
    EBUSY: 'Device or resource busy',
    ENXIO: 'No such device or address',
  };
  return { code, text: texts[code] ?? (err?.message?.split('\n')[0] || code) };
}

/** Size of a host block device from sysfs (fstat reports 0 for them). */
function blockDeviceSize(st: fs.Stats): number | null {
  const rdev = st.rdev;
  // glibc's major()/minor() encoding.
  const major = ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xff & 0xfffff);
  try {
    const sectors = fs.readFileSync(`/sys/dev/block/${major}:${minor}/size`, 'utf8').trim();
    const n = Number(sectors);
    return Number.isSafeInteger(n) ? n * 512 : null;
  } catch {
    return null;
  }
}

/**
 * Fills `into` from the file at `offset`, looping on short reads; `failed` makes
 * the error for a failed read, `ended` the one for the end of the file.
 */
/**
 * Whether file reads are preads on the calling thread instead of trips through
 * libuv's thread pool. An NBD server's reads are mostly page-cache hits, for
 * which the pool's two thread wakeups per read cost more than the read:
 * serving the 4 GiB qcow2 of bench/qcow2-tools.js to nbdcopy took 0.5-0.6 s
 * of system time this way against 0.6-0.7 s (medians of 7, 2 cores under load).
 * The price is that a read from a slow disk holds the event loop.
 */
let synchronousReads = false;

/** Turns synchronous file reads on or off for the whole process; returns the previous setting. */
export function setSynchronousFileReads(on: boolean): boolean {
  const was = synchronousReads;
  synchronousReads = on;
  return was;
}

/**
 * One pread on the handle's descriptor through fs.read's callback: FileHandle.read
 * costs a reference count and a result object per call, a measurable share of a
 * server's time at thousands of reads a second.
 */
function readAtFd(fd: number, into: Uint8Array, at: number, length: number, position: number): Promise<number> {
  if (synchronousReads) {
    try {
      return Promise.resolve(fs.readSync(fd, into, at, length, position));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  return new Promise((resolve, reject) => fs.read(fd, into, at, length, position, (e, n) => (e ? reject(e) : resolve(n))));
}

/** The errors of readFileFully: `failed` for a read that fails, `ended` for the end of the file. */
export interface ReadErrors {
  failed: (at: number, e: unknown) => Error;
  ended: (at: number) => Error;
}

export async function readFileFully(fh: fs.promises.FileHandle, into: Uint8Array, offset: number, errors: ReadErrors): Promise<void> {
  let done = 0;
  while (done < into.length) {
    let n: number;
    try {
      n = await readAtFd(fh.fd, into, done, into.length - done, offset + done);
    } catch (e) {
      throw errors.failed(offset + done, e);
    }
    if (n === 0) throw errors.ended(offset + done);
    done += n;
  }
}

/** readFileFully on this thread (preads on the descriptor `fd`). */
export function readFileFullySync(fd: number, into: Uint8Array, offset: number, errors: ReadErrors): void {
  for (let done = 0; done < into.length; ) {
    let n: number;
    try {
      n = fs.readSync(fd, into, done, into.length - done, offset + done);
    } catch (e) {
      throw errors.failed(offset + done, e);
    }
    if (n === 0) throw errors.ended(offset + done);
    done += n;
  }
}

/** Writes all of `data` at `offset`, however many writes it takes; `failed` makes the error of a write that fails. */
export async function writeFileFully(
  fh: fs.promises.FileHandle,
  data: Uint8Array,
  offset: number,
  failed: (at: number, e: unknown) => Error,
): Promise<void> {
  for (let done = 0; done < data.length; ) {
    try {
      done += await writeAtFd(fh.fd, data, done, data.length - done, offset + done);
    } catch (e) {
      throw failed(offset + done, e);
    }
  }
}

/** One pwrite on the handle's descriptor through fs.write's callback: cheaper than FileHandle.write, as readAtFd is than FileHandle.read. */
function writeAtFd(fd: number, data: Uint8Array, at: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.write(fd, data, at, length, position, (e, n) => (e ? reject(e) : resolve(n))));
}

export class RawFileDevice implements BlockDevice {
  readonly name: string;
  readonly size: number;
  readonly readOnly: boolean;
  private handle: fs.promises.FileHandle | null;
  /** The file's data ranges, once asked for (null: unknown, everything counts as data). */
  private dataMap: Promise<DataRanges | null> | null = null;
  /** qemu's locks, held by `handle` (closing it drops them). */
  private locks: ImageLocks | undefined;

  private constructor(
    name: string,
    handle: fs.promises.FileHandle,
    size: number,
    readOnly: boolean,
    /** The path of a read-only regular file with holes (st_blocks says so), whose map is worth asking for. */
    private readonly sparsePath: string | null = null,
    /** That file has no blocks at all (st_blocks 0): all holes, if filefrag agrees. */
    private readonly noBlocks = false,
  ) {
    this.name = name;
    this.handle = handle;
    this.size = size;
    this.readOnly = readOnly;
  }

  /** `lock`: take qemu's image locks on the descriptor of a regular file (image-lock.ts), as a backing file's reader for 'backing'. */
  /** `mapAhead`: the caller will want the file's allocation map (extents()): it is asked for at once. */
  static async open(path: string, opts: { readOnly: boolean; name?: string; lock?: boolean | 'backing'; mapAhead?: boolean }): Promise<RawFileDevice> {
    const name = opts.name ?? path;
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(path, opts.readOnly ? fs.constants.O_RDONLY : fs.constants.O_RDWR);
    } catch (e) {
      const p = errnoProblem(e);
      throw new ImageError(name, p.text, { cause: e });
    }
    try {
      const st = await handle.stat();
      let size: number;
      if (st.isFile()) size = st.size;
      else if (st.isBlockDevice()) {
        const s = blockDeviceSize(st);
        if (s === null) throw new ImageError(name, 'cannot find the size of this block device');
        size = s;
      } else if (st.isDirectory()) throw new ImageError(name, 'Is a directory');
      else throw new ImageError(name, 'not a regular file or block device');
      // Only a file nobody writes through this handle keeps the map it was read with.
      const sparse = st.isFile() && opts.readOnly && st.blocks * 512 < st.size;
      const dev = new RawFileDevice(name, handle, size, opts.readOnly, sparse ? path : null, sparse && st.blocks === 0);
      // Asked for now, its helper runs while the lock helper does.
      if (opts.mapAhead && sparse) dev.dataMap = dev.fileMap(path);
      if (opts.lock && st.isFile()) dev.locks = await takeImageLocks(handle.fd, name, { write: !opts.readOnly, format: 'raw', backing: opts.lock === 'backing' });
      return dev;
    } catch (e) {
      await handle.close().catch(() => {});
      throw e;
    }
  }

  /** The file descriptor, for synchronous access from a worker thread. */
  get fd(): number {
    return this.h('fd').fd;
  }

  private h(what: string): fs.promises.FileHandle {
    if (!this.handle) throw new ErrnoError('EBADF', `${this.name}: ${what}: the disk is closed`, { disk: this.name });
    return this.handle;
  }

  private ioError(what: string, offset: number, e: unknown): ErrnoError {
    const p = errnoProblem(e);
    return new ErrnoError(p.code, `${this.name}: ${what} at offset ${offset} failed: ${p.text}`, { disk: this.name, cause: e });
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    return readIntoNew(this, offset, length);
  }

  async readInto(offset: number, into: Uint8Array): Promise<void> {
    checkRange(this.name, this.size, offset, into.length, 'read');
    await readFileFully(this.h('read'), into, offset, this.readErrors);
  }

  private readonly readErrors: ReadErrors = {
    failed: (at, e) => this.ioError('read', at, e),
    ended: (at) => new ErrnoError('EIO', `${this.name}: read at offset ${at}: unexpected end of file (the file shrank?)`, { disk: this.name }),
  };

  async write(offset: number, data: Uint8Array): Promise<void> {
    checkWritable(this.name, this.readOnly, 'write');
    checkRange(this.name, this.size, offset, data.length, 'write');
    await writeFileFully(this.h('write'), data, offset, (at, e) => this.ioError('write', at, e));
  }

  async zero(offset: number, length: number, _trim?: boolean): Promise<void> {
    checkWritable(this.name, this.readOnly, 'zero');
    checkRange(this.name, this.size, offset, length, 'zero');
    const zeroes = new Uint8Array(Math.min(ZERO_CHUNK, length));
    for (let done = 0; done < length; done += zeroes.length) {
      const n = Math.min(zeroes.length, length - done);
      await this.write(offset + done, zeroes.subarray(0, n));
    }
  }

  async flush(): Promise<void> {
    if (this.readOnly) return;
    try {
      await this.h('flush').datasync();
    } catch (e) {
      if (e instanceof ErrnoError) throw e;
      throw this.ioError('flush', 0, e);
    }
  }

  /** The file's data ranges: SEEK_DATA/SEEK_HOLE through the fd-ops helper, else filefrag's extent map (file-data-map.ts). */
  private async fileMap(file: string): Promise<DataRanges | null> {
    const fd = this.handle?.fd;
    // A helper that cannot run (a cache directory mounted noexec, say) leaves it to filefrag.
    const viaSeek = fd === undefined ? null : await fileDataMap(fd, this.size).catch(() => null);
    return viaSeek ?? fileDataRanges(file, this.size, this.noBlocks);
  }

  /** Data and holes from the filesystem's map of the file (fileMap); one data extent when there is none. */
  async extents(offset: number, length: number): Promise<Extent[]> {
    checkRange(this.name, this.size, offset, length, 'extents');
    if (length === 0) return [];
    const map = this.sparsePath === null ? null : await (this.dataMap ??= this.fileMap(this.sparsePath));
    if (!map) return [{ offset, length, zero: false, hole: false }];
    const out: Extent[] = [];
    const end = offset + length;
    let at = offset;
    // Callers walk a disk in small steps: find the first range reaching past `offset` by bisection.
    let lo = 0;
    for (let hi = map.length; lo < hi; ) {
      const mid = (lo + hi) >>> 1;
      if (map[mid]![1] <= offset) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < map.length; i++) {
      const [start, stop] = map[i]!;
      if (start >= end) break;
      if (start > at) appendExtent(out, { offset: at, length: start - at, zero: true, hole: true });
      const to = Math.min(stop, end);
      appendExtent(out, { offset: Math.max(start, at), length: to - Math.max(start, at), zero: false, hole: false });
      at = to;
    }
    if (at < end) appendExtent(out, { offset: at, length: end - at, zero: true, hole: true });
    return out;
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    this.locks?.release();
    await h?.close();
  }

  /** Synchronous read (fs worker fast path); loops on short reads. */
  readSync(offset: number, into: Uint8Array): void {
    checkRange(this.name, this.size, offset, into.length, 'read');
    readFileFullySync(this.fd, into, offset, this.readErrors);
  }

  /** Synchronous write (fs worker fast path). */
  writeSync(offset: number, data: Uint8Array): void {
    checkWritable(this.name, this.readOnly, 'write');
    checkRange(this.name, this.size, offset, data.length, 'write');
    const fd = this.fd;
    let done = 0;
    while (done < data.length) {
      try {
        done += fs.writeSync(fd, data, done, data.length - done, offset + done);
      } catch (e) {
        throw this.ioError('write', offset + done, e);
      }
    }
  }

  /** Synchronous flush (fs worker fast path). */
  flushSync(): void {
    if (this.readOnly) return;
    try {
      fs.fdatasyncSync(this.fd);
    } catch (e) {
      throw this.ioError('flush', 0, e);
    }
  }
}
