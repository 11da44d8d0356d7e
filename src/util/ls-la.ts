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

/** Linux dev_t → [major, minor] (the 64-bit encoding glibc uses). */
export function splitDev(dev: number): [number, number] {
  const lo = dev >>> 0, hi = Math.floor(dev / 2 ** 32) >>> 0;
  const major = ((lo >>> 8) & 0xfff) | (hi & ~0xfff);
  const minor = (lo & 0xff) | ((lo >>> 12) & ~0xff);
  return [major >>> 0, minor >>> 0];
}

/** A listing's fields as columns (ls -la needs nothing else). */
export interface LsColumns {
  names: string[];
  /** Symlink targets (undefined for other entries). */
  links: (string | undefined)[];
  mode: ArrayLike<number>;
  nlink: ArrayLike<number>;
  uid: ArrayLike<number>;
  gid: ArrayLike<number>;
  size: ArrayLike<number>;
  blocks: ArrayLike<number>;
  rdev: ArrayLike<number>;
  /** Modification times, seconds. */
  mtime: ArrayLike<number>;
}

export function formatLsLa(entries: LsEntry[], now: number, withTotal = true): string {
  const a = entries.map((e) => e.attr);
  return formatLsColumns({
    names: entries.map((e) => e.name), links: entries.map((e) => e.link), mode: a.map((x) => x.mode), nlink: a.map((x) => x.nlink),
    uid: a.map((x) => x.uid), gid: a.map((x) => x.gid), size: a.map((x) => x.size), blocks: a.map((x) => x.blocks),
    rdev: a.map((x) => x.rdev), mtime: a.map((x) => x.mtime.sec),
  }, now, withTotal);
}

/**
 * Entry indexes in byteOrder of their names. Without surrogates, code unit
 * order is the same, and the built-in sort of the names themselves is several
 * times faster than a comparator; names are unique in a directory, so each
 * finds its index again.
 */
function sortedOrder(names: string[]): number[] {
  const order = names.map((_, i) => i);
  if (!names.some((n) => /[\ud800-\udfff]/.test(n))) {
    const at = new Map(names.map((n, i) => [n, i]));
    if (at.size === names.length) return names.slice().sort().map((n) => at.get(n)!);
  }
  return order.sort((x, y) => byteOrder(names[x]!, names[y]!));
}

const digits = (n: number) => String(n).length;

/**
 * The ls -la text of a listing in columns: sorted by name, numeric columns
 * right-aligned to their widest entry. Mode strings and dates are made once
 * per distinct value (a directory's entries share a few of each).
 */
export function formatLsColumns(c: LsColumns, now: number, withTotal = true): string {
  const n = c.names.length;
  const order = sortedOrder(c.names);
  let blocks = 0, wl = 0, wu = 0, wg = 0, wSize = 0, wMajor = 0, wMinor = 0, devs = 0;
  const dev: ([string, string] | undefined)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    blocks += c.blocks[i]!;
    wl = Math.max(wl, digits(c.nlink[i]!));
    wu = Math.max(wu, digits(c.uid[i]!));
    wg = Math.max(wg, digits(c.gid[i]!));
    const t = c.mode[i]! & 0o170000;
    if (t === 0o020000 || t === 0o060000) {
      const [major, minor] = splitDev(c.rdev[i]!).map(String) as [string, string];
      dev[i] = [major, minor];
      wMajor = Math.max(wMajor, major.length);
      wMinor = Math.max(wMinor, minor.length);
      devs++;
    } else {
      wSize = Math.max(wSize, digits(c.size[i]!));
    }
  }
  // As GNU ls: device numbers get their own major and minor columns inside the size column.
  if (devs) {
    wMajor = Math.max(wMajor, wSize - wMinor - 2);
    wSize = Math.max(wSize, wMajor + 2 + wMinor);
  }
  const modes = new Map<number, string>();
  const dates = new Map<number, string>();
  const out: string[] = withTotal ? [`total ${Math.ceil(blocks / 2)}`] : [];
  for (const i of order) {
    const m = c.mode[i]!;
    let mode = modes.get(m);
    if (mode === undefined) modes.set(m, (mode = modeString(m)));
    const sec = c.mtime[i]!;
    let date = dates.get(sec);
    if (date === undefined) dates.set(sec, (date = lsDate(sec, now)));
    const d = dev[i];
    const size = d ? `${d[0].padStart(wMajor)}, ${d[1].padStart(wMinor)}` : String(c.size[i]).padStart(wSize);
    const link = c.links[i];
    out.push(`${mode} ${String(c.nlink[i]).padStart(wl)} ${String(c.uid[i]).padStart(wu)} ${String(c.gid[i]).padStart(wg)} ${size} ${date} ${c.names[i]}${link !== undefined ? ` -> ${link}` : ''}`);
  }
  return out.join('\n') + '\n';
}
