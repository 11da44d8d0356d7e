/**
 * A read-only ISO 9660 driver in TypeScript, presenting a disc as Linux's
 * isofs does with its default options: Rock Ridge when the root carries the
 * SUSP "SP" entry, else Joliet when there is a Joliet descriptor, else plain
 * identifiers mapped to lower case without their ";1" version. Multi-extent
 * files (ISO level 3: several records of one name) read as one file; relocated
 * deep directories (CL/RE) appear where they belong. Writes fail with EROFS.
 *
 * Inode numbers are the byte offset of the file's (first) directory record
 * divided by 32, which is how Linux numbers isofs inodes; a directory is its
 * own '.' record (number, attributes and times), except a relocated one, which
 * keeps its placeholder's number.
 */
import { DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, DT_UNKNOWN, FsError, type Attr, type DirEntry, type FsDriver, type StatVfs, type SyncDevice, type Timespec } from '../fs-driver.js';
import { Lru } from '../../util/lru.js';
import { ReadOnlyDriver } from '../read-only-driver.js';
import { corrupt, dirRecords, FLAG_ASSOCIATED, FLAG_DIRECTORY, FLAG_MULTI_EXTENT, shortDate, type DirRecord } from './dir-record.js';
import { jolietName, plainName, rockName } from './names.js';
import { parseRockRidge, suspSkip, type RockInfo } from './rock-ridge.js';
import { readVolume, type IsoVolume } from './volume.js';
import { readZisofs, type ZisofsParams } from './zisofs.js';

const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000;
/** Linux's defaults without Rock Ridge: r-x for everyone, owned by root. */
const DEFAULT_PERMS = 0o555;
/** Directories bigger than this are taken as corrupt rather than read into memory. */
const MAX_DIR_BYTES = 256 << 20;
const DIR_CACHE = 64;
const NAME_MAX = 255;
/** Deeper than any path a tool can name (PATH_MAX 4096, two bytes a level). */
const MAX_DEPTH = 2048;

interface Section {
  at: number;
  length: number;
}

/** A file as Linux's isofs builds its inode: the stat fields, and where its data lies. */
interface IsoNode extends Pick<Attr, 'ino' | 'mode' | 'nlink' | 'uid' | 'gid' | 'size' | 'rdev' | 'atime' | 'mtime' | 'ctime'> {
  /** File data, or the directory's own extent (one section). */
  sections: Section[];
  symlink?: string;
  zisofs?: ZisofsParams;
  interleaved: boolean;
}

interface DirIndex {
  entries: DirEntry[];
  byName: Map<string, number>;
  nodes: Map<number, IsoNode>;
  /** Joliet: names with ASCII letters lower-cased, the first of equal ones kept. */
  folded?: Map<string, number>;
}

