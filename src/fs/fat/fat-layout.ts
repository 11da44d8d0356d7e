/**
 * The on-disk FAT structures that the FAT driver reads (and, for a few
 * fields, writes) itself, beside FatFs: the boot sector (BPB), FAT entries
 * and directory entries. FatFs (js-fatfs) exposes neither the access date,
 * nor a directory's cluster chain, nor f_chmod/f_utime (built with
 * FF_USE_CHMOD 0), so getattr and setattr use this module.
 *
 * The BPB checks mirror FatFs R0.15's check_fs() and mount_volume(), so that
 * both agree on the FAT type and geometry.
 */
import { FsError, type SyncDevice } from '../fs-driver.js';
import { DirSlots } from './fat-dir-slots.js';
import { sfnChecksum } from './fat-short-names.js';

export const ATTR_RO = 0x01, ATTR_HID = 0x02, ATTR_SYS = 0x04, ATTR_VOL = 0x08, ATTR_DIR = 0x10, ATTR_ARC = 0x20;
export const ATTR_LFN = 0x0f;

const MAX_FAT12 = 0xff5, MAX_FAT16 = 0xfff5, MAX_FAT32 = 0x0ffffff5;
/** FatFs stops reading a directory at this many bytes (MAX_DIR). */
const MAX_DIR_BYTES = 0x200000;

export interface FatGeometry {
  fatType: 12 | 16 | 32;
  /** Bytes per sector (512..4096). */
  ss: number;
  /** Sectors per cluster. */
  csize: number;
  clusterBytes: number;
  /** Number of FAT entries, that is data clusters + 2. */
  nFatent: number;
  /** Byte offsets on the device. */
  fatOffset: number;
  dataOffset: number;
  /** FAT12/16: byte offset and size of the fixed root directory. */
  rootOffset: number;
  rootBytes: number;
  /** FAT32: first cluster of the root directory. */
  rootCluster: number;
  /** FAT32: sector number of FSInfo (FatFs only uses it when 1), else 0. */
  fsInfoSector: number;
  serial: number;
  label: string;
}

const u16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number) => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/**
 * Reads the device as FatFs's own disk reads do: a read past the end (a truncated
 * image) or a failing device becomes FsError('EIO'), never an untyped error.
 */
function readDevice(device: SyncDevice, offset: number, into: Uint8Array): void {
  if (offset < 0 || offset + into.length > device.size) {
    throw new FsError('EIO', `read of ${into.length} bytes at ${offset} is past the end of the device (size ${device.size}): truncated image?`);
  }
  try {
    device.read(offset, into);
  } catch (e) {
    if (e instanceof FsError) throw e;
    throw new FsError('EIO', (e as Error)?.message ?? String(e));
  }
}

function notFat(why: string): FsError {
  return new FsError('EINVAL', `not a FAT filesystem: ${why}`);
}

