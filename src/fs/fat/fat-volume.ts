/** A mounted FAT volume's open files and directory-entry cache. */
import { FsError } from '../fs-driver.js';
import { codeOfError } from '../../errors/index.js';
import { ATTR_DIR, ATTR_RO, ATTR_VOL, FatReader, sfnName, shortEntry, unixToFat, type RawEntry } from './fat-layout.js';
import { type DirSlots } from './fat-dir-slots.js';
import { newFileEntries, numberedAlias, shortNameBasis } from './fat-short-names.js';
import { FF, FR } from './fatfs-module.js';
import { foldKey, storedName } from './fat-names.js';
import { FatInodes } from './fat-inodes.js';

/**
 * Where a FIL keeps its directory entry, and where FATFS keeps its sector
 * window: FatFs R0.15 as js-fatfs builds it (no exFAT, no file lock, no fast
 * seek, not tiny: FIL = 40 bytes of fields + a sector buffer; FATFS ends with
 * winsect and win[FF_MAX_SS]). Used only when the sizes confirm that layout.
 */
const FIL_FS = 0, FIL_ID = 4, FIL_FLAG = 16, FIL_DIR_SECT = 32, FIL_DIR_PTR = 36, FIL_HEADER = 40;
/** FATFS.id (the mount id a FIL must carry): after six bytes of flags in R0.14 and R0.15 alike. */
const FATFS_ID = 6;
const FATFS_WIN = FF.sizeof_FATFS - FF.FF_MAX_SS, FATFS_WINSECT = FATFS_WIN - 4;
const KNOWN_LAYOUT = FF.sizeof_FIL === 40 + FF.FF_MAX_SS;

/** FatFs files held open at once (the least recently used is closed first). */
export const MAX_OPEN_FILES = 16;
const MAX_CACHED_DIRS = 64;

export interface OpenFile {
  fp: number;
  writable: boolean;
}

/**
 * One directory's short entries, parsed once and then kept in step with every
 * change made through this driver (create, remove, file syncs, entry edits),
 * so a directory of n entries is not re-read per create: that made bulk
 * creates quadratic.
 */
interface Listing {
  byKey: Map<string, RawEntry>;
  byUpper: Map<string, RawEntry>;
  bySfn: Map<string, RawEntry>;
  nClusters: number;
  subdirs: number;
  /** first cluster (0 = root) */
  cluster: number;
  /** Free entry slots, while only this driver's own entry writes changed the directory. */
  slots?: DirSlots;
}

/**
 * What is open and cached on a mounted volume, kept in step with the device:
 * FatFs files (a few, least recently used closed first; dirty ones synced
 * before the device is read directly), the parsed short directory entries of
 * directories, in-place edits of those entries, and the free cluster count.
 */
export abstract class FatVolume extends FatInodes {
  protected readonly reader = new FatReader(this.geo, this.device);
  /** Open FatFs files by ino, least recently used first. */
  protected readonly files = new Map<number, OpenFile>();
  protected readonly dirty = new Set<number>();
  protected readonly listings = new Map<number, Listing>();
  /** The listing last made most recently used. */
  private lastListed = -1;
  /** Device writes that touched the FAT (a directory may have grown a cluster). */
  protected fatWrites = 0;
  private freeChecked = false;
  /** Whether openCreated()'s FIL header matched f_open's (checked on the first fast create). */
  private filCheck: 'unchecked' | 'same' | 'differs' = 'unchecked';
  protected roFree: number | undefined;

  protected nodeRemoved(ino: number): void {
    this.dropFile(ino);
    this.listings.delete(ino);
  }

