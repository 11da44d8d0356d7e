/**
 * The tar archive format as GNU tar writes and reads it: 512-byte records,
 * ustar headers with octal (or base-256) numbers, GNU long-name records ('L',
 * 'K') and pax extended headers ('x') for names that do not fit. Only the
 * format lives here; walking a guest tree and unpacking into one are
 * guest-tar-out.ts and guest-tar-in.ts.
 */

export const BLOCK = 512;

export type TarType = 'file' | 'hardlink' | 'symlink' | 'chardev' | 'blockdev' | 'directory' | 'fifo';

export interface TarEntry {
  /** As stored: relative, "./etc/hostname" or "etc/hostname"; directories may end in '/'. */
  name: string;
  type: TarType;
  /** Permission bits (and setuid/setgid/sticky). */
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  size: number;
  mtime: number;
  /** Symlink target, or the member a hard link names. */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

const TYPE_FLAG: Record<TarType, string> = {
  file: '0', hardlink: '1', symlink: '2', chardev: '3', blockdev: '4', directory: '5', fifo: '6',
};
const FLAG_TYPE: Record<string, TarType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'chardev', '4': 'blockdev', '5': 'directory', '6': 'fifo',
};

/** Raised for bytes that are not a tar archive (or a damaged one). */
export class TarFormatError extends Error {}

// ---------------------------------------------------------------- writing

function putString(h: Uint8Array, off: number, len: number, s: string): void {
  h.set(Buffer.from(s, 'utf8').subarray(0, len), off);
}