/** Parses and checks the boot sector at offset 0 of `device`. */
export function readGeometry(device: SyncDevice): FatGeometry {
  if (device.size < 512) throw notFat('device too small');
  const bs = new Uint8Array(512);
  readDevice(device, 0, bs);
  const sign = u16(bs, 510);
  const jmp = bs[0]!;
  if (sign === 0xaa55 && String.fromCharCode(...bs.subarray(3, 11)) === 'EXFAT   ') {
    throw notFat('this is exFAT');
  }
  if (jmp !== 0xeb && jmp !== 0xe9 && jmp !== 0xe8) throw notFat('no jump instruction in the boot sector');
  const ss = u16(bs, 11);
  const csize = bs[13]!;
  const nrsv = u16(bs, 14);
  const nFats = bs[16]!;
  const nRoot = u16(bs, 17);
  const isFat32Sig = sign === 0xaa55 && String.fromCharCode(...bs.subarray(82, 90)) === 'FAT32   ';
  if (!isFat32Sig) {
    // FatFs's heuristic for VBRs without the FAT32 signature
    const tot16 = u16(bs, 19), tot32 = u32(bs, 32);
    const plausible = (ss & (ss - 1)) === 0 && ss >= 512 && ss <= 4096 && csize !== 0 && (csize & (csize - 1)) === 0 &&
      nrsv !== 0 && (nFats === 1 || nFats === 2) && nRoot !== 0 && (tot16 >= 128 || tot32 >= 0x10000) && u16(bs, 22) !== 0;
    if (!plausible) throw notFat('invalid BIOS parameter block');
  }
  if ((ss & (ss - 1)) !== 0 || ss < 512 || ss > 4096) throw notFat(`bad sector size ${ss}`);
  let fasize = u16(bs, 22);
  if (fasize === 0) fasize = u32(bs, 36);
  if (nFats !== 1 && nFats !== 2) throw notFat(`bad number of FATs ${nFats}`);
  if (csize === 0 || (csize & (csize - 1)) !== 0) throw notFat(`bad cluster size ${csize}`);
  if (nRoot % (ss / 32) !== 0) throw notFat('bad root directory size');
  let tsect = u16(bs, 19);
  if (tsect === 0) tsect = u32(bs, 32);
  if (nrsv === 0) throw notFat('no reserved sectors');
  const sysect = nrsv + fasize * nFats + nRoot / (ss / 32);
  if (tsect < sysect) throw notFat('volume smaller than its metadata');
  const nclst = Math.floor((tsect - sysect) / csize);
  if (nclst === 0) throw notFat('no data clusters');
  let fatType: 12 | 16 | 32;
  if (nclst <= MAX_FAT12) fatType = 12;
  else if (nclst <= MAX_FAT16) fatType = 16;
  else if (nclst <= MAX_FAT32) fatType = 32;
  else throw notFat('too many clusters');
  const nFatent = nclst + 2;
  let szbfat: number;
  let rootCluster = 0, fsInfoSector = 0, serial: number, label: string;
  if (fatType === 32) {
    if (u16(bs, 42) !== 0) throw notFat('unknown FAT32 version');
    if (nRoot !== 0) throw notFat('FAT32 with a fixed root directory');
    rootCluster = u32(bs, 44);
    if (rootCluster < 2 || rootCluster >= nFatent) throw notFat(`bad root cluster ${rootCluster}`);
    fsInfoSector = u16(bs, 48);
    szbfat = nFatent * 4;
    serial = u32(bs, 67);
    label = String.fromCharCode(...bs.subarray(71, 82)).trimEnd();
  } else {
    if (nRoot === 0) throw notFat('no root directory');
    szbfat = fatType === 16 ? nFatent * 2 : Math.floor((nFatent * 3) / 2) + (nFatent & 1);
    serial = u32(bs, 39);
    label = String.fromCharCode(...bs.subarray(43, 54)).trimEnd();
  }
  if (fasize < Math.ceil(szbfat / ss)) throw notFat('FAT too small for the cluster count');
  return {
    fatType,
    ss,
    csize,
    clusterBytes: ss * csize,
    nFatent,
    fatOffset: nrsv * ss,
    dataOffset: sysect * ss,
    rootOffset: (nrsv + fasize * nFats) * ss,
    rootBytes: nRoot * 32,
    rootCluster,
    fsInfoSector,
    serial,
    label,
  };
}

/**
 * Reads FAT entries and directories straight from the device, through a small
 * sector cache. The owner must call invalidate() for every byte range written
 * to the device (FatFs's writes go through the same device hooks), and must
 * make FatFs write its dirty buffers before reading.
 */
export class FatReader {
  private readonly cache = new Map<number, Uint8Array>();
  private static readonly CACHE_SECTORS = 256;

  constructor(readonly geo: FatGeometry, private readonly device: SyncDevice) {}

  invalidate(offset: number, length: number): void {
    if (this.cache.size === 0) return;
    const ss = this.geo.ss;
    const first = Math.floor(offset / ss), last = Math.floor((offset + length - 1) / ss);
    if (last - first > this.cache.size) {
      for (const s of [...this.cache.keys()]) if (s >= first && s <= last) this.cache.delete(s);
    } else {
      for (let s = first; s <= last; s++) this.cache.delete(s);
    }
  }

  clear(): void {
    this.cache.clear();
  }

  private sector(n: number): Uint8Array {
    let b = this.cache.get(n);
    if (b) return b;
    b = new Uint8Array(this.geo.ss);
    readDevice(this.device, n * this.geo.ss, b);
    if (this.cache.size >= FatReader.CACHE_SECTORS) {
      const first = this.cache.keys().next().value as number;
      this.cache.delete(first);
    }
    this.cache.set(n, b);
    return b;
  }

  private byteAt(offset: number): number {
    const ss = this.geo.ss;
    return this.sector(Math.floor(offset / ss))[offset % ss]!;
  }

  /** The FAT entry of `cluster` (first FAT). */
  fatEntry(cluster: number): number {
    const g = this.geo;
    if (g.fatType === 12) {
      const o = g.fatOffset + cluster + (cluster >>> 1);
      const v = this.byteAt(o) | (this.byteAt(o + 1) << 8);
      return cluster & 1 ? v >>> 4 : v & 0xfff;
    }
    if (g.fatType === 16) {
      const o = g.fatOffset + cluster * 2;
      return this.byteAt(o) | (this.byteAt(o + 1) << 8);
    }
    const o = g.fatOffset + cluster * 4;
    const s = this.sector(Math.floor(o / g.ss));
    return u32(s, o % g.ss) & 0x0fffffff;
  }