const linuxDev = (major: number, minor: number) => (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
const inoOf = (rec: DirRecord) => Math.floor(rec.offset / 32);
const dtOf = (mode: number): number => {
  switch (mode & S_IFMT) {
    case S_IFDIR: return DT_DIR;
    case S_IFREG: return DT_REG;
    case S_IFLNK: return DT_LNK;
    case 0o010000: return DT_FIFO;
    case 0o020000: return DT_CHR;
    case 0o060000: return DT_BLK;
    case 0o140000: return DT_SOCK;
    default: return DT_UNKNOWN;
  }
};
const foldCase = (name: string) => name.replace(/[A-Z]+/g, (m) => m.toLowerCase());
const isSelfOrParent = (rec: DirRecord) => rec.name.length === 1 && rec.name[0]! <= 1;

export class IsoDriver extends ReadOnlyDriver implements FsDriver {
  readonly type = 'iso9660';
  readonly rootIno: number;
  /** -1 without Rock Ridge, else the SUSP skip length. */
  private readonly rockSkip: number;
  private readonly joliet: boolean;
  private readonly root: IsoNode;
  private readonly dirs = new Lru<number, DirIndex>(DIR_CACHE);
  /** Which directory lists each inode handed out: a node evicted with its directory is rebuilt from there. */
  private readonly parentOf = new Map<number, number>();
  private closed = false;

  constructor(private readonly device: SyncDevice, readonly volume: IsoVolume) {
    super();
    const primaryDot = this.firstRecord(volume.root);
    this.rockSkip = suspSkip(primaryDot.systemUse);
    // Rock Ridge wins over Joliet (Linux's choice when a disc has both).
    this.joliet = this.rockSkip < 0 && volume.joliet !== undefined;
    const rootRec = this.joliet ? volume.joliet!.root : volume.root;
    const dot = this.joliet ? this.firstRecord(rootRec) : primaryDot;
    this.root = this.nodeOf([dot], this.rock(dot), rootRec);
    this.rootIno = this.root.ino;
  }

  /** Reads device bytes, refusing ranges past the end of the device. */
  private readBytes(offset: number, length: number): Uint8Array {
    if (this.closed) throw new FsError('EBADF', 'iso9660: the filesystem is closed');
    if (offset < 0 || !Number.isSafeInteger(offset + length)) throw corrupt(`a structure at byte ${offset} lies outside the disc`);
    if (offset + length > this.device.size) throw new FsError('EIO', `iso9660: byte ${offset + length} is beyond the end of the device (${this.device.size} bytes): the image is truncated`);
    const buf = new Uint8Array(length);
    this.device.read(offset, buf);
    return buf;
  }

  private extentStart(rec: DirRecord): number {
    return (rec.extent + rec.xarBlocks) * this.volume.blockSize;
  }

  /** The first record ('.') of a directory's extent. */
  private firstRecord(dir: DirRecord): DirRecord {
    const bs = this.volume.blockSize;
    const recs = dirRecords(this.readBytes(this.extentStart(dir), bs), this.extentStart(dir), bs);
    if (!recs.length || !isSelfOrParent(recs[0]!)) throw corrupt(`the directory at block ${dir.extent} does not start with its '.' record`);
    return recs[0]!;
  }

  private rock(rec: DirRecord): RockInfo | undefined {
    if (this.rockSkip < 0) return undefined;
    return parseRockRidge(rec.systemUse, this.rockSkip, (o, n) => this.readBytes(o, n), this.volume.blockSize);
  }

  /** Attributes of a file from its records (several for a multi-extent file), as Linux builds its inode. */
  private nodeOf(recs: DirRecord[], rr: RockInfo | undefined, dirExtent?: DirRecord): IsoNode {
    const first = recs[0]!;
    const isDir = (first.flags & FLAG_DIRECTORY) !== 0;
    const t = { sec: shortDate(first.date), nsec: 0 };
    const node: IsoNode = {
      ino: inoOf(first),
      mode: (isDir ? S_IFDIR : S_IFREG) | DEFAULT_PERMS,
      nlink: 1,
      uid: 0,
      gid: 0,
      size: 0,
      rdev: 0,
      atime: t,
      mtime: t,
      ctime: t,
      sections: (dirExtent ? [dirExtent] : recs).map((r) => ({ at: this.extentStart(r), length: r.dataLength })),
      interleaved: recs.some((r) => r.interleaved),
    };
    node.size = node.sections.reduce((a, s) => a + s.length, 0);
    if (rr?.rock) {
      if (rr.mode !== undefined) node.mode = rr.mode;
      if (rr.nlink !== undefined) node.nlink = rr.nlink;
      if (rr.uid !== undefined) node.uid = rr.uid;
      if (rr.gid !== undefined) node.gid = rr.gid;
      if (rr.rdev) {
        // PN's high word is 0 when the low one holds an old-style major << 8 | minor (what genisoimage writes).
        const { major: high, minor: low } = rr.rdev;
        node.rdev = high === 0 && low & ~0xff ? linuxDev(low >>> 8, low & 0xff) : linuxDev(high, low);
      }
      if (rr.atime) node.atime = rr.atime;
      if (rr.mtime) node.mtime = rr.mtime;
      if (rr.ctime) node.ctime = rr.ctime;
      if (rr.symlink !== undefined) {
        node.symlink = rr.symlink;
        node.size = Buffer.byteLength(rr.symlink);
      }
      if (rr.zisofs && !isDir) {
        node.zisofs = rr.zisofs;
        node.size = rr.zisofs.realSize;
      }
    }
    return node;
  }

  private nameOf(rec: DirRecord, rr: RockInfo | undefined): string {
    if (rr?.name) return rockName(rr.name);
    return this.joliet ? jolietName(rec.name) : plainName(rec.name);
  }

  private dirIndex(dirIno: number): DirIndex {
    const hit = this.dirs.get(dirIno);
    if (hit) return hit;
    const dir = this.node(dirIno);
    if ((dir.mode & S_IFMT) !== S_IFDIR) throw new FsError('ENOTDIR', `iso9660: inode ${dirIno} is not a directory`);
    const { at, length } = dir.sections[0]!;
    if (length > MAX_DIR_BYTES) throw corrupt(`directory inode ${dirIno} is ${length} bytes long`);
    const idx: DirIndex = { entries: [], byName: new Map(), nodes: new Map() };
    const ancestors = this.ancestorExtents(dirIno);
    let group: DirRecord[] = [];
    for (const rec of dirRecords(this.readBytes(at, length), at, this.volume.blockSize)) {
      if (isSelfOrParent(rec)) continue;
      group.push(rec);
      // A multi-extent file: its records follow each other; the last one has the flag clear.
      if (rec.flags & FLAG_MULTI_EXTENT) continue;
      const recs = group;
      group = [];
      if (recs[0]!.flags & FLAG_ASSOCIATED) continue;
      const rr = this.rock(recs[0]!);
      if (rr?.relocated) continue; // shown where its CL placeholder is
      const name = this.nameOf(recs[recs.length - 1]!, rr);
      if (!name || name === '.' || name === '..' || name.includes('/') || Buffer.byteLength(name) > NAME_MAX) continue;
      const node = rr?.childLink !== undefined ? this.relocatedDir(recs[0]!, rr.childLink)
        : recs[0]!.flags & FLAG_DIRECTORY ? this.dirNode(recs[0]!)
        : this.nodeOf(recs, rr);
      // A corrupt record pointing back up would make every tree walk endless.
      if ((node.mode & S_IFMT) === S_IFDIR && ancestors.has(node.sections[0]!.at)) {
        throw corrupt(`directory '${name}' (record at byte ${recs[0]!.offset}) is its own ancestor: the directory tree loops`);
      }
      if (idx.byName.has(name) || idx.nodes.has(node.ino)) continue;
      idx.entries.push({ name, ino: node.ino, type: dtOf(node.mode) });
      idx.byName.set(name, node.ino);
      idx.nodes.set(node.ino, node);
      this.parentOf.set(node.ino, dirIno);
    }
    this.dirs.set(dirIno, idx);
    return idx;
  }

  /** A directory is its '.' record, as in Linux: attributes, times and inode number come from there. */
  private dirNode(rec: DirRecord): IsoNode {
    const dot = this.firstRecord(rec);
    return this.nodeOf([dot], this.rock(dot), dot);
  }

  /** Where the directory and each of its ancestors (up to the root) keep their records. */
  private ancestorExtents(dirIno: number): Set<number> {
    const out = new Set<number>();
    for (let ino: number | undefined = dirIno, steps = 0; ino !== undefined && steps < MAX_DEPTH; steps++) {
      const at = this.node(ino).sections[0]!.at;
      if (out.has(at)) break;
      out.add(at);
      ino = ino === this.rootIno ? undefined : this.parentOf.get(ino);
    }
    return out;
  }

  /** A CL placeholder: the directory relocated to `extent`, with the attributes of its own '.' record. */
  private relocatedDir(placeholder: DirRecord, extent: number): IsoNode {
    const dot = this.firstRecord({ ...placeholder, extent, xarBlocks: 0 });
    if (!(dot.flags & FLAG_DIRECTORY)) throw corrupt(`the relocated directory at block ${extent} is not a directory`);
    const node = this.nodeOf([dot], this.rock(dot), dot);
    node.ino = inoOf(placeholder);
    return node;
  }

  private node(ino: number): IsoNode {
    if (ino === this.rootIno) return this.root;
    const parent = this.parentOf.get(ino);
    const node = parent === undefined ? undefined : this.dirIndex(parent).nodes.get(ino);
    if (!node) throw new FsError('ESTALE', `iso9660: inode ${ino} is unknown`);
    return node;
  }

  statfs(): StatVfs {
    const bs = this.volume.blockSize;
    return { bsize: bs, frsize: bs, blocks: this.volume.blocks, bfree: 0, bavail: 0, files: 0, ffree: 0, favail: 0, fsid: 0, flag: 1, namemax: NAME_MAX };
  }

  getattr(ino: number): Attr {
    const n = this.node(ino);
    return {
      ino: n.ino, mode: n.mode, nlink: n.nlink, uid: n.uid, gid: n.gid, size: n.size,
      blocks: Math.ceil(n.size / 512), blksize: this.volume.blockSize, rdev: n.rdev,
      atime: { ...n.atime }, mtime: { ...n.mtime }, ctime: { ...n.ctime },
    };
  }

  lookup(dir: number, name: string): number {
    const idx = this.dirIndex(dir);
    let ino = idx.byName.get(name);
    // Linux looks Joliet names up case-insensitively (its default check=relaxed there).
    if (ino === undefined && this.joliet) {
      idx.folded ??= new Map([...idx.byName].reverse().map(([n, i]) => [foldCase(n), i]));
      ino = idx.folded.get(foldCase(name));
    }
    if (ino === undefined) throw new FsError('ENOENT', `${name}: No such file or directory`);
    return ino;
  }

  readdir(dir: number): DirEntry[] {
    return this.dirIndex(dir).entries.map((e) => ({ ...e }));
  }

  read(ino: number, offset: number, length: number): Uint8Array {
    const n = this.node(ino);
    const fmt = n.mode & S_IFMT;
    if (fmt === S_IFDIR) throw new FsError('EISDIR', `iso9660: inode ${ino} is a directory`);
    if (fmt !== S_IFREG) throw new FsError('EINVAL', `iso9660: inode ${ino} is not a regular file`);
    if (n.interleaved) throw new FsError('ENOTSUP', `iso9660: inode ${ino} is recorded interleaved, which is not supported by the wasm backend: use --backend=appliance`);
    if (n.zisofs) {
      const stored = n.sections.reduce((a, s) => a + s.length, 0);
      return readZisofs((o, l) => this.readSections(n, o, l), stored, n.zisofs, offset, length, `inode ${ino}`);
    }
    return this.readSections(n, offset, Math.max(0, Math.min(length, n.size - offset)));
  }

  /** `want` bytes at `offset` of a file's stored data, across its sections (multi-extent). */
  private readSections(n: IsoNode, offset: number, want: number): Uint8Array {
    const out = new Uint8Array(want);
    let fileAt = 0;
    for (const s of n.sections) {
      const from = Math.max(offset, fileAt), to = Math.min(offset + want, fileAt + s.length);
      if (to > from) out.set(this.readBytes(s.at + (from - fileAt), to - from), from - offset);
      fileAt += s.length;
      if (fileAt >= offset + want) break;
    }
    return out;
  }

  readlink(ino: number): string {
    const n = this.node(ino);
    if ((n.mode & S_IFMT) !== S_IFLNK || n.symlink === undefined) throw new FsError('EINVAL', `iso9660: inode ${ino} is not a symbolic link`);
    return n.symlink;
  }

  protected refusal(op: string): string {
    return `iso9660: ${op}: an ISO 9660 filesystem is read-only`;
  }
  close(): void {
    this.closed = true;
  }
}

/** Opens an ISO 9660 filesystem; it is always read-only, so a read-write request is refused. */
export function openIso9660(device: SyncDevice, opts: { readOnly: boolean }): IsoDriver {
  if (!opts.readOnly) throw new FsError('EROFS', 'iso9660: an ISO 9660 filesystem can only be mounted read-only');
  return new IsoDriver(device, readVolume(device));
}