/** Octal, NUL-terminated, as GNU tar writes; base-256 when the value does not fit. */
function putNumber(h: Uint8Array, off: number, len: number, n: number): void {
  const octal = Math.max(0, Math.trunc(n)).toString(8);
  if (n >= 0 && octal.length < len) {
    putString(h, off, len, octal.padStart(len - 1, '0'));
    return;
  }
  let v = BigInt(Math.trunc(n));
  for (let i = off + len - 1; i > off; i--) {
    h[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  h[off] = 0x80;
}

function checksum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum;
}

function header(e: TarEntry, name: string, linkname: string, typeflag: string, size: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  putString(h, 0, 100, name);
  putNumber(h, 100, 8, e.mode & 0o7777);
  putNumber(h, 108, 8, e.uid);
  putNumber(h, 116, 8, e.gid);
  putNumber(h, 124, 12, size);
  putNumber(h, 136, 12, e.mtime);
  h[156] = typeflag.charCodeAt(0);
  putString(h, 157, 100, linkname);
  putString(h, 257, 8, 'ustar  \0'); // GNU magic and version
  putString(h, 265, 32, e.uname ?? '');
  putString(h, 297, 32, e.gname ?? '');
  if (e.type === 'chardev' || e.type === 'blockdev') {
    putNumber(h, 329, 8, e.devmajor ?? 0);
    putNumber(h, 337, 8, e.devminor ?? 0);
  }
  const sum = checksum(h);
  putString(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

function padded(data: Uint8Array): Uint8Array[] {
  const rest = data.length % BLOCK;
  return rest ? [data, new Uint8Array(BLOCK - rest)] : [data];
}

/** A GNU long-name ('L') or long-link ('K') record carrying `value`. */
function longRecord(flag: 'L' | 'K', value: string): Uint8Array[] {
  const data = Buffer.concat([Buffer.from(value, 'utf8'), Buffer.alloc(1)]);
  const h = header({ name: '', type: 'file', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 }, '././@LongLink', '', flag, data.length);
  return [h, ...padded(data)];
}

/** The header records of one member (its data follows, padded with paddingFor). */
export function encodeHeader(e: TarEntry): Uint8Array[] {
  const out: Uint8Array[] = [];
  const link = e.linkname ?? '';
  if (Buffer.byteLength(link) >= 100) out.push(...longRecord('K', link));
  if (Buffer.byteLength(e.name) >= 100) out.push(...longRecord('L', e.name));
  const size = e.type === 'file' ? e.size : 0;
  out.push(header(e, truncateUtf8(e.name, 100), truncateUtf8(link, 100), TYPE_FLAG[e.type], size));
  return out;
}

function truncateUtf8(s: string, len: number): string {
  return Buffer.from(s, 'utf8').subarray(0, len).toString('utf8');
}

/** Zero bytes that round a member's data up to a whole record. */
export function paddingFor(size: number): Uint8Array {
  const rest = size % BLOCK;
  return new Uint8Array(rest ? BLOCK - rest : 0);
}

/** The end of an archive: two zero records (GNU tar then pads to its 10 KiB blocking). */
export function endOfArchive(written: number): Uint8Array {
  const blocking = 20 * BLOCK;
  const end = written + 2 * BLOCK;
  return new Uint8Array(2 * BLOCK + ((blocking - (end % blocking)) % blocking));
}

// ---------------------------------------------------------------- reading

function getString(h: Uint8Array, off: number, len: number): string {
  const field = h.subarray(off, off + len);
  const nul = field.indexOf(0);
  return Buffer.from(nul < 0 ? field : field.subarray(0, nul)).toString('utf8');
}

function getNumber(h: Uint8Array, off: number, len: number): number {
  if (h[off]! & 0x80) {
    let v = BigInt(h[off]! & 0x7f);
    for (let i = off + 1; i < off + len; i++) v = (v << 8n) | BigInt(h[i]!);
    return Number(v);
  }
  const s = getString(h, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError('This does not look like a tar archive');
  return parseInt(s, 8);
}

export function isZeroBlock(h: Uint8Array): boolean {
  return h.every((b) => b === 0);
}

/** What one header record says; extended records ('L', 'K', 'x', 'g') come back as such. */
export type RawHeader =
  | { kind: 'entry'; entry: TarEntry; /** Bytes of data that follow (whatever the type). */ dataSize: number }
  | { kind: 'longname' | 'longlink' | 'pax' | 'globalpax'; size: number };

export function decodeHeader(h: Uint8Array): RawHeader {
  const stored = getNumber(h, 148, 8);
  if (stored !== checksum(h)) throw new TarFormatError('This does not look like a tar archive');
  const flag = String.fromCharCode(h[156]!);
  const size = getNumber(h, 124, 12);
  if (flag === 'L') return { kind: 'longname', size };
  if (flag === 'K') return { kind: 'longlink', size };
  if (flag === 'x') return { kind: 'pax', size };
  if (flag === 'g') return { kind: 'globalpax', size };
  const type = FLAG_TYPE[flag];
  if (!type) throw new TarFormatError(`unsupported member type '${flag}'`);
  const magic = getString(h, 257, 6);
  const prefix = magic === 'ustar' ? getString(h, 345, 155) : '';
  const name = getString(h, 0, 100);
  return {
    kind: 'entry',
    dataSize: type === 'directory' ? 0 : size,
    entry: {
      name: prefix ? `${prefix}/${name}` : name,
      type,
      mode: getNumber(h, 100, 8) & 0o7777,
      uid: getNumber(h, 108, 8),
      gid: getNumber(h, 116, 8),
      size: type === 'file' ? size : 0,
      mtime: getNumber(h, 136, 12),
      linkname: getString(h, 157, 100) || undefined,
      uname: getString(h, 265, 32) || undefined,
      gname: getString(h, 297, 32) || undefined,
      devmajor: getNumber(h, 329, 8),
      devminor: getNumber(h, 337, 8),
    },
  };
}

/** A long-name record's data: the name up to its NUL. */
export function decodeLongName(data: Uint8Array): string {
  const nul = data.indexOf(0);
  return Buffer.from(nul < 0 ? data : data.subarray(0, nul)).toString('utf8');
}

/** A pax extended header's "LEN key=value\n" records. */
export function decodePax(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp < 0) break;
    const len = parseInt(Buffer.from(data.subarray(pos, sp)).toString('latin1'), 10);
    if (!(len > 0) || pos + len > data.length) throw new TarFormatError('bad pax extended header');
    const rec = Buffer.from(data.subarray(sp + 1, pos + len - 1)).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    pos += len;
  }
  return out;
}

/** Applies pax keys (path, linkpath, size, uid, gid, mtime, uname, gname) to an entry. */
export function applyPax(e: TarEntry, pax: Map<string, string>): TarEntry {
  const num = (k: string): number | undefined => (pax.has(k) ? Number(pax.get(k)) : undefined);
  return {
    ...e,
    name: pax.get('path') ?? e.name,
    linkname: pax.get('linkpath') ?? e.linkname,
    size: e.type === 'file' ? num('size') ?? e.size : 0,
    uid: num('uid') ?? e.uid,
    gid: num('gid') ?? e.gid,
    mtime: Math.floor(num('mtime') ?? e.mtime),
    uname: pax.get('uname') ?? e.uname,
    gname: pax.get('gname') ?? e.gname,
  };
}
