/**
 * The image files the image tools write: built as a raw file beside the
 * target (TARGET.tmp-XXXX) and moved into place only when complete, so an
 * error never leaves a partial output; qcow2 output is the finished raw file
 * converted through the native writer (sparse: zero blocks stay unallocated).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RawFileDevice } from '../block/raw-file.js';
import { ErrnoError, ImageError } from '../errors/index.js';
import { isAllZero } from '../util/all-zero.js';

export type ImageFormat = 'raw' | 'qcow2';

export function parseImageFormat(s: string): ImageFormat {
  if (s === 'raw' || s === 'qcow2') return s;
  throw new ErrnoError('EINVAL', `${s}: output format not supported (raw or qcow2)`);
}

export function tempNameBeside(target: string, tag = 'tmp'): string {
  return `${target}.${tag}-${crypto.randomBytes(4).toString('hex')}`;
}

/** Refuses targets that are directories or devices (the tools write image files). */
export function checkOutputPath(target: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(target);
  } catch {
    const dir = path.dirname(path.resolve(target));
    if (!fs.existsSync(dir)) throw new ErrnoError('ENOENT', `${target}: the directory ${dir} does not exist`, { disk: target });
    return;
  }
  if (st.isDirectory()) throw new ImageError(target, 'is a directory: give the output file name');
  if (!st.isFile()) throw new ImageError(target, 'not a regular file');
}

/** A new sparse raw file of `size` bytes. */
export async function createSparseFile(file: string, size: number): Promise<void> {
  const fh = await fs.promises.open(file, 'wx', 0o644);
  try {
    await fh.truncate(size);
  } finally {
    await fh.close();
  }
}

const CHUNK = 1 << 20;

/** Told `done` of `total` bytes after each chunk (the tools draw their progress bar from it). */
export type ByteProgress = (done: number, total: number) => void;

/**
 * Copies `length` bytes of file `src` from `srcOffset` into `dst` at
 * `dstOffset`, writing only chunks that are not all zeroes (dst is sparse and new).
 */
export async function copySparse(src: string, srcOffset: number, dst: RawFileDevice, dstOffset: number, length: number, progress?: ByteProgress): Promise<void> {
  const from = await RawFileDevice.open(src, { readOnly: true });
  try {
    const buf = new Uint8Array(CHUNK);
    progress?.(0, length);
    for (let done = 0; done < length; done += CHUNK) {
      const n = Math.min(CHUNK, length - done);
      const part = buf.subarray(0, n);
      await from.readInto(srcOffset + done, part);
      if (!isAllZero(part)) await dst.write(dstOffset + done, part);
      progress?.(done + n, length);
    }
  } finally {
    await from.close();
  }
}

/**
 * Moves the finished raw file `tmp` to `target` in `format`: a rename for raw;
 * for qcow2 a conversion into another temporary file beside the target, renamed
 * when complete, and `tmp` removed.
 */
export async function publishImage(tmp: string, target: string, format: ImageFormat, progress?: ByteProgress): Promise<void> {
  if (format === 'raw') {
    await fs.promises.rename(tmp, target);
    return;
  }
  const { Qcow2Writer } = await import('../block/qcow2/qcow2-writer.js');
  const qtmp = tempNameBeside(target);
  const w = await Qcow2Writer.create(qtmp, { name: target });
  const src = await RawFileDevice.open(tmp, { readOnly: true });
  let finished = false;
  try {
    const buf = new Uint8Array(w.clusterSize * 16);
    progress?.(0, src.size);
    for (let at = 0; at < src.size; at += buf.length) {
      const n = Math.min(buf.length, src.size - at);
      const part = buf.subarray(0, n);
      await src.readInto(at, part);
      for (let o = 0; o < n; o += w.clusterSize) {
        const c = part.subarray(o, Math.min(n, o + w.clusterSize));
        if (!isAllZero(c)) await w.write(at + o, c);
      }
      progress?.(at + n, src.size);
    }
    await w.finish(src.size, true);
    finished = true;
    await fs.promises.rename(qtmp, target);
  } catch (e) {
    if (!finished) await w.abort();
    await fs.promises.unlink(qtmp).catch(() => {});
    throw e;
  } finally {
    await src.close();
  }
  await fs.promises.unlink(tmp);
}