  /** Clusters of the chain starting at `first`; stops (without error) at a broken link or a loop. */
  chain(first: number, max = this.geo.nFatent): number[] {
    const out: number[] = [];
    let c = first;
    while (c >= 2 && c < this.geo.nFatent && out.length < max) {
      out.push(c);
      c = this.fatEntry(c);
    }
    return out;
  }

  /** Counts free clusters by scanning the whole FAT. */
  countFree(): number {
    const g = this.geo;
    let free = 0;
    if (g.fatType === 12) {
      for (let c = 2; c < g.nFatent; c++) if (this.fatEntry(c) === 0) free++;
      return free;
    }
    const width = g.fatType === 16 ? 2 : 4;
    const chunk = new Uint8Array(1 << 20);
    let c = 2;
    while (c < g.nFatent) {
      const n = Math.min(g.nFatent - c, chunk.length / width);
      const buf = chunk.subarray(0, n * width);
      readDevice(this.device, g.fatOffset + c * width, buf);
      if (width === 2) {
        for (let i = 0; i < n; i++) if (buf[2 * i] === 0 && buf[2 * i + 1] === 0) free++;
      } else {
        for (let i = 0; i < n; i++) if ((u32(buf, 4 * i) & 0x0fffffff) === 0) free++;
      }
      c += n;
    }
    return free;
  }

  clusterOffset(c: number): number {
    return this.geo.dataOffset + (c - 2) * this.geo.clusterBytes;
  }

  /** Clusters in a directory's chain as readDir() counts them (0 = the root). */
  dirClusters(cluster: number): number {
    const g = this.geo;
    if (cluster === 0 && g.fatType !== 32) return 0;
    return this.chain(cluster === 0 ? g.rootCluster : cluster, Math.ceil(MAX_DIR_BYTES / g.clusterBytes)).length;
  }

  /** The short entry at device offset `offset` (32-byte aligned), shown as `name`. */
  shortEntryAt(offset: number, name: string): RawEntry {
    const ss = this.geo.ss;
    return shortEntry(this.sector(Math.floor(offset / ss)), offset % ss, name, offset);
  }

  /**
   * Reads a whole directory: cluster >= 2 for a cluster chain, 0 for the
   * root (FAT12/16 fixed area or FAT32 root cluster).
   */
  readDir(cluster: number): RawDir {
    const { parts, nClusters } = this.dirParts(cluster);
    return { entries: parseDirEntries(parts), nClusters };
  }

  /** Which entry slots of a directory (as readDir() takes `cluster`) are free, and where each is. */
  dirSlots(cluster: number): DirSlots {
    const g = this.geo;
    const fixedRoot = cluster === 0 && g.fatType !== 32;
    return DirSlots.of(this.dirParts(cluster).parts, fixedRoot ? g.rootBytes : g.clusterBytes);
  }

  /** A directory's bytes, in runs of clusters contiguous on the device. */
  private dirParts(cluster: number): { parts: { data: Uint8Array; offset: number }[]; nClusters: number } {
    const g = this.geo;
    const parts: { data: Uint8Array; offset: number }[] = [];
    if (cluster === 0 && g.fatType !== 32) {
      const data = new Uint8Array(g.rootBytes);
      readDevice(this.device, g.rootOffset, data);
      parts.push({ data, offset: g.rootOffset });
      return { parts, nClusters: 0 };
    }
    const first = cluster === 0 ? g.rootCluster : cluster;
    const chain = this.chain(first, Math.ceil(MAX_DIR_BYTES / g.clusterBytes));
    // read contiguous runs in one go
    let i = 0;
    while (i < chain.length) {
      let j = i + 1;
      while (j < chain.length && chain[j] === chain[j - 1]! + 1) j++;
      const data = new Uint8Array((j - i) * g.clusterBytes);
      const offset = this.clusterOffset(chain[i]!);
      readDevice(this.device, offset, data);
      parts.push({ data, offset });
      i = j;
    }
    return { parts, nClusters: chain.length };
  }
}

export interface RawEntry {
  /** The name FatFs shows: the long name, else the 8.3 name with its NT case flags. */
  name: string;
  /** The 8.3 name as stored (upper case), e.g. "PROGRA~1.TXT". */
  sfn: string;
  attr: number;
  cluster: number;
  size: number;
  ctime: number;
  ctimeCs: number;
  cdate: number;
  adate: number;
  mtime: number;
  mdate: number;
  /** Device byte offset of the 32-byte short entry. */
  offset: number;
}

export interface RawDir {
  entries: RawEntry[];
  /** Clusters in the directory's chain (0 for a FAT12/16 root). */
  nClusters: number;
}

/** CP437 upper half (the code page js-fatfs is created with, and Linux's default). */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

export function cp437Char(b: number): string {
  return b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80]!;
}

