/**
 * RPM header blobs as the rpm database stores them (no lead, no magic): a
 * big-endian count of index entries and of data bytes, 16-byte entries
 * (tag, type, offset, count), then the data store. Only what inspection
 * needs is decoded; every offset is bounds-checked so a corrupt blob throws
 * a RangeError instead of reading garbage.
 */

export const RPMTAG = {
  NAME: 1000, VERSION: 1001, RELEASE: 1002, EPOCH: 1003, SUMMARY: 1004, DESCRIPTION: 1005,
  VENDOR: 1011, URL: 1020, ARCH: 1022, SOURCERPM: 1044,
} as const;

export const RPM_TYPE = { NULL: 0, CHAR: 1, INT8: 2, INT16: 3, INT32: 4, INT64: 5, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9 } as const;

/** A decoded entry: strings (STRING, STRING_ARRAY, I18NSTRING), numbers (INT*), or raw bytes (BIN, CHAR). */
export type RpmValue = string[] | number[] | Uint8Array;

/** More entries or data than any real header has (rpm's own limits: 0xffff entries, 256 MiB). */
const MAX_ENTRIES = 0xffff;
const MAX_DATA = 256 * 1024 * 1024;

export function parseRpmHeader(blob: Uint8Array): Map<number, RpmValue> {
  if (blob.length < 8) throw new RangeError('rpm header: shorter than its preamble');
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const il = view.getUint32(0);
  const dl = view.getUint32(4);
  if (il < 1 || il > MAX_ENTRIES || dl > MAX_DATA || 8 + il * 16 + dl > blob.length) {
    throw new RangeError(`rpm header: ${il} entries and ${dl} data bytes do not fit in ${blob.length} bytes`);
  }
  const dataStart = 8 + il * 16;
  const data = blob.subarray(dataStart, dataStart + dl);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const text = new TextDecoder('utf-8');
  const cstrings = (offset: number, count: number): string[] => {
    const out: string[] = [];
    let p = offset;
    for (let i = 0; i < count; i++) {
      const end = data.indexOf(0, p);
      if (end < 0) throw new RangeError('rpm header: unterminated string');
      out.push(text.decode(data.subarray(p, end)));
      p = end + 1;
    }
    return out;
  };
  const tags = new Map<number, RpmValue>();
  for (let i = 0; i < il; i++) {
    const e = 8 + i * 16;
    const tag = view.getUint32(e);
    const type = view.getUint32(e + 4);
    const offset = view.getInt32(e + 8);
    const count = view.getUint32(e + 12);
    // Region tags (HEADERIMMUTABLE and friends) point at a trailer, not at values.
    if (tag >= 61 && tag <= 63) continue;
    if (offset < 0 || offset > dl) throw new RangeError(`rpm header: tag ${tag} points outside the data`);
    const need = (size: number) => {
      if (offset + size * count > dl) throw new RangeError(`rpm header: tag ${tag} runs past the data`);
    };
    switch (type) {
      case RPM_TYPE.STRING:
        tags.set(tag, cstrings(offset, 1));
        break;
      case RPM_TYPE.STRING_ARRAY:
      case RPM_TYPE.I18NSTRING:
        tags.set(tag, cstrings(offset, count));
        break;
      case RPM_TYPE.INT8:
        need(1);
        tags.set(tag, Array.from(data.subarray(offset, offset + count)));
        break;
      case RPM_TYPE.INT16:
        need(2);
        tags.set(tag, Array.from({ length: count }, (_, k) => dv.getUint16(offset + 2 * k)));
        break;
      case RPM_TYPE.INT32:
        need(4);
        tags.set(tag, Array.from({ length: count }, (_, k) => dv.getUint32(offset + 4 * k)));
        break;
      case RPM_TYPE.INT64:
        need(8);
        tags.set(tag, Array.from({ length: count }, (_, k) => Number(dv.getBigUint64(offset + 8 * k))));
        break;
      case RPM_TYPE.CHAR:
      case RPM_TYPE.BIN:
        need(1);
        tags.set(tag, data.subarray(offset, offset + count));
        break;
      case RPM_TYPE.NULL:
        break;
      default:
        throw new RangeError(`rpm header: tag ${tag} has unknown type ${type}`);
    }
  }
  return tags;
}

/** A string tag as rpm's headerFormat("%{TAG}") prints it: the first (C locale) string, "(none)" when absent. */
export function rpmString(tags: Map<number, RpmValue>, tag: number): string {
  const v = tags.get(tag);
  if (Array.isArray(v) && v.length > 0) return String(v[0]);
  return '(none)';
}

/** A number tag (EPOCH), 0 when absent, as headerGetNumber returns. */
export function rpmNumber(tags: Map<number, RpmValue>, tag: number): number {
  const v = tags.get(tag);
  return Array.isArray(v) && typeof v[0] === 'number' ? v[0] : 0;
}
