/**
 * Windows registry hive ("regf") constants and small encoding helpers.
 *
 * Layout summary (all integers little-endian, offsets inside cells are
 * relative to the start of the cell's data, i.e. after its 4-byte size):
 *  - base block, 4096 bytes: "regf", two sequence numbers, FILETIME, version,
 *    root cell offset, size of the hive bins data, XOR checksum of the first
 *    508 bytes at 0x1FC.
 *  - hbins (4 KiB multiples) from file offset 0x1000: "hbin", own offset,
 *    own size, then cells. A cell starts with an int32 size (negative when
 *    allocated), sizes are multiples of 8, cells never cross an hbin.
 *  - cell offsets stored in records are relative to 0x1000; 0xFFFFFFFF = none.
 */
import { GuestkitError, type ErrorDetails, type GuestkitCode } from '../errors/index.js';
import { concatBytes } from '../util/concat-bytes.js';

/** Corrupt or unsupported hive data: code 'EHIVE'. Usage errors use an errno code. */
export class HiveError extends GuestkitError {
  constructor(message: string, code: GuestkitCode = 'EHIVE', details: ErrorDetails = {}) {
    super(code, message, details);
    this.name = 'HiveError';
  }
}

export const REG_NONE = 0;
export const REG_SZ = 1;
export const REG_EXPAND_SZ = 2;
export const REG_BINARY = 3;
export const REG_DWORD = 4;
export const REG_DWORD_BIG_ENDIAN = 5;
export const REG_LINK = 6;
export const REG_MULTI_SZ = 7;
export const REG_RESOURCE_LIST = 8;
export const REG_FULL_RESOURCE_DESCRIPTOR = 9;
export const REG_RESOURCE_REQUIREMENTS_LIST = 10;
export const REG_QWORD = 11;

export const REG_TYPE_NAMES: readonly string[] = [
  'REG_NONE',
  'REG_SZ',
  'REG_EXPAND_SZ',
  'REG_BINARY',
  'REG_DWORD',
  'REG_DWORD_BIG_ENDIAN',
  'REG_LINK',
  'REG_MULTI_SZ',
  'REG_RESOURCE_LIST',
  'REG_FULL_RESOURCE_DESCRIPTOR',
  'REG_RESOURCE_REQUIREMENTS_LIST',
  'REG_QWORD',
];

export const BASE_BLOCK_SIZE = 0x1000;
export const HBIN_HEADER_SIZE = 0x20;
export const NONE = 0xffffffff;
/** Largest value data kept in one cell; longer data goes to "db" segments (hive 1.4+). */
export const BIG_DATA_SEGMENT = 16344;

// nk flags
export const KEY_VOLATILE = 0x0001;
export const KEY_HIVE_EXIT = 0x0002;
export const KEY_HIVE_ENTRY = 0x0004;
export const KEY_NO_DELETE = 0x0008;
export const KEY_SYM_LINK = 0x0010;
export const KEY_COMP_NAME = 0x0020;
// vk flags
export const VALUE_COMP_NAME = 0x0001;

// nk field offsets (from the cell data)
export const NK = {
  sig: 0x00,
  flags: 0x02,
  timestamp: 0x04,
  access: 0x0c,
  parent: 0x10,
  nSubkeys: 0x14,
  nVolatileSubkeys: 0x18,
  subkeys: 0x1c,
  volatileSubkeys: 0x20,
  nValues: 0x24,
  values: 0x28,
  security: 0x2c,
  className: 0x30,
  maxSubkeyName: 0x34,
  maxSubkeyClass: 0x38,
  maxValueName: 0x3c,
  maxValueData: 0x40,
  workVar: 0x44,
  nameLength: 0x48,
  classLength: 0x4a,
  name: 0x4c,
} as const;

// vk field offsets
export const VK = {
  sig: 0x00,
  nameLength: 0x02,
  dataSize: 0x04,
  data: 0x08,
  type: 0x0c,
  flags: 0x10,
  name: 0x14,
} as const;

// sk field offsets
export const SK = {
  sig: 0x00,
  flink: 0x04,
  blink: 0x08,
  refCount: 0x0c,
  descriptorSize: 0x10,
  descriptor: 0x14,
} as const;

/** FILETIME (100 ns ticks since 1601-01-01) of a Date. */
export function toFiletime(d: Date): bigint {
  return (BigInt(d.getTime()) + 11644473600000n) * 10000n;
}