/** The 8.3 name at `b[o]` as listings show it (spaces dropped), with its NT case bits applied unless `withCase` is false. */
export function sfnName(b: Uint8Array, o: number, withCase = true): string {
  const nt = withCase ? b[o + 12]! : 0;
  let out = '';
  for (let i = 0; i < 11; i++) {
    let c = b[o + i]!;
    if (c === 0x20) continue;
    if (i === 0 && c === 0x05) c = 0xe5;
    if (i === 8) out += '.';
    const lower = i < 8 ? nt & 0x08 : nt & 0x10;
    if (lower && c >= 0x41 && c <= 0x5a) c += 0x20;
    out += cp437Char(c);
  }
  return out;
}

/** The RawEntry of the 32-byte short entry at `b[o]` (device offset `offset`), shown as `name`. */
export function shortEntry(b: Uint8Array, o: number, name: string, offset: number): RawEntry {
  return {
    name,
    sfn: sfnName(b, o, false),
    attr: b[o + 11]! & 0x3f,
    cluster: (u16(b, o + 20) << 16 | u16(b, o + 26)) >>> 0,
    size: u32(b, o + 28),
    ctimeCs: b[o + 13]!,
    ctime: u16(b, o + 14),
    cdate: u16(b, o + 16),
    adate: u16(b, o + 18),
    mtime: u16(b, o + 22),
    mdate: u16(b, o + 24),
    offset,
  };
}

/** Parses 32-byte directory entries the way FatFs's dir_read() does (volume labels and dot entries skipped). */
export function parseDirEntries(parts: { data: Uint8Array; offset: number }[]): RawEntry[] {
  const out: RawEntry[] = [];
  let ord = 0xff, sum = 0;
  let lfn: number[] = [];
  for (const { data: b, offset } of parts) {
    for (let o = 0; o + 32 <= b.length; o += 32) {
      const c = b[o]!;
      if (c === 0) return out; // end of directory
      const attr = b[o + 11]! & 0x3f;
      if (c === 0xe5 || c === 0x2e || ((attr & ~ATTR_ARC) === ATTR_VOL)) {
        ord = 0xff;
        continue;
      }
      if (attr === ATTR_LFN) {
        let n = c;
        if (n & 0x40) {
          sum = b[o + 13]!;
          n &= 0xbf;
          ord = n;
          lfn = new Array<number>(Math.max(0, n) * 13).fill(0);
        }
        if (n === ord && sum === b[o + 13]! && n >= 1 && n <= 20 && u16(b, o + 26) === 0) {
          const base = (n - 1) * 13;
          let k = 0;
          for (const p of [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30]) lfn[base + k++] = u16(b, o + p);
          ord = n - 1;
        } else {
          ord = 0xff;
        }
        continue;
      }
      let name = '';
      if (ord === 0 && sum === sfnChecksum(b, o)) {
        const units: number[] = [];
        for (const u of lfn) {
          if (u === 0) break;
          units.push(u);
        }
        name = utf16Valid(units) ? String.fromCharCode(...units) : '';
      }
      out.push(shortEntry(b, o, name || sfnName(b, o), offset + o));
      ord = 0xff;
    }
  }
  return out;
}

function utf16Valid(u: number[]): boolean {
  for (let i = 0; i < u.length; i++) {
    const c = u[i]!;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = u[i + 1];
      if (d === undefined || d < 0xdc00 || d > 0xdfff) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/** FAT date/time (interpreted as UTC, like Linux in the libguestfs appliance) → Unix seconds, as Linux's fat_time_fat2unix(). */
export function fatToUnix(date: number, time: number): number {
  const secs = (time & 0x1f) * 2 + ((time >>> 5) & 0x3f) * 60 + (time >>> 11) * 3600;
  return dayStart(date) + secs;
}

/** Unix seconds of 00:00 UTC of FAT date `date`, remembered: a directory's entries share a few dates. */
const dayStarts = new Map<number, number>();
function dayStart(date: number): number {
  let s = dayStarts.get(date);
  if (s === undefined) {
    const month = Math.max(1, (date >>> 5) & 0xf);
    s = Date.UTC(1980 + (date >>> 9), month - 1, Math.max(1, date & 0x1f)) / 1000;
    if (dayStarts.size >= 4096) dayStarts.clear();
    dayStarts.set(date, s);
  }
  return s;
}

/** Unix seconds → FAT { date, time } in UTC, clamped to 1980-01-01 … 2107-12-31 23:59:58 like Linux. */
export function unixToFat(sec: number): { date: number; time: number } {
  const min = Date.UTC(1980, 0, 1) / 1000;
  const max = Date.UTC(2107, 11, 31, 23, 59, 58) / 1000;
  if (sec < min) return { date: (0 << 9) | (1 << 5) | 1, time: 0 };
  if (sec > max) return { date: (127 << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29 };
  const d = new Date(Math.floor(sec) * 1000);
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >>> 1),
  };
}
