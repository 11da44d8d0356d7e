/** virt-ls -lR line formats: space-separated columns, or CSV. */
import { csvField } from '../../src/util/csv.js';
import { humanReadable } from '../../src/util/human.js';
import { splitDev } from '../../src/util/ls-la.js';
import type { FileRecord } from './ls-compute.js';

export interface LsFormat {
  csv: boolean;
  human: boolean;
  uids: boolean;
  times: false | 'local' | 't' | 'relative' | 'days';
  extraStats: boolean;
  checksum: boolean;
  /** Seconds since the epoch, for --time-relative/--time-days. */
  now: number;
}

function typeChar(mode: number): string {
  switch (mode & 0o170000) {
    case 0o100000: return '-';
    case 0o040000: return 'd';
    case 0o020000: return 'c';
    case 0o060000: return 'b';
    case 0o010000: return 'p';
    case 0o120000: return 'l';
    case 0o140000: return 's';
    default: return 'u';
  }
}

const pad = (s: string, width: number, csv: boolean) => (csv ? s : s.padStart(width));
const two = (n: number) => String(n).padStart(2, '0');

function localTime(sec: number): string {
  const d = new Date(sec * 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export function formatRecord(r: FileRecord, f: LsFormat): string {
  const fields: string[] = [];
  const str = (s: string) => fields.push(f.csv ? csvField(s) : s);
  const a = r.attr;
  str(typeChar(a.mode));
  fields.push((a.mode & 0o7777).toString(8).padStart(4, '0'));
  fields.push(pad(f.human ? humanReadable(a.size) : String(a.size), 10, f.csv));
  // Only the size loses its padding in CSV; ids and times keep theirs, as virt-ls prints them.
  if (f.uids) {
    fields.push(String(a.uid).padStart(4), String(a.gid).padStart(4));
  }
  if (f.times) {
    for (const t of [a.atime.sec, a.mtime.sec, a.ctime.sec]) {
      switch (f.times) {
        case 't': fields.push(String(t).padStart(10)); break;
        case 'relative': fields.push(String(f.now - t).padStart(8)); break;
        case 'days': fields.push(String(Math.trunc((f.now - t) / 86400)).padStart(3)); break;
        default: fields.push(localTime(t));
      }
    }
  }
  if (f.extraStats) {
    fields.push(splitDev(a.dev).join(':'), String(a.ino), String(a.nlink), splitDev(a.rdev).join(':'), String(a.blocks));
  }
  if (f.checksum) {
    if (r.checksum !== undefined) str(r.checksum);
    else if (f.csv) str('');
  }
  str(r.path);
  if (r.link !== undefined) {
    if (f.csv) str(r.link);
    else fields.push(`-> ${r.link}`);
  }
  return fields.join(f.csv ? ',' : ' ') + '\n';
}
