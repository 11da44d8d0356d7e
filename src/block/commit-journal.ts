/**
 * The write-ahead journal of a commit. Before a single byte of an image is
 * changed, every range the commit will write goes into a journal file, which
 * is fsynced and renamed into place (the commit point); then the ranges are
 * written to the image and flushed, and the journal is removed. A crash before
 * the rename leaves the image as it was (the temporary journal is garbage); a
 * crash after it leaves a complete journal, which the next open of the image
 * replays (writable) or reads through (read-only). So the image is always
 * either as before or as after the commit.
 *
 * Layout (little-endian):
 *   header  "GKJOURN1", u64 image size, 16 zero bytes
 *   record  u64 offset, u64 length, u32 kind (1 data, 2 zeroes), u32 0, then
 *           `length` bytes for data records, then for each 64 KiB piece of
 *           the range 16 bytes of SHA-256 of its old bytes and 16 of its new
 *           ones: a replay first checks that every piece of the image holds
 *           one or the other, so a journal is never replayed onto an image
 *           it was not written for (an image restored from a backup, say).
 *   trailer "GKCOMMIT", u64 record count, SHA-256 of everything before the hash
 * (the count is in the trailer because records are streamed as they come).
 */
import type { Hash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { BlockDevice } from './block-device.js';
import { ErrnoError, ImageError, codeOfError } from '../errors/index.js';
import { faultPoint } from './fault-points.js';
import { guestkitCacheDir } from '../util/cache-dir.js';
import { nodeCrypto } from '../util/lazy-builtins.js';

const HEADER_MAGIC = Buffer.from('GKJOURN1');
const TRAILER_MAGIC = Buffer.from('GKCOMMIT');
const HEADER_SIZE = 32;
const RECORD_HEADER_SIZE = 24;
const TRAILER_SIZE = 48;
const KIND_DATA = 1;
const KIND_ZERO = 2;
/** Data records are read back in pieces of at most this many bytes. */
const PIECE = 16 * 1024 * 1024;

/** One range a commit writes: `data` (its length is the range's), or zeroes when absent. */
export interface CommitRecord {
  offset: number;
  length: number;
  data?: Uint8Array;
}

const DIGEST_PIECE = 64 * 1024;
const DIGEST_SIZE = 16;
const ZERO_PIECE = new Uint8Array(DIGEST_PIECE);

function digest(bytes: Uint8Array): Buffer {
  return nodeCrypto().createHash('sha256').update(bytes).digest().subarray(0, DIGEST_SIZE);
}

/** Old and new digests of each 64 KiB piece of a range (`now` holds its bytes before the commit). */
function pieceDigests(r: CommitRecord, now: Uint8Array): Buffer {
  const pieces = Math.ceil(r.length / DIGEST_PIECE);
  const out = Buffer.alloc(pieces * 2 * DIGEST_SIZE);
  for (let i = 0; i < pieces; i++) {
    const a = i * DIGEST_PIECE;
    const b = Math.min(r.length, a + DIGEST_PIECE);
    digest(now.subarray(a, b)).copy(out, i * 2 * DIGEST_SIZE);
    digest(r.data ? r.data.subarray(a, b) : ZERO_PIECE.subarray(0, b - a)).copy(out, i * 2 * DIGEST_SIZE + DIGEST_SIZE);
  }
  return out;
}

/** Where the journal of `image` lives: beside it, or in the cache when its directory is not writable. */
export function journalPaths(image: string): { beside: string; cached: string } {
  return { beside: journalBeside(image), cached: journalCached(image) };
}

function journalBeside(image: string): string {
  return `${path.resolve(image)}.guestkit-journal`;
}

/** The cache's journals are named by a hash of the image's path. */
function journalCached(image: string): string {
  const key = nodeCrypto().createHash('sha256').update(path.resolve(image)).digest('hex').slice(0, 32);
  return guestkitCacheDir('journal', `${key}.journal`);
}

function writableDir(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** A journal file found for an image: `complete` when its trailer and checksum hold. */
export interface PendingJournal {
  path: string;
  complete: boolean;
  imageSize: number;
  records: number;
}

/** The journal left by an interrupted commit of `image`, or null. */
export function pendingJournal(image: string): PendingJournal | null {
  // Every open looks: with no journal directory in the cache (most runs), the cached
  // journal's name is not worked out, and node:crypto is not loaded for its hash.
  const candidates = fs.existsSync(guestkitCacheDir('journal')) ? [journalBeside(image), journalCached(image)] : [journalBeside(image)];
  for (const p of candidates) {
    if (fs.existsSync(p)) return inspectJournal(p);
    // A journal still being written when its process died never reached the commit point.
    if (fs.existsSync(`${p}.tmp`)) return { path: `${p}.tmp`, complete: false, imageSize: 0, records: 0 };
  }
  return null;
}

function inspectJournal(file: string): PendingJournal {
  const incomplete = { path: file, complete: false, imageSize: 0, records: 0 };
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size < HEADER_SIZE + TRAILER_SIZE) return incomplete;
    const head = Buffer.alloc(HEADER_SIZE);
    fs.readSync(fd, head, 0, HEADER_SIZE, 0);
    if (!head.subarray(0, 8).equals(HEADER_MAGIC)) return incomplete;
    const trailer = Buffer.alloc(TRAILER_SIZE);
    fs.readSync(fd, trailer, 0, TRAILER_SIZE, size - TRAILER_SIZE);
    if (!trailer.subarray(0, 8).equals(TRAILER_MAGIC)) return incomplete;
    const hash = nodeCrypto().createHash('sha256');
    const buf = Buffer.alloc(Math.min(PIECE, size));
    for (let pos = 0; pos < size - TRAILER_SIZE; ) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size - TRAILER_SIZE - pos), pos);
      if (n <= 0) return incomplete;
      hash.update(buf.subarray(0, n));
      pos += n;
    }
    hash.update(trailer.subarray(0, 16));
    if (!hash.digest().equals(trailer.subarray(16))) return incomplete;
    return { path: file, complete: true, imageSize: Number(head.readBigUInt64LE(8)), records: Number(trailer.readBigUInt64LE(8)) };
  } finally {
    fs.closeSync(fd);
  }
}

