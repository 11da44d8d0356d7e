/**
 * The text of `ls -la` (GNU coreutils, C locale, UTC) for a directory's entries, as
 * guestfish's ll prints it: owners and groups numeric (so right-aligned), as the appliance prints them.
 */
import type { StatResult } from '../fs/vfs.js';
import { byteOrder } from './byte-order.js';
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

function isDevice(a: StatResult): boolean {
  const t = a.mode & 0o170000;
  return t === 0o020000 || t === 0o060000;
}

/** Linux dev_t → [major, minor] (the 64-bit encoding glibc uses). */
export function splitDev(dev: number): [number, number] {
  const lo = dev >>> 0, hi = Math.floor(dev / 2 ** 32) >>> 0;
  const major = ((lo >>> 8) & 0xfff) | (hi & ~0xfff);
  const minor = (lo & 0xff) | ((lo >>> 12) & ~0xff);
  return [major >>> 0, minor >>> 0];
}

export function formatLsLa(entries: LsEntry[], now: number, withTotal = true): string {
  const sorted = [...entries].sort((x, y) => byteOrder(x.name, y.name));
  const total = Math.ceil(sorted.reduce((n, e) => n + e.attr.blocks, 0) / 2);
  const rows = sorted.map((e) => ({
    mode: modeString(e.attr.mode), nlink: String(e.attr.nlink), user: owner(e.attr.uid), group: owner(e.attr.gid),
    dev: isDevice(e.attr) ? splitDev(e.attr.rdev).map(String) : undefined, size: String(e.attr.size),
    date: lsDate(e.attr.mtime.sec, now), name: e.name + (e.link !== undefined ? ` -> ${e.link}` : ''),
  }));
  const w = (k: 'nlink' | 'user' | 'group') => Math.max(...rows.map((r) => r[k].length));
  const [wl, wu, wg] = [w('nlink'), w('user'), w('group')];
  // As GNU ls: device numbers get their own major and minor columns inside the size column.
  const devs = rows.filter((r) => r.dev);
  const wMinor = Math.max(0, ...devs.map((r) => r.dev![1]!.length));
  let wSize = Math.max(0, ...rows.filter((r) => !r.dev).map((r) => r.size.length));
  const wMajor = Math.max(0, ...devs.map((r) => r.dev![0]!.length), devs.length ? wSize - wMinor - 2 : 0);
  if (devs.length) wSize = Math.max(wSize, wMajor + 2 + wMinor);
  const out = withTotal ? [`total ${total}`] : [];
  for (const r of rows) {
    const size = r.dev ? `${r.dev[0]!.padStart(wMajor)}, ${r.dev[1]!.padStart(wMinor)}` : r.size.padStart(wSize);
    out.push(`${r.mode} ${r.nlink.padStart(wl)} ${r.user.padStart(wu)} ${r.group.padStart(wg)} ${size} ${r.date} ${r.name}`);
  }
  return out.join('\n') + '\n';
}
