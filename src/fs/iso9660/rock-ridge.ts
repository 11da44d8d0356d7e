/**
 * System Use Sharing Protocol (SUSP 1.12) entries of a directory record and the
 * Rock Ridge (RRIP 1.09/1.12) ones among them: POSIX attributes (PX), device
 * numbers (PN), symlink targets (SL), alternate names (NM), time stamps (TF),
 * directory relocation (CL, PL, RE) and zisofs compression (ZF). Entries may
 * continue in continuation areas (CE) elsewhere on the disc: their number is
 * bounded so that a CE loop in a corrupt image ends.
 */
import type { Timespec } from '../fs-driver.js';
import { corrupt, longDate, shortDate } from './dir-record.js';
import type { ZisofsParams } from './zisofs.js';

const MAX_CONTINUATIONS = 32;
const TF_LONG_FORM = 0x80;
/** TF flag bits in the order the stamps follow: creation, modify, access, attributes. */
const TF_CREATE = 1, TF_MODIFY = 2, TF_ACCESS = 4, TF_ATTRIBUTES = 8;

export interface RockInfo {
  /** An RR, PX, NM, SL, TF, PN, CL, PL or RE entry was seen. */
  rock: boolean;
  mode?: number;
  nlink?: number;
  uid?: number;
  gid?: number;
  rdev?: { major: number; minor: number };
  name?: Uint8Array;
  symlink?: string;
  ctime?: Timespec;
  mtime?: Timespec;
  atime?: Timespec;
  /** CL: the directory this placeholder file stands for, relocated elsewhere (its extent). */
  childLink?: number;
  /** RE: this directory was relocated here; its entry is hidden. */
  relocated: boolean;
  /** ZF: zisofs-compressed (algorithm "pz"). */
  zisofs?: ZisofsParams;
}

/** Reads `length` bytes at a device byte offset (bounds-checked by the caller's reader). */
export type ByteReader = (offset: number, length: number) => Uint8Array;

const u32 = (b: Uint8Array, o: number) => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
const sig = (b: Uint8Array, o: number) => String.fromCharCode(b[o]!, b[o + 1]!);

function concat(a: Uint8Array | undefined, b: Uint8Array): Uint8Array {
  if (!a) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Symlink path assembly across SL entries and their component records. */
class SymlinkBuilder {
  text = '';
  /** The previous component asked for a '/' before the next one. */
  private pendingSlash = false;
  add(entry: Uint8Array): void {
    let pos = 5;
    while (pos + 2 <= entry.length) {
      const flags = entry[pos]!, len = entry[pos + 1]!;
      const body = entry.subarray(pos + 2, pos + 2 + len);
      if (this.pendingSlash) this.text += '/';
      let root = false;
      if (flags & 8) {
        this.text += '/';
        root = true;
      } else if (flags & 4) this.text += '..';
      else if (flags & 2) this.text += '.';
      else this.text += new TextDecoder('utf-8').decode(body);
      pos += 2 + len;
      this.pendingSlash = !root && !(flags & 1);
    }
    // A component list not continued in a following SL entry ends the path.
    if (!(entry[4]! & 1)) this.pendingSlash = false;
  }
}

/** Parses the SUSP entries of a system use area (after `skip` bytes), following CE continuation areas. */
export function parseRockRidge(systemUse: Uint8Array, skip: number, read: ByteReader, blockSize: number): RockInfo {
  const info: RockInfo = { rock: false, relocated: false };
  let area = systemUse.subarray(Math.min(skip, systemUse.length));
  let hops = 0;
  let link: SymlinkBuilder | undefined;
  const seen = new Set<number>();
  for (;;) {
    let next: { at: number; length: number } | undefined;
    let pos = 0;
    while (pos + 4 <= area.length) {
      const len = area[pos + 2]!;
      if (len < 4 || pos + len > area.length) break; // padding, or a broken entry: Linux stops here too
      const e = area.subarray(pos, pos + len);
      const s = sig(area, pos);
      pos += len;
      if (s === 'ST') break;
      switch (s) {
        case 'CE':
          if (len >= 28) next = { at: u32(e, 4) * blockSize + u32(e, 12), length: u32(e, 20) };
          break;
        case 'RR':
          info.rock = true;
          break;
        case 'PX':
          if (len < 36) break;
          info.rock = true;
          info.mode = u32(e, 4);
          info.nlink = u32(e, 12);
          info.uid = u32(e, 20);
          info.gid = u32(e, 28);
          break;
        case 'PN':
          if (len < 20) break;
          info.rock = true;
          info.rdev = { major: u32(e, 4), minor: u32(e, 12) };
          break;
        case 'NM':
          if (len < 5) break;
          info.rock = true;
          if (!(e[4]! & 6)) info.name = concat(info.name, e.subarray(5));
          break;
        case 'SL':
          if (len < 5) break;
          info.rock = true;
          (link ??= new SymlinkBuilder()).add(e);
          break;
        case 'TF': {
          if (len < 5) break;
          info.rock = true;
          const flags = e[4]!;
          const size = flags & TF_LONG_FORM ? 17 : 7;
          let at = 5;
          const stamp = (bit: number): Timespec | undefined => {
            if (!(flags & bit)) return undefined;
            const b = e.subarray(at, at + size);
            at += size;
            if (b.length < size) return undefined;
            return size === 7 ? { sec: shortDate(b), nsec: 0 } : longDate(b);
          };
          const created = stamp(TF_CREATE), modified = stamp(TF_MODIFY), accessed = stamp(TF_ACCESS), changed = stamp(TF_ATTRIBUTES);
          // Linux takes the creation stamp as ctime unless an attribute-change stamp follows.
          if (created) info.ctime = created;
          if (modified) info.mtime = modified;
          if (accessed) info.atime = accessed;
          if (changed) info.ctime = changed;
          break;
        }
        case 'CL':
          if (len < 12) break;
          info.rock = true;
          info.childLink = u32(e, 4);
          break;
        case 'PL':
          info.rock = true;
          break;
        case 'RE':
          info.rock = true;
          info.relocated = true;
          break;
        case 'ZF':
          if (len < 16) break;
          if (sig(e, 4) === 'pz') info.zisofs = { headerBytes: e[6]! * 4, blockLog2: e[7]!, realSize: u32(e, 8) };
          break;
      }
    }
    if (!next || next.length === 0) break;
    if (++hops > MAX_CONTINUATIONS || seen.has(next.at)) throw corrupt(`a continuation area chain (CE) loops or is longer than ${MAX_CONTINUATIONS}`);
    if (next.length > blockSize * 4) throw corrupt(`a continuation area (CE) is ${next.length} bytes long`);
    seen.add(next.at);
    area = read(next.at, next.length);
  }
  if (link) info.symlink = link.text;
  return info;
}

/** The SUSP skip length announced by the SP entry of the root's '.' record, or -1 when there is no SP (no Rock Ridge). */
export function suspSkip(rootDotSystemUse: Uint8Array): number {
  const e = rootDotSystemUse;
  if (e.length >= 7 && sig(e, 0) === 'SP' && e[2]! >= 7 && e[4] === 0xbe && e[5] === 0xef) return e[6]!;
  return -1;
}