  /** The FatFs file of `ino`, opened read-write on a writable volume. */
  protected file(ino: number, forWrite: boolean): OpenFile {
    const f = this.files.get(ino);
    if (f && (f.writable || !forWrite)) {
      this.files.delete(ino);
      this.files.set(ino, f);
      return f;
    }
    if (f) this.dropFile(ino);
    while (this.files.size >= MAX_OPEN_FILES) this.dropFile(this.files.keys().next().value as number);
    const fp = this.ff._malloc(FF.sizeof_FIL);
    if (!fp) throw new FsError('ENOMEM', 'js-fatfs: out of memory');
    try {
      const path = this.fullPath(ino);
      let writable = !this.readOnly;
      let res = this.try(() => this.ff._f_open(fp, this.path(0, path), FF.FA_READ | (writable ? FF.FA_WRITE : 0)));
      if (res === FR.DENIED && writable) {
        // the read-only attribute: root may still write (CAP_DAC_OVERRIDE) — see withRoCleared()
        if (forWrite) throw new FsError('EACCES', 'read-only attribute');
        writable = false;
        res = this.try(() => this.ff._f_open(fp, this.path(0, path), FF.FA_READ));
      }
      if (res !== FR.OK) throw this.frError(res, `open ${path}`);
      const of = { fp, writable };
      this.files.set(ino, of);
      return of;
    } catch (e) {
      this.ff._free(fp);
      throw e;
    }
  }

  /** Closes (and so syncs) the FatFs file of `ino`, if open. */
  protected dropFile(ino: number): void {
    const f = this.files.get(ino);
    if (!f) return;
    this.files.delete(ino);
    const wasDirty = this.dirty.delete(ino);
    try {
      const res = this.inst.invoke(() => this.ff._f_close(f.fp));
      if (res !== FR.OK && wasDirty) throw this.frError(res, 'close');
    } finally {
      this.ff._free(f.fp);
      if (wasDirty) this.refreshEntry(ino);
    }
  }

  protected dropAllFiles(): void {
    let first: unknown;
    for (const ino of [...this.files.keys()]) {
      try {
        this.dropFile(ino);
      } catch (e) {
        first ??= e;
      }
    }
    if (first) throw first;
  }

  /** Makes FatFs write dirty file data and directory entries to the device. */
  protected syncDirty(): void {
    for (const ino of [...this.dirty]) {
      const f = this.files.get(ino);
      this.dirty.delete(ino);
      try {
        if (f) this.call('sync', () => this.ff._f_sync(f.fp));
      } catch (e) {
        const n = this.nodes.get(ino);
        if (n) this.listings.delete(n.parent);
        throw e;
      }
      this.refreshEntry(ino);
    }
  }

  /** The cached listing entry of `ino`; when its parent's listing is not cached or lacks it, the listing is dropped. */
  private cachedEntry(ino: number) {
    const n = this.nodes.get(ino);
    if (!n) return undefined;
    const l = this.listings.get(n.parent);
    const e = l?.byKey.get(n.key);
    if (!l || !e) {
      this.listings.delete(n.parent);
      return undefined;
    }
    return { n, l, e };
  }

  /**
   * Re-reads the short entry of `ino` (FatFs has just written it: size, first
   * cluster, times) into its cached listing; drops the listing when the entry
   * is not where it was.
   */
  protected refreshEntry(ino: number): void {
    const found = this.cachedEntry(ino);
    if (!found) return;
    const { n, l, e } = found;
    const fresh = this.reader.shortEntryAt(e.offset, e.name);
    if (fresh.sfn !== e.sfn || fresh.attr !== e.attr) {
      this.listings.delete(n.parent);
      return;
    }
    Object.assign(e, fresh);
  }

  /**
   * The short entry f_open just wrote for a new file `name`, read from
   * FatFs's window (where it still is, unwritten), or undefined when that
   * cannot be established.
   */
  protected createdEntry(fp: number, name: string): RawEntry | undefined {
    if (!KNOWN_LAYOUT) return undefined;
    const heap = this.ff.HEAPU8;
    const dv = new DataView(heap.buffer);
    const sect = dv.getUint32(fp + FIL_DIR_SECT, true);
    const rel = dv.getUint32(fp + FIL_DIR_PTR, true) - (this.fsObj + FATFS_WIN);
    const ss = this.geo.ss;
    if (rel < 0 || rel + 32 > ss || rel % 32 !== 0 || dv.getUint32(this.fsObj + FATFS_WINSECT, true) !== sect) return undefined;
    const at = this.fsObj + FATFS_WIN + rel;
    const e = shortEntry(heap, at, name, sect * ss + rel);
    return (e.attr & (ATTR_DIR | ATTR_VOL)) === 0 && heap[at] !== 0 && heap[at] !== 0xe5 ? e : undefined;
  }