class JournalWriter {
  private readonly hash: Hash = nodeCrypto().createHash('sha256');
  private pos = 0;
  constructor(private readonly fd: number) {}

  write(bytes: Uint8Array): void {
    faultPoint('journal-write');
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(this.fd, bytes, done, bytes.length - done, this.pos + done);
    this.hash.update(bytes);
    this.pos += bytes.length;
  }

  finish(records: number): void {
    const tail = Buffer.alloc(16);
    TRAILER_MAGIC.copy(tail, 0);
    u64(tail, 8, records);
    this.hash.update(tail);
    const trailer = Buffer.concat([tail, this.hash.digest()]);
    faultPoint('journal-write');
    fs.writeSync(this.fd, trailer, 0, trailer.length, this.pos);
  }
}

function u64(b: Buffer, at: number, n: number): void {
  b.writeBigUInt64LE(BigInt(n), at);
}

/**
 * Writes the journal of a commit of `records` to `device` (a handle on
 * `image`, read here for the old bytes' digests) and makes it durable: the
 * returned path exists only once the whole journal is on disk.
 */
export async function writeJournal(image: string, device: BlockDevice, records: AsyncIterable<CommitRecord> | Iterable<CommitRecord>): Promise<string> {
  const imageSize = device.size;
  const { beside, cached } = journalPaths(image);
  const target = writableDir(path.dirname(beside)) ? beside : cached;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    const w = new JournalWriter(fd);
    const head = Buffer.alloc(HEADER_SIZE);
    HEADER_MAGIC.copy(head, 0);
    u64(head, 8, imageSize);
    w.write(head);
    let count = 0;
    for await (const r of records) {
      const rh = Buffer.alloc(RECORD_HEADER_SIZE);
      u64(rh, 0, r.offset);
      u64(rh, 8, r.length);
      rh.writeUInt32LE(r.data ? KIND_DATA : KIND_ZERO, 16);
      w.write(rh);
      if (r.data) w.write(r.data);
      w.write(pieceDigests(r, await device.read(r.offset, r.length)));
      count++;
    }
    w.finish(count);
    faultPoint('journal-fsync');
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  try {
    faultPoint('journal-rename');
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(path.dirname(target));
  return target;
}

interface JournalRecord {
  offset: number;
  length: number;
  /** File offset of the data, or -1 for zeroes. */
  dataAt: number;
  digestsAt: number;
}

/** The records of a complete journal (checked by inspectJournal or just written), validated against the disk. */
function readRecords(fd: number, journal: string, disk: string, diskSize: number): JournalRecord[] {
  const size = fs.fstatSync(fd).size;
  const head = Buffer.alloc(HEADER_SIZE);
  fs.readSync(fd, head, 0, HEADER_SIZE, 0);
  const imageSize = Number(head.readBigUInt64LE(8));
  if (imageSize !== diskSize) {
    throw new ImageError(disk, `the commit journal ${journal} is for a disk of ${imageSize} bytes, not ${diskSize}: it does not belong to this image; remove it to use the image as it is`);
  }
  const tail = Buffer.alloc(16);
  fs.readSync(fd, tail, 0, 16, size - TRAILER_SIZE);
  const count = Number(tail.readBigUInt64LE(8));
  const out: JournalRecord[] = [];
  let pos = HEADER_SIZE;
  const rh = Buffer.alloc(RECORD_HEADER_SIZE);
  for (let i = 0; i < count; i++) {
    if (pos + RECORD_HEADER_SIZE > size - TRAILER_SIZE) throw new ImageError(disk, `the commit journal ${journal} is truncated`);
    fs.readSync(fd, rh, 0, RECORD_HEADER_SIZE, pos);
    pos += RECORD_HEADER_SIZE;
    const offset = Number(rh.readBigUInt64LE(0));
    const length = Number(rh.readBigUInt64LE(8));
    const kind = rh.readUInt32LE(16);
    if (kind !== KIND_DATA && kind !== KIND_ZERO) throw new ImageError(disk, `the commit journal ${journal} is corrupt`);
    if (offset + length > diskSize) throw new ImageError(disk, `the commit journal ${journal} writes past the end of the disk`);
    const dataAt = kind === KIND_DATA ? pos : -1;
    if (kind === KIND_DATA) pos += length;
    const digestsAt = pos;
    pos += Math.ceil(length / DIGEST_PIECE) * 2 * DIGEST_SIZE;
    if (pos > size - TRAILER_SIZE) throw new ImageError(disk, `the commit journal ${journal} is truncated`);
    out.push({ offset, length, dataAt, digestsAt });
  }
  return out;
}

/** Every piece the journal writes must hold its old or its new bytes: else the journal is another image's. */
async function checkBelongs(fd: number, records: JournalRecord[], target: BlockDevice, journal: string, disk: string): Promise<void> {
  const d = Buffer.alloc(2 * DIGEST_SIZE);
  for (const r of records) {
    for (let a = 0, i = 0; a < r.length; a += DIGEST_PIECE, i++) {
      const now = digest(await target.read(r.offset + a, Math.min(DIGEST_PIECE, r.length - a)));
      fs.readSync(fd, d, 0, d.length, r.digestsAt + i * d.length);
      if (!now.equals(d.subarray(0, DIGEST_SIZE)) && !now.equals(d.subarray(DIGEST_SIZE))) {
        throw new ImageError(disk, `the commit journal ${journal} does not match the image at byte ${r.offset + a} (the image was changed or replaced after the interrupted commit): remove the journal to use the image as it is`);
      }
    }
  }
}

/**
 * Writes the records of a complete journal to `target` (the image, or an
 * overlay over it) and flushes it. `check`: first make sure the journal
 * belongs to the image (a replay after a crash; a commit's own just-written
 * journal needs no check).
 */
export async function applyJournal(journal: string, target: BlockDevice, disk: string, opts: { check: boolean }): Promise<void> {
  const fd = fs.openSync(journal, 'r');
  try {
    const records = readRecords(fd, journal, disk, target.size);
    if (opts.check) await checkBelongs(fd, records, target, journal, disk);
    for (const r of records) {
      if (r.dataAt < 0) {
        faultPoint('image-write');
        await target.zero(r.offset, r.length);
        continue;
      }
      for (let done = 0; done < r.length; ) {
        const n = Math.min(PIECE, r.length - done);
        const piece = Buffer.alloc(n);
        fs.readSync(fd, piece, 0, n, r.dataAt + done);
        faultPoint('image-write');
        await target.write(r.offset + done, piece);
        done += n;
      }
    }
    faultPoint('image-flush');
    await target.flush();
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes a journal once its writes are on disk (or a garbage, incomplete one). */
export function removeJournal(journal: string): void {
  faultPoint('journal-remove');
  try {
    fs.unlinkSync(journal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ErrnoError(codeOfError(e), `cannot remove the commit journal ${journal}: ${(e as Error).message}`, { cause: e });
    return;
  }
  fsyncDir(path.dirname(journal));
}
