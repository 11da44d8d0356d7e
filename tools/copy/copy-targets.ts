/**
 * Where `guestkit copy` writes: a new file (raw, or qcow2 through Qcow2Writer)
 * written as DST.tmp-XXXX beside DST and renamed over it only when the copy
 * is complete; an NBD export (through our NBD client); or standard output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ErrnoError, ImageError, codeOfError } from '../../src/errors/index.js';
import type { NbdDevice } from '../../src/block/nbd/client.js';
import type { Qcow2Writer } from '../../src/block/qcow2/qcow2-writer.js';
import { writeFileFully } from '../../src/block/raw-file.js';
import { writeOut } from '../common/tool-output.js';

export interface CopyTarget {
  readonly name: string;
  /** Writes must come in order, holes included (a pipe). */
  readonly sequential: boolean;
  /** The target already reads as zeroes everywhere (a new file), so holes need no writes. */
  readonly startsZero: boolean;
  /** Writes need this alignment (qcow2 clusters); 1 otherwise. */
  readonly alignment: number;
  /** Bytes per request that suit the target, when the user gives none (CopyOptions.blockSize). */
  readonly requestSize?: number;
  /** Size the target must have, when it has one already (an NBD export). */
  readonly fixedSize?: number;
  /** Told, before any write, how many bytes of data are coming (a file target may allocate them at once). */
  expect?(dataBytes: number): void;
  write(offset: number, data: Uint8Array): Promise<void>;
  /** Makes a range read as zeroes (only called when !startsZero). */
  zero(offset: number, length: number): Promise<void>;
  /** Completes the target for a source of `size` bytes. */
  finish(size: number, flush: boolean): Promise<void>;
  /** Undoes what can be undone after a failure: no partial file is left at DST. */
  abort(): Promise<void>;
}

export type OutputFormat = 'raw' | 'qcow2';

/**
 * Requests to a new qcow2 file are 1 MiB: a quarter of the system calls of nbdcopy's 256 KiB.
 * Not qemu-img's 2 MiB: in some states of the host's memory (here: right after nbdcopy had written
 * a 1 GiB qcow2 through qemu-nbd) 2 MiB requests make the kernel's system time explode, a 1 GiB
 * raw -> qcow2 copy taking 0.86-1.19 s against 0.38-0.45 s with 1 MiB ones, with or without the
 * space preallocated; in a calm state they were only ~5% faster. A raw file keeps 256 KiB: its
 * writes are aligned to their own size (a 1 GiB qcow2 -> raw copy took 1 to 8 s with 2 MiB ones
 * instead of 0.8 s).
 */
const QCOW2_REQUEST_SIZE = 1024 * 1024;

function fileProblem(dst: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  const dir = path.dirname(path.resolve(dst));
  if (err.code === 'ENOENT') return new ErrnoError('ENOENT', `${dst}: the directory ${dir} does not exist`, { disk: dst, cause: e });
  if (err.code === 'EACCES') return new ErrnoError('EACCES', `${dst}: permission denied`, { disk: dst, cause: e });
  if (err.code === 'ENOTDIR') return new ErrnoError('ENOTDIR', `${dst}: ${dir} is not a directory`, { disk: dst, cause: e });
  if (err.code === 'ENOSPC') return new ErrnoError('ENOSPC', `${dst}: no space left on device`, { disk: dst, cause: e });
  return new ErrnoError(codeOfError(err), `${dst}: ${err.message?.split('\n')[0] ?? String(e)}`, { disk: dst, cause: e });
}

/** DST.tmp-XXXXXXXX (created exclusively, so a name taken already fails rather than clobbers; Math.random spares loading node:crypto). */
function tempNameBeside(dst: string): string {
  return `${dst}.tmp-${Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0')}`;
}

/** Refuses destinations that are directories or devices: copy writes image files. */
function checkFileDestination(dst: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dst);
  } catch {
    return; // a new file
  }
  if (st.isDirectory()) throw new ImageError(dst, 'is a directory: give the destination file name');
  if (!st.isFile()) throw new ImageError(dst, 'not a regular file (guestkit copy writes files, NBD URIs or -)');
}

