/**
 * The text of `ls -la` (GNU coreutils, C locale, UTC) for a directory's entries, as
 * guestfish's ll prints it: owners and groups numeric (so right-aligned), as the appliance prints them.
 */
import type { StatResult } from '../fs/vfs.js';
import { modeString } from './mode-string.js';

export interface LsEntry {
  name: string;
  attr: StatResult;
  link?: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SIX_MONTHS = (365.2425 / 2) * 86400;

export function lsDate(sec: number, now: number): string {
  const d = new Date(sec * 1000);
  const mon = MONTHS[d.getUTCMonth()]!;
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const recent = sec <= now && now - sec < SIX_MONTHS;
  if (recent) {
    return `${mon} ${day} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  }
  return `${mon} ${day}  ${d.getUTCFullYear()}`;
}

const owner = (id: number) => String(id);

function sizeField(a: StatResult): string {
  const t = a.mode & 0o170000;
  if (t === 0o020000 || t === 0o060000) {
    const major = ((a.rdev >> 8) & 0xfff) | ((a.rdev >>> 32) & ~0xfff);
    const minor = (a.rdev & 0xff) | ((a.rdev >> 12) & ~0xff);
    return `${major}, ${String(minor).padStart(3)}`;
  }
  return String(a.size);
}

export function formatLsLa(entries: LsEntry[], now: number): string {
  const sorted = [...entries].sort((x, y) => Buffer.compare(Buffer.from(x.name), Buffer.from(y.name)));
  const total = Math.ceil(sorted.reduce((n, e) => n + e.attr.blocks, 0) / 2);
  const rows = sorted.map((e) => ({
    mode: modeString(e.attr.mode), nlink: String(e.attr.nlink), user: owner(e.attr.uid), group: owner(e.attr.gid),
    size: sizeField(e.attr), date: lsDate(e.attr.mtime.sec, now), name: e.name + (e.link !== undefined ? ` -> ${e.link}` : ''),
  }));
  const w = (k: 'nlink' | 'user' | 'group' | 'size') => Math.max(...rows.map((r) => r[k].length));
  const [wl, wu, wg, ws] = [w('nlink'), w('user'), w('group'), w('size')];
  const out = [`total ${total}`];
  for (const r of rows) {
    out.push(`${r.mode} ${r.nlink.padStart(wl)} ${r.user.padStart(wu)} ${r.group.padStart(wg)} ${r.size.padStart(ws)} ${r.date} ${r.name}`);
  }
  return out.join('\n') + '\n';
}