export function fromFiletime(t: bigint): Date {
  return new Date(Number(t / 10000n - 11644473600000n));
}

/** The header checksum: XOR of the first 127 dwords, with Windows' two reserved results remapped. */
export function headerChecksum(buf: Uint8Array): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, 508);
  let x = 0;
  for (let i = 0; i < 508; i += 4) x ^= dv.getUint32(i, true);
  x >>>= 0;
  return x;
}

export function checksumMatches(stored: number, computed: number): boolean {
  if (stored === computed) return true;
  // Windows writes 0xFFFFFFFE for 0xFFFFFFFF and 1 for 0.
  return (computed === 0xffffffff && stored === 0xfffffffe) || (computed === 0 && stored === 1);
}

export function windowsChecksum(computed: number): number {
  if (computed === 0xffffffff) return 0xfffffffe;
  if (computed === 0) return 1;
  return computed;
}

let upcaseTable: Uint16Array | undefined;

/** Windows-style upcase of one UTF-16 code unit (no expansion: ß stays ß). */
export function upcaseUnit(c: number): number {
  if (c < 0x80) return c >= 0x61 && c <= 0x7a ? c - 32 : c;
  upcaseTable ??= new Uint16Array(65536);
  let u = upcaseTable[c]!;
  if (u === 0) {
    const s = String.fromCharCode(c).toUpperCase();
    u = upcaseTable[c] = s.length === 1 ? s.charCodeAt(0) : c;
  }
  return u;
}

/** Case-insensitive order of key names, as Windows sorts subkey lists. */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = upcaseUnit(a.charCodeAt(i));
    const y = upcaseUnit(b.charCodeAt(i));
    if (x !== y) return x - y;
  }
  return a.length - b.length;
}

export function namesEqual(a: string, b: string): boolean {
  return a.length === b.length && compareNames(a, b) === 0;
}

/** The hash stored in "lh" subkey lists. */
export function lhHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 37) + upcaseUnit(name.charCodeAt(i))) >>> 0;
  return h;
}

/** True when a name can be stored "compressed" (one byte a character). ASCII only, to be safe with every reader. */
export function isCompressible(name: string): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) > 0x7f) return false;
  return true;
}

export function decodeLatin1(buf: Uint8Array, start: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i += 4096) {
    s += String.fromCharCode.apply(null, Array.from(buf.subarray(start + i, start + Math.min(len, i + 4096))));
  }
  return s;
}

export function decodeUtf16(buf: Uint8Array, start: number, len: number): string {
  const n = len >>> 1;
  let s = '';
  const units: number[] = [];
  for (let i = 0; i < n; i++) {
    units.push(buf[start + 2 * i]! | (buf[start + 2 * i + 1]! << 8));
    if (units.length === 4096) {
      s += String.fromCharCode.apply(null, units);
      units.length = 0;
    }
  }
  if (units.length) s += String.fromCharCode.apply(null, units);
  return s;
}

export function encodeUtf16(s: string, nul = false): Uint8Array {
  const out = new Uint8Array(s.length * 2 + (nul ? 2 : 0));
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[2 * i] = c & 0xff;
    out[2 * i + 1] = c >> 8;
  }
  return out;
}

/** Encodes a JavaScript value as registry data of the given type. */
export function encodeValueData(type: number, value: string | number | bigint | readonly string[] | Uint8Array): Uint8Array {
  if (value instanceof Uint8Array) return value;
  switch (type) {
    case REG_SZ:
    case REG_EXPAND_SZ:
    case REG_LINK:
      if (typeof value !== 'string') break;
      return encodeUtf16(value, type !== REG_LINK);
    case REG_MULTI_SZ: {
      if (!Array.isArray(value)) break;
      const parts = (value as readonly string[]).map((s) => encodeUtf16(s, true));
      return concatBytes(parts, parts.reduce((a, p) => a + p.length, 0) + 2); // + the list's closing NUL
    }
    case REG_DWORD:
    case REG_DWORD_BIG_ENDIAN: {
      if (typeof value !== 'number' && typeof value !== 'bigint') break;
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, Number(BigInt.asUintN(32, BigInt(value))), type === REG_DWORD);
      return out;
    }
    case REG_QWORD: {
      if (typeof value !== 'number' && typeof value !== 'bigint') break;
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true);
      return out;
    }
  }
  throw new HiveError(`cannot encode a ${typeof value} as ${REG_TYPE_NAMES[type] ?? `type ${type}`}: give a Uint8Array`, 'EINVAL');
}
