/**
 * virt-diff's lines: "-"/"+"/"=" then the file (type, mode, size, the optional columns,
 * checksum, path, link target, xattrs), "# changed:" naming the fields, space-separated
 * or CSV. Column formats come from the virt-ls helpers; only what virt-diff prints
 * differently (uids unpadded in CSV, atime only with --atime) is decided here.
 */
import { csvField } from '../../src/util/csv.js';
import type { TimeFormat } from '../common/tool-output.js';
import { humanReadable } from '../../src/util/human.js';
import { splitDev } from '../../src/util/ls-la.js';
import { fileTypeChar } from '../../src/util/mode-string.js';
import { isLnk, type GuestFile } from './diff-walk.js';
import type { Change } from './diff-compare.js';

export interface DiffFormat {
  csv: boolean;
  human: boolean;
  uids: boolean;
  times: TimeFormat;
  /** --atime: the atime column too (with a times option). */
  atime: boolean;
  extraStats: boolean;
  xattrs: boolean;
  /** Seconds since the epoch, for --time-relative/--time-days. */
  now: number;
}

const two = (n: number) => String(n).padStart(2, '0');

function localTime(sec: number): string {
  const d = new Date(sec * 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

function timeField(sec: number, f: DiffFormat): string {
  switch (f.times) {
    case 't': return String(sec).padStart(10);
    case 'relative': return String(f.now - sec).padStart(8);
    case 'days': return String(Math.trunc((f.now - sec) / 86400)).padStart(3);
    default: return localTime(sec);
  }
}

/** An xattr value: printable ASCII as is, other bytes as \xNN (CSV quotes it then, with %2x). */
function binaryField(v: string, csv: boolean): string {
  const printable = (c: number) => c >= 0x20 && c < 0x7f;
  let plain = '';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    plain += printable(c) ? v[i] : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  if (!csv || ![...v].some((ch) => !printable(ch.charCodeAt(0)) || ' ",\n'.includes(ch))) return plain;
  let q = '"';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    // virt-diff passes a signed char to %2x here: bytes from 0x80 come out sign-extended.
    q += v[i] === '"' ? '""' : printable(c) ? v[i] : `\\x${(c >= 0x80 ? (0xffffff00 | c) >>> 0 : c).toString(16).padStart(2, ' ')}`;
  }
  return q + '"';
}

function fileFields(file: GuestFile, f: DiffFormat): string[] {
  const s = file.stat;
  const str = (x: string) => (f.csv ? csvField(x) : x);
  const size = f.human ? humanReadable(s.st_size!) : String(s.st_size);
  const out = [fileTypeChar(s.st_mode!).replace('?', 'u'), (s.st_mode! & 0o7777).toString(8).padStart(4, '0'), f.csv ? size : size.padStart(10)];
  if (f.uids) {
    for (const id of [s.st_uid!, s.st_gid!]) out.push(f.csv ? String(id) : String(id).padStart(4));
  }
  if (f.times) {
    if (f.atime) out.push(timeField(s.st_atime_sec!, f));
    out.push(timeField(s.st_mtime_sec!, f), timeField(s.st_ctime_sec!, f));
  }
  if (f.extraStats) {
    out.push(splitDev(s.st_dev!).join(':'), String(s.st_ino), String(s.st_nlink), splitDev(s.st_rdev!).join(':'), String(s.st_blocks));
  }
  if (file.csum !== undefined) out.push(str(file.csum));
  out.push(str(file.path));
  if (isLnk(s.st_mode!) && file.link !== undefined) out.push(f.csv ? str(file.link) : `-> ${file.link}`);
  if (f.xattrs) {
    for (const x of file.xattrs) out.push(str(x.attrname), binaryField(x.attrval, f.csv));
  }
  return out;
}

/** One output line (with its newline). */
export function fileLine(sign: '-' | '+' | '=', file: GuestFile, f: DiffFormat): string {
  return [sign, ...fileFields(file, f)].join(f.csv ? ',' : ' ') + '\n';
}

/** The lines of one change, before any content diff. */
export function changeLines(c: Change, f: DiffFormat): string {
  switch (c.kind) {
    case 'deleted': return fileLine('-', c.file, f);
    case 'added': return fileLine('+', c.file, f);
    case 'content': return fileLine('=', c.a, f);
    case 'stats': return fileLine('-', c.a, f) + fileLine('+', c.b, f) + ['#', 'changed:', ...c.fields].join(f.csv ? ',' : ' ') + '\n';
  }
}