  /** Adds an entry FatFs has just created in `dir` to the cached listing of `dir`, if any. */
  protected listingAdd(dir: number, e: RawEntry, fatWritesBefore: number): void {
    const l = this.listings.get(dir);
    if (!l) return;
    index(l, e);
    l.slots = undefined; // FatFs chose the slots
    // a directory grows by whole clusters, and only by allocating them in the FAT
    if (this.fatWrites !== fatWritesBefore) l.nClusters = this.reader.dirClusters(l.cluster);
  }

  /** Takes the entry of `ino` (just removed by FatFs) out of its parent's cached listing. */
  protected listingRemove(ino: number): void {
    const found = this.cachedEntry(ino);
    if (!found) return;
    const { l, e } = found;
    l.slots = undefined; // FatFs freed the slots
    if (l.byKey.get(foldKey(e.name)) === e) l.byKey.delete(foldKey(e.name));
    if (l.byUpper.get(e.name.toUpperCase()) === e) l.byUpper.delete(e.name.toUpperCase());
    if (l.bySfn.get(e.sfn) === e) l.bySfn.delete(e.sfn);
    if (e.attr & ATTR_DIR) l.subdirs--;
  }

  /**
   * True when the cached-or-parsed listing of `dir` shows that FatFs would not
   * find `name` (ASCII names only: their case folding is the same here and in
   * FatFs). Spares a FatFs directory scan per negative lookup.
   */
  protected surelyAbsent(dir: number, name: string): boolean {
    if (!/^[\x20-\x7e]*$/.test(name)) return false;
    const l = this.listing(dir);
    const upper = storedName(name).toUpperCase();
    return !l.byUpper.has(upper) && !l.bySfn.has(upper);
  }

