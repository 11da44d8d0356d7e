/**
 * The hive file as cells: the base block checked and parsed, the hive bins
 * scanned into a map of where cells start and which are free, and the checked
 * accessors every read goes through. An offset read from the file is used only
 * once it is known to be the start of an allocated cell inside the bins.
 */
import {
  BASE_BLOCK_SIZE,
  HBIN_HEADER_SIZE,
  HiveError,
  NONE,
  checksumMatches,
  headerChecksum,
  toFiletime,
} from './format.js';
import type { GuestkitCode } from '../errors/index.js';
import { hex } from './records.js';

export interface HiveOpenOptions {
  /** Allow edits and commit(). The bytes are copied; the caller's array is never changed. */
  write?: boolean;
  /** Timestamp written on modified keys and in the header (default: now). Fixed values make builds reproducible. */
  timestamp?: Date;
  /** Name used in error messages (e.g. the guest path of the hive). */
  name?: string;
}

export abstract class HiveCells {
  protected buf: Uint8Array;
  protected dv: DataView;
  /** Absolute end of the hive bins. */
  protected end: number;
  /** One entry per 8 bytes from 0x1000: 0 = not a cell start, 1 = allocated cell, 2 = free cell. */
  protected cellMap: Uint8Array;
  /** For each 4 KiB page from 0x1000, the absolute offset of its hbin. */
  protected pageHbin: Int32Array;
  protected seq1: number;
  protected seq2: number;
  protected readonly stamp: Date | undefined;
  protected readonly label: string;

  readonly writable: boolean;
  readonly majorVersion: number;
  readonly minorVersion: number;
  /** True when the sequence numbers differ: the hive was not cleanly written (a log may hold newer data). */
  readonly dirty: boolean;
  /** Things worth telling a user that did not stop the hive from opening. */
  readonly warnings: string[] = [];

  protected constructor(buf: Uint8Array, opts: HiveOpenOptions) {
    this.label = opts.name ?? 'hive';
    this.stamp = opts.timestamp;
    this.writable = !!opts.write;
    const len = buf.length;
    if (len < BASE_BLOCK_SIZE) throw this.err(`truncated: ${len} bytes, the base block alone is ${BASE_BLOCK_SIZE}`);
    if (buf[0] !== 0x72 || buf[1] !== 0x65 || buf[2] !== 0x67 || buf[3] !== 0x66) throw this.err('not a registry hive: no "regf" signature');
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const stored = dv.getUint32(0x1fc, true);
    const computed = headerChecksum(buf);
    if (!checksumMatches(stored, computed)) throw this.err(`bad base block checksum: stored ${hex(stored)}, computed ${hex(computed)}`);
    this.seq1 = dv.getUint32(4, true);
    this.seq2 = dv.getUint32(8, true);
    this.majorVersion = dv.getUint32(0x14, true);
    this.minorVersion = dv.getUint32(0x18, true);
    if (this.majorVersion !== 1) throw this.err(`unsupported format version ${this.majorVersion}.${this.minorVersion}`);
    const fileType = dv.getUint32(0x1c, true);
    if (fileType !== 0) throw this.err(`file type ${fileType}: a transaction log, not a primary hive`);
    this.dirty = this.seq1 !== this.seq2;
    if (this.dirty) {
      const msg = `sequence numbers differ (${this.seq1} != ${this.seq2}): the hive was not cleanly written and its log was not replayed`;
      if (this.writable) throw this.err(`${msg}; open it read-only`, 'EROFS');
      this.warnings.push(msg);
    }
    const binsSize = dv.getUint32(0x28, true);
    if (binsSize === 0 || binsSize % 4096 !== 0) throw this.err(`bad hive bins size ${hex(binsSize)}: not a non-zero multiple of 4096`);
    const end = BASE_BLOCK_SIZE + binsSize;
    if (end > len) throw this.err(`truncated: the header says ${end} bytes, the file has ${len}`);
    if (end < len) this.warnings.push(`${len - end} bytes after the last hbin ignored`);

    if (this.writable) {
      const copy = new Uint8Array(Math.max(end, 64 * 1024));
      copy.set(buf.subarray(0, end));
      buf = copy;
    }
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.end = end;
    this.cellMap = new Uint8Array((buf.length - BASE_BLOCK_SIZE + 7) >>> 3);
    this.pageHbin = new Int32Array((buf.length - BASE_BLOCK_SIZE + 4095) >>> 12);
    this.scanBins();
  }

  protected now(): bigint {
    return toFiletime(this.stamp ?? new Date());
  }

  protected err(msg: string, code: GuestkitCode = 'EHIVE'): HiveError {
    return new HiveError(`${this.label}: ${msg}`, code);
  }

  protected scanBins(): void {
    const dv = this.dv;
    let pos = BASE_BLOCK_SIZE;
    while (pos < this.end) {
      if (dv.getUint32(pos, true) !== 0x6e696268) throw this.err(`no "hbin" signature at ${hex(pos)}`);
      const rel = dv.getUint32(pos + 4, true);
      if (rel !== pos - BASE_BLOCK_SIZE) throw this.err(`hbin at ${hex(pos)} says it is at ${hex(rel + BASE_BLOCK_SIZE)}`);
      const size = dv.getUint32(pos + 8, true);
      if (size < 4096 || size % 4096 !== 0 || size > this.end - pos) throw this.err(`hbin at ${hex(pos)} has a bad size ${hex(size)}`);
      this.scanCells(pos, pos + size);
      for (let p = pos; p < pos + size; p += 4096) this.pageHbin[(p - BASE_BLOCK_SIZE) >>> 12] = pos;
      pos += size;
    }
  }

  protected scanCells(start: number, end: number): void {
    const dv = this.dv;
    let c = start + HBIN_HEADER_SIZE;
    while (c < end) {
      const s = dv.getInt32(c, true);
      const size = Math.abs(s);
      if (size < 8 || size % 8 !== 0 || size > end - c) throw this.err(`cell at ${hex(c)} has a bad size ${s} (hbin ${hex(start)}..${hex(end)})`);
      this.cellMap[(c - BASE_BLOCK_SIZE) >>> 3] = s < 0 ? 1 : 2;
      c += size;
    }
  }

  /** Absolute offset of a stored (0x1000-relative) cell offset, checked to be an allocated cell. */
  protected abs(rel: number, what: string): number {
    if (rel === NONE) throw this.err(`${what}: no cell (offset 0xffffffff)`);
    const off = rel + BASE_BLOCK_SIZE;
    this.checkCell(off, what);
    return off;
  }

  protected checkCell(off: number, what: string): void {
    if (!Number.isInteger(off) || off < BASE_BLOCK_SIZE + HBIN_HEADER_SIZE || off >= this.end || (off - BASE_BLOCK_SIZE) % 8 !== 0) {
      throw this.err(`${what}: offset ${hex(off)} is outside the hive bins`);
    }
    const st = this.cellMap[(off - BASE_BLOCK_SIZE) >>> 3];
    if (st !== 1) throw this.err(`${what}: offset ${hex(off)} is ${st === 2 ? 'a free cell' : 'not the start of a cell'}`);
  }

  /** Length of an allocated cell's data (its size minus the 4-byte header). */
  protected cellLen(off: number): number {
    return -this.dv.getInt32(off, true) - 4;
  }

  protected sig(d: number): number {
    return this.dv.getUint16(d, true);
  }

  protected u32(p: number): number {
    return this.dv.getUint32(p, true);
  }

  protected setU32(p: number, v: number): void {
    this.dv.setUint32(p, v >>> 0, true);
  }
}
