/**
 * systemd journal files read in TypeScript, after systemd.io/JOURNAL_FILE_FORMAT:
 * the header, the chain of entry arrays (regular and compact), entry objects and
 * their data objects. Compressed data objects (xz, lz4, zstd) are refused with a
 * clear error: Node has no decoder for them. Everything is bounds-checked: a
 * damaged file is an EINVAL naming it, never a wrong read.
 */
import { ErrnoError } from '../errors/index.js';

const SIGNATURE = 'LPKSHHRH';
const INCOMPAT_COMPACT = 0x10;
const OBJECT_DATA = 1;
const OBJECT_ENTRY = 3;
const OBJECT_ENTRY_ARRAY = 6;

export interface JournalEntry {
  seqnum: number;
  realtime: number;
  monotonic: number;
  /** "FIELD=value" payloads, in the entry's item order. */
  fields: Uint8Array[];
}

export function readJournalFile(bytes: Uint8Array, name: string): JournalEntry[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string) => new ErrnoError('EINVAL', `${name}: not a valid journal file: ${why}`);
  const u64 = (o: number) => {
    if (o < 0 || o + 8 > bytes.length) throw bad(`offset ${o} out of the file`);
    return Number(dv.getBigUint64(o, true));
  };
  const u32 = (o: number) => {
    if (o < 0 || o + 4 > bytes.length) throw bad(`offset ${o} out of the file`);
    return dv.getUint32(o, true);
  };
  if (bytes.length < 208 || Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== SIGNATURE) throw bad('no LPKSHHRH signature');
  const compact = (u32(12) & INCOMPAT_COMPACT) !== 0;
  const object = (o: number, type: number) => {
    if (o % 8 !== 0 || o + 16 > bytes.length || bytes[o] !== type) throw bad(`no object of type ${type} at ${o}`);
    const size = u64(o + 8);
    if (size < 16 || o + size > bytes.length) throw bad(`object at ${o} runs past the file`);
    return { flags: bytes[o + 1]!, size };
  };
  const dataPayload = (o: number): Uint8Array => {
    const { flags, size } = object(o, OBJECT_DATA);
    if (flags & 0x7) throw new ErrnoError('ENOTSUP', `${name}: compressed journal data (xz, lz4, zstd) is not read by guestkit`);
    const start = o + (compact ? 72 : 64);
    return bytes.slice(start, o + size);
  };
  const entry = (o: number): JournalEntry => {
    const { size } = object(o, OBJECT_ENTRY);
    const itemSize = compact ? 4 : 16;
    const fields: Uint8Array[] = [];
    for (let p = o + 64; p + itemSize <= o + size; p += itemSize) {
      const data = compact ? u32(p) : u64(p);
      if (data) fields.push(dataPayload(data));
    }
    return { seqnum: u64(o + 16), realtime: u64(o + 24), monotonic: u64(o + 32), fields };
  };
  const total = u64(152);
  const out: JournalEntry[] = [];
  const seen = new Set<number>();
  for (let arr = u64(176); arr && out.length < total;) {
    if (seen.has(arr)) throw bad('the entry arrays loop');
    seen.add(arr);
    const { size } = object(arr, OBJECT_ENTRY_ARRAY);
    const itemSize = compact ? 4 : 8;
    for (let p = arr + 24; p + itemSize <= arr + size && out.length < total; p += itemSize) {
      const e = compact ? u32(p) : u64(p);
      if (!e) break;
      out.push(entry(e));
    }
    arr = u64(arr + 16);
  }
  return out;
}