/** A raw file: sparse (ftruncate to the size, data written where it is). */
export async function openRawFileTarget(dst: string): Promise<CopyTarget> {
  checkFileDestination(dst);
  const tmp = tempNameBeside(dst);
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(tmp, 'wx', 0o644);
  } catch (e) {
    throw fileProblem(dst, e);
  }
  let closed = false;
  return {
    name: dst,
    sequential: false,
    startsZero: true,
    alignment: 1,
    async write(offset, data) {
      try {
        await writeFileFully(fh, data, offset, (_at, e) => e as Error);
      } catch (e) {
        throw fileProblem(dst, e);
      }
    },
    async zero() {},
    async finish(size, flush) {
      try {
        await fh.truncate(size);
        if (flush) await fh.sync();
        closed = true;
        await fh.close();
        await fs.promises.rename(tmp, dst);
      } catch (e) {
        throw fileProblem(dst, e);
      }
    },
    async abort() {
      if (!closed) await fh.close().catch(() => {});
      await fs.promises.unlink(tmp).catch(() => {});
    },
  };
}

/** How a new qcow2 file is written: compressed clusters (virt-sparsify --compress), the cluster size (-o cluster_size). */
export interface Qcow2TargetOptions {
  compress?: boolean;
  clusterBits?: number;
}

/** A new qcow2 file (see Qcow2Writer). */
export async function openQcow2FileTarget(dst: string, opts: Qcow2TargetOptions = {}): Promise<CopyTarget> {
  checkFileDestination(dst);
  const { Qcow2Writer } = await import('../../src/block/qcow2/qcow2-writer.js');
  const tmp = tempNameBeside(dst);
  let w: Qcow2Writer;
  try {
    w = await Qcow2Writer.create(tmp, { name: dst, clusterBits: opts.clusterBits });
  } catch (e) {
    throw e instanceof ErrnoError ? e : fileProblem(dst, e);
  }
  let finished = false;
  return {
    name: dst,
    sequential: false,
    startsZero: true,
    alignment: w.clusterSize,
    requestSize: QCOW2_REQUEST_SIZE,
    // Compressed clusters take an unknown share of the data's size: nothing is allocated ahead for them.
    expect: opts.compress ? undefined : (dataBytes) => w.preallocate(dataBytes),
    async write(offset, data) {
      try {
        await (opts.compress ? w.writeCompressed(offset, data) : w.write(offset, data));
      } catch (e) {
        throw e instanceof ErrnoError ? e : fileProblem(dst, e);
      }
    },
    async zero() {},
    async finish(size, flush) {
      try {
        await w.finish(size, flush);
        finished = true;
        await fs.promises.rename(tmp, dst);
      } catch (e) {
        throw e instanceof ErrnoError ? e : fileProblem(dst, e);
      }
    },
    async abort() {
      if (!finished) await w.abort();
      await fs.promises.unlink(tmp).catch(() => {});
    },
  };
}

/** An NBD export: written in place (there is no way to make it appear at once). */
export async function openNbdTarget(uri: string, targetIsZero: boolean): Promise<CopyTarget> {
  const { NbdDevice } = await import('../../src/block/nbd/client.js');
  const dev: NbdDevice = await NbdDevice.connect(uri, { readOnly: false });
  if (dev.readOnly) {
    await dev.close();
    throw new ErrnoError('EROFS', `${uri}: the NBD export is read-only`, { disk: uri });
  }
  return {
    name: uri,
    sequential: false,
    startsZero: targetIsZero,
    alignment: dev.info.minBlockSize,
    fixedSize: dev.size,
    write: (offset, data) => dev.write(offset, data),
    zero: (offset, length) => dev.zero(offset, length, true),
    async finish(_size, flush) {
      if (flush) await dev.flush();
      await dev.close();
    },
    async abort() {
      await dev.close().catch(() => {});
    },
  };
}

/** nbdcopy's null: destination: everything is read and dropped (read speed, a source's readability). */
export function nullTarget(): CopyTarget {
  return {
    name: 'null:',
    sequential: false,
    startsZero: true,
    alignment: 1,
    async write() {},
    async zero() {},
    async finish() {},
    async abort() {},
  };
}

/** Standard output: raw bytes in order, holes written as zeroes. */
export function stdoutTarget(): CopyTarget {
  const zeroes = new Uint8Array(1 << 20);
  return {
    name: 'stdout',
    sequential: true,
    startsZero: false,
    alignment: 1,
    write: (_offset, data) => writeOut(data),
    async zero(_offset, length) {
      for (let done = 0; done < length; done += zeroes.length) await writeOut(zeroes.subarray(0, Math.min(zeroes.length, length - done)));
    },
    async finish() {},
    async abort() {},
  };
}