  /**
   * Creates the entries of a new empty file `name` (as stored) in `dir`
   * itself, as FatFs would have made them (fat-short-names.ts), in the
   * first free slots FatFs would have taken; returns its short entry, or
   * undefined when FatFs must do it: a name not handled here, a name that
   * may exist, no free run of slots (the directory must grow), or a FatFs
   * build whose window this driver cannot keep coherent. FatFs's own
   * create scans the directory once per alias it tries and once more for
   * free slots: quadratic for bulk creates of long names.
   */
  protected createEntry(dir: number, name: string): RawEntry | undefined {
    if (!KNOWN_LAYOUT || !this.inst.utcTimes) return undefined;
    const sn = shortNameBasis(name);
    if (!sn || !this.surelyAbsent(dir, name)) return undefined;
    const l = this.listing(dir);
    if (l.cluster === 0 && dir !== 1) return undefined;
    let sfn = sn.sfn;
    if (sn.lossy) {
      let seq = 1;
      for (; seq < 100; seq++) {
        sfn = numberedAlias(sn.sfn, name, seq);
        if (!l.bySfn.has(sfnName(sfn, 0, false))) break;
      }
      if (seq === 100) return undefined;
    } else if (l.bySfn.has(sfnName(sfn, 0, false))) {
      return undefined;
    }
    if (!l.slots) {
      this.syncDirty();
      l.slots = this.reader.dirSlots(l.cluster);
    }
    const t = unixToFat(Date.now() / 1000);
    const bytes = newFileEntries(name, { ...sn, sfn }, (t.date << 16) | t.time);
    const n = bytes.length / 32;
    const first = l.slots.findRun(n);
    if (first < 0) return undefined;
    let done = 0;
    try {
      for (const r of l.slots.ranges(first, n)) {
        this.writeDirBytes(r.offset, bytes.subarray(done * 32, (done + r.slots) * 32));
        done += r.slots;
      }
    } catch (e) {
      this.listings.delete(dir);
      throw new FsError(codeOfError(e), `create ${this.childPath(dir, name)}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
    }
    l.slots.take(first, n);
    const entry = shortEntry(bytes, (n - 1) * 32, name, l.slots.offsetOf(first + n - 1));
    index(l, entry);
    return entry;
  }

  /**
   * Opens the file whose entries createEntry() has just written, without
   * FatFs's f_open (a scan of the whole directory for the name): the FIL is
   * filled in as f_open fills it for a new empty file opened read-write
   * (FIL_HEADER bytes; the sector buffer zeroed). The first time on a
   * volume, f_open does the open instead and the header it made must equal
   * the one made here, or FatFs opens every new file itself from then on.
   */
  protected openCreated(ino: number, e: RawEntry): void {
    if (this.filCheck === 'differs') return; // opened by path when first used
    while (this.files.size >= MAX_OPEN_FILES) this.dropFile(this.files.keys().next().value as number);
    const ff = this.ff;
    const fp = ff._malloc(FF.sizeof_FIL);
    if (!fp) throw new FsError('ENOMEM', 'js-fatfs: out of memory');
    ff.HEAPU8.fill(0, fp, fp + FF.sizeof_FIL);
    const header = this.newFileHeader(e);
    if (this.filCheck === 'same') {
      ff.HEAPU8.set(header, fp);
    } else {
      const path = this.fullPath(ino);
      const res = this.try(() => ff._f_open(fp, this.path(0, path), FF.FA_READ | FF.FA_WRITE));
      if (res !== FR.OK) {
        ff._free(fp);
        throw this.frError(res, `open ${path}`);
      }
      const made = ff.HEAPU8.subarray(fp, fp + FIL_HEADER);
      this.filCheck = made.every((b, i) => b === header[i]) ? 'same' : 'differs';
    }
    this.files.set(ino, { fp, writable: true });
  }

  /** What f_open puts in a FIL's fields for the new empty file whose short entry is `e`, opened read-write. */
  private newFileHeader(e: RawEntry): Uint8Array {
    const h = new Uint8Array(FIL_HEADER);
    const dv = new DataView(h.buffer);
    const ss = this.geo.ss;
    const fsId = new DataView(this.ff.HEAPU8.buffer).getUint16(this.fsObj + FATFS_ID, true);
    dv.setUint32(FIL_FS, this.fsObj, true);
    dv.setUint16(FIL_ID, fsId, true);
    h[FIL_FLAG] = FF.FA_READ | FF.FA_WRITE;
    dv.setUint32(FIL_DIR_SECT, Math.floor(e.offset / ss), true);
    dv.setUint32(FIL_DIR_PTR, this.fsObj + FATFS_WIN + (e.offset % ss), true);
    return h; // size, cluster, position, sector: 0
  }

  /**
   * Writes directory bytes to the device, and into every copy FatFs may
   * read instead: its sector cache and its sector window (which holds
   * either what the device has, or pending changes to other entries of the
   * sector; either way the new bytes belong there too).
   */
  private writeDirBytes(offset: number, bytes: Uint8Array): void {
    this.device.write(offset, bytes);
    this.reader.invalidate(offset, bytes.length);
    this.inst.patch(this.pdrv, offset, bytes);
    const ss = this.geo.ss;
    const heap = this.ff.HEAPU8;
    const winsect = new DataView(heap.buffer).getUint32(this.fsObj + FATFS_WINSECT, true);
    const from = Math.max(offset, winsect * ss), to = Math.min(offset + bytes.length, (winsect + 1) * ss);
    if (from < to) heap.set(bytes.subarray(from - offset, to - offset), this.fsObj + FATFS_WIN + (from - winsect * ss));
  }

  /** Runs `fn` with the file's read-only attribute cleared (root writes anyway, as on Linux). */
  protected withRoCleared<T>(ino: number, fn: () => T): T {
    const e = this.entry(ino);
    if (!e || !(e.attr & ATTR_RO)) return fn();
    this.editEntry(ino, (b) => { b[11] = b[11]! & ~ATTR_RO; });
    try {
      return fn();
    } finally {
      if (this.nodes.has(ino)) this.editEntry(ino, (b) => { b[11] = b[11]! | ATTR_RO; });
    }
  }

  /** Drops a file after an error without letting a second error hide the first. */
  protected forgetFile(ino: number): void {
    try {
      this.dropFile(ino);
    } catch {
      /* the first error is what matters */
    }
  }

  protected listing(dir: number): Listing {
    let l = this.listings.get(dir);
    if (l) {
      // most recently used last (getattr of each entry of a directory asks for the same one)
      if (this.lastListed !== dir) {
        this.listings.delete(dir);
        this.listings.set(dir, l);
        this.lastListed = dir;
      }
      return l;
    }
    this.syncDirty();
    let cluster = 0;
    if (dir !== 1) {
      const e = this.entry(dir);
      if (!e) throw new FsError('ENOENT', `directory inode ${dir} no longer exists`);
      cluster = e.cluster;
    }
    const raw = cluster === 0 && dir !== 1 ? { entries: [], nClusters: 0 } : this.reader.readDir(cluster);
    l = { byKey: new Map(), byUpper: new Map(), bySfn: new Map(), nClusters: raw.nClusters, subdirs: 0, cluster };
    for (const e of raw.entries) index(l, e);
    while (this.listings.size >= MAX_CACHED_DIRS) this.listings.delete(this.listings.keys().next().value as number);
    this.listings.set(dir, l);
    this.lastListed = dir;
    return l;
  }

  /** The short directory entry of a non-root inode, or undefined. */
  protected entry(ino: number): RawEntry | undefined {
    const n = this.node(ino);
    return this.listing(n.parent).byKey.get(n.key);
  }

  /** Edits the 32-byte short entry of `ino` on the device, then re-mounts FatFs (its window may hold the old sector). */
  protected editEntry(ino: number, edit: (b: Uint8Array) => void): void {
    this.dropAllFiles();
    const e = this.entry(ino);
    if (!e) throw new FsError('EIO', `cannot find the directory entry of inode ${ino}`);
    const b = new Uint8Array(32);
    this.device.read(e.offset, b);
    edit(b);
    this.device.write(e.offset, b);
    this.reader.invalidate(e.offset, 32);
    this.inst.invalidate(this.pdrv, e.offset, 32);
    this.refreshEntry(ino);
    this.remount();
  }

  /** FatFs's free cluster count (from FSInfo on FAT32 when valid, else counted). */
  protected fatfsFree(): number {
    this.call('statfs', () => this.ff._f_getfree(this.path(0, this.drive), this.word, this.word + 4));
    return new DataView(this.ff.HEAPU8.buffer).getUint32(this.word, true);
  }

  /**
   * FatFs trusts FSInfo's free count (and refuses to allocate when it says
   * 0); Linux recounts. Counted once per mount: on the first statfs, or at
   * mount when FSInfo claims no free space. A writable mount corrects FSInfo.
   */
  protected checkFreeCount(): number {
    const g = this.geo;
    const free = this.fatfsFree();
    if (this.freeChecked || g.fatType !== 32) return free;
    this.freeChecked = true;
    const counted = this.reader.countFree();
    if (counted === free) return free;
    if (this.readOnly) {
      this.roFree = counted;
    } else if (g.fsInfoSector === 1) {
      this.dropAllFiles();
      const fsi = new Uint8Array(4);
      new DataView(fsi.buffer).setUint32(0, counted, true);
      this.device.write(g.ss + 488, fsi);
      this.reader.invalidate(g.ss + 488, 4);
      this.inst.invalidate(this.pdrv, g.ss + 488, 4);
      this.remount();
    }
    return counted;
  }

  /** @internal called once after mount */
  checkFsInfoAtMount(): void {
    const g = this.geo;
    if (this.readOnly || g.fatType !== 32 || g.fsInfoSector !== 1) return;
    const b = new Uint8Array(4);
    this.device.read(g.ss + 488, b);
    const claimed = new DataView(b.buffer).getUint32(0, true);
    if (claimed === 0) this.checkFreeCount();
  }
}

/** Adds an entry to a listing's indexes (the first of equal keys wins, as in a directory scan). */
function index(l: Listing, e: RawEntry): void {
  const k = foldKey(e.name);
  if (!l.byKey.has(k)) l.byKey.set(k, e);
  const u = e.name.toUpperCase();
  if (!l.byUpper.has(u)) l.byUpper.set(u, e);
  if (!l.bySfn.has(e.sfn)) l.bySfn.set(e.sfn, e);
  if (e.attr & ATTR_DIR) l.subdirs++;
}
