/**
 * ISO 9660 directory records (ECMA-119 9.1): the fixed 33-byte head, the file
 * identifier and the system use area after it (where SUSP/Rock Ridge entries
 * live). Records never cross a logical sector; a zero length byte means the
 * rest of the sector is padding.
 */
import { FsError } from '../fs-driver.js';

/** Record flags (the hidden bit, 0x01, changes nothing: Linux lists hidden files by default). */
export const FLAG_DIRECTORY = 0x02, FLAG_ASSOCIATED = 0x04, FLAG_MULTI_EXTENT = 0x80;
const HEAD = 33;

export interface DirRecord {
  /** Absolute byte offset of the record on the device. */
  offset: number;
  /** Extended attribute record length, in logical blocks, before the data. */
  xarBlocks: number;
  extent: number;
  dataLength: number;
  /** The 7-byte recording date. */
  date: Uint8Array;
  flags: number;
  interleaved: boolean;
  name: Uint8Array;
  systemUse: Uint8Array;
}

export function corrupt(what: string): FsError {
  return new FsError('EUCLEAN', `iso9660: ${what}: the filesystem is corrupt`);
}

/** Parses the record at `pos` of `buf` (a whole directory extent); its length byte is non-zero. */
export function parseDirRecord(buf: Uint8Array, pos: number, base: number): DirRecord {
  const len = buf[pos]!;
  const nameLen = buf[pos + 32] ?? 0;
  if (len < HEAD + nameLen || pos + len > buf.length) throw corrupt(`directory record at byte ${base + pos} has length ${len}`);
  const dv = new DataView(buf.buffer, buf.byteOffset + pos, len);
  // Both-endian fields: the little-endian half is the one Linux reads.
  const suStart = HEAD + nameLen + (nameLen % 2 === 0 ? 1 : 0);
  return {
    offset: base + pos,
    xarBlocks: buf[pos + 1]!,
    extent: dv.getUint32(2, true),
    dataLength: dv.getUint32(10, true),
    date: buf.subarray(pos + 18, pos + 25),
    flags: buf[pos + 25]!,
    interleaved: buf[pos + 26] !== 0 || buf[pos + 27] !== 0,
    name: buf.subarray(pos + HEAD, pos + HEAD + nameLen),
    systemUse: suStart < len ? buf.subarray(pos + suStart, pos + len) : new Uint8Array(0),
  };
}

/** Every record of a directory extent, in order ('.' and '..' included). */
export function dirRecords(buf: Uint8Array, base: number, blockSize: number): DirRecord[] {
  const out: DirRecord[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const len = buf[pos]!;
    if (len === 0) {
      pos = (Math.floor(pos / blockSize) + 1) * blockSize;
      continue;
    }
    const rec = parseDirRecord(buf, pos, base);
    if (Math.floor(pos / blockSize) !== Math.floor((pos + len - 1) / blockSize)) throw corrupt(`directory record at byte ${base + pos} crosses a sector boundary`);
    out.push(rec);
    pos += len;
  }
  return out;
}

/**
 * A 7-byte recording date (years since 1900, month, day, hour, minute, second,
 * signed offset from GMT in 15-minute units) as seconds since the epoch. An
 * offset outside +-13 hours is ignored, as Linux does.
 */
export function shortDate(d: Uint8Array): number {
  const tz = (d[6]! << 24) >> 24;
  const t = Date.UTC(1900 + d[0]!, d[1]! - 1, d[2]!, d[3]!, d[4]!, d[5]!) / 1000;
  return tz >= -52 && tz <= 52 ? t - tz * 900 : t;
}

/** A 17-byte date ("YYYYMMDDHHMMSScc" and the GMT offset byte) as seconds and nanoseconds; zero when unset. */
export function longDate(d: Uint8Array): { sec: number; nsec: number } {
  const s = Buffer.from(d.subarray(0, 16)).toString('latin1');
  if (!/^\d{16}$/.test(s)) return { sec: 0, nsec: 0 };
  const n = (i: number, l: number) => Number(s.slice(i, i + l));
  const tz = (d[16]! << 24) >> 24;
  let t = Date.UTC(n(0, 4), n(4, 2) - 1, n(6, 2), n(8, 2), n(10, 2), n(12, 2)) / 1000;
  if (tz >= -52 && tz <= 52) t -= tz * 900;
  return { sec: t, nsec: n(14, 2) * 10_000_000 };
}
