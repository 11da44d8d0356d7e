/**
 * A read-only XFS driver in TypeScript: v4 and v5 (CRC) filesystems, inodes in
 * local/extents/btree formats, every directory form, local and remote
 * symlinks, sparse files and unwritten extents (read as zeroes). Metadata
 * CRCs are verified on every block read; a mismatch or an impossible value is
 * an FsError('EUCLEAN') naming what is corrupt. Writes fail with EROFS: the
 * wasm backend lists xfs as mountable read-only only, so sessions that write
 * go to the appliance.
 *
 * The log is not replayed: a filesystem that was not cleanly unmounted reads
 * as its last checkpoint, like `mount -o ro,norecovery`.
 */
import { FsError, type Attr, type DirEntry, type FsDriver, type StatVfs, type SyncDevice } from '../fs-driver.js';
import { extentsFromBtree, extentsFromFork, findExtent, fsbToByte, type Extent } from './bmap.js';
import { crcMatches } from './crc32c.js';
import { DIR2_LEAF_OFFSET, dataBlockEntries, shortformEntries } from './dir.js';
import { FMT_BTREE, FMT_EXTENTS, FMT_LOCAL, inodeAttr, parseInode, type XfsInode } from './inode.js';
import { xfsStatfs } from './statfs.js';
import { Lru } from '../../util/lru.js';
import { ListingReadOnlyDriver } from '../read-only-driver.js';
import { corrupt, parseSuperblock, type XfsGeometry } from './superblock.js';

const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000;
const XSLM_MAGIC = 0x58534c4d, SYMLINK_HDR_V5 = 56, SYMLINK_CRC_OFFSET = 12;
const MAXPATHLEN = 1024;
const INODE_CACHE = 4096, INODE_BLOCK_CACHE = 256;

export class XfsDriver extends ListingReadOnlyDriver implements FsDriver {
  readonly type = 'xfs';
  readonly rootIno: number;
  private readonly inodes = new Lru<number, XfsInode>(INODE_CACHE);
  private readonly extents = new Lru<number, Extent[]>(INODE_CACHE);
  private readonly inodeBlocks = new Lru<number, Uint8Array>(INODE_BLOCK_CACHE);
  private closed = false;

  constructor(private readonly device: SyncDevice, readonly geo: XfsGeometry) {
    super();
    this.rootIno = geo.rootIno;
  }

  /** Reads device bytes, refusing ranges past the end of the filesystem or device. */
  readBytes(offset: number, length: number): Uint8Array {
    if (this.closed) throw new FsError('EBADF', 'xfs: the filesystem is closed');
    const fsEnd = this.geo.dblocks * this.geo.blockSize;
    if (offset < 0 || offset + length > fsEnd) throw corrupt(`a structure at byte ${offset} lies outside the filesystem`);
    if (offset + length > this.device.size) throw new FsError('EIO', `xfs: byte ${offset + length} is beyond the end of the device (${this.device.size} bytes): the image is truncated`);
    const buf = new Uint8Array(length);
    this.device.read(offset, buf);
    return buf;
  }

  private inode(ino: number): XfsInode {
    const hit = this.inodes.get(ino);
    if (hit) return hit;
    const g = this.geo;
    if (!Number.isSafeInteger(ino) || ino <= 0) throw corrupt(`inode number ${ino} is invalid`);
    const perAgLog = g.agBlkLog + g.inoPBLog;
    const agno = Math.floor(ino / 2 ** perAgLog);
    const rest = ino - agno * 2 ** perAgLog;
    const agbno = Math.floor(rest / 2 ** g.inoPBLog);
    const slot = rest - agbno * 2 ** g.inoPBLog;
    if (agno >= g.agCount || agbno >= g.agBlocks) throw corrupt(`inode number ${ino} lies outside the filesystem`);
    // The whole block is read and kept: a directory's inodes sit together, and each
    // device read is a round trip to the main thread.
    const block = this.inodeBlock((agno * g.agBlocks + agbno) * g.blockSize);
    const ip = parseInode(block.subarray(slot * g.inodeSize, (slot + 1) * g.inodeSize), ino, g);
    this.inodes.set(ino, ip);
    return ip;
  }

  private inodeBlock(offset: number): Uint8Array {
    let b = this.inodeBlocks.get(offset);
    if (!b) {
      b = this.readBytes(offset, this.geo.blockSize);
      this.inodeBlocks.set(offset, b);
    }
    return b;
  }

  /** The data fork's extents (extents or btree format). */
  private extentsOf(ip: XfsInode): Extent[] {
    const hit = this.extents.get(ip.ino);
    if (hit) return hit;
    const what = `inode ${ip.ino}`;
    if (ip.realtime) throw new FsError('ENOTSUP', `xfs: inode ${ip.ino} keeps its data on a realtime device, which the wasm backend does not read: use --backend=appliance`);
    let ext: Extent[];
    if (ip.format === FMT_EXTENTS) ext = extentsFromFork(ip.dataFork, ip.nextents, this.geo, what);
    else if (ip.format === FMT_BTREE) ext = extentsFromBtree(ip.dataFork, ip.nextents, this.geo, (o, n) => this.readBytes(o, n), ip.ino, what);
    else throw corrupt(`${what} has data fork format ${ip.format} where extents were expected`);
    this.extents.set(ip.ino, ext);
    return ext;
  }

  statfs(): StatVfs {
    return xfsStatfs(this.geo, (o, n) => this.readBytes(o, n));
  }

  getattr(ino: number): Attr {
    return inodeAttr(this.inode(ino), this.geo);
  }

  protected listDirectory(dir: number): DirEntry[] {
    const ip = this.inode(dir);
    if ((ip.mode & S_IFMT) !== S_IFDIR) throw new FsError('ENOTDIR', `xfs: inode ${dir} is not a directory`);
    let entries: DirEntry[];
    if (ip.format === FMT_LOCAL) {
      entries = shortformEntries(ip.dataFork, ip.size, this.geo, dir).entries;
    } else {
      entries = [];
      const g = this.geo;
      const dirBlockBytes = g.blockSize << g.dirBlkLog;
      const fsbPerDirBlock = 1 << g.dirBlkLog;
      const leafFsb = DIR2_LEAF_OFFSET / g.blockSize;
      // A directory block may span several extents: visit each directory block once, in order.
      let next = 0;
      for (const e of this.extentsOf(ip)) {
        if (e.fileBlock >= leafFsb) break;
        if (e.unwritten) throw corrupt(`directory ${dir} has an unwritten extent`);
        const last = Math.floor((Math.min(e.fileBlock + e.count, leafFsb) - 1) / fsbPerDirBlock);
        for (let db = Math.max(next, Math.floor(e.fileBlock / fsbPerDirBlock)); db <= last; db++) {
          dataBlockEntries(this.readFileBlocks(ip, db * fsbPerDirBlock, dirBlockBytes), g, dir, entries);
          next = db + 1;
        }
      }
    }
    return entries;
  }

  /** `length` bytes of a file from file block `fb`, holes and unwritten extents as zeroes. */
  private readFileBlocks(ip: XfsInode, fb: number, length: number): Uint8Array {
    return this.readRange(ip, fb * this.geo.blockSize, length);
  }

  private readRange(ip: XfsInode, offset: number, length: number): Uint8Array {
    const g = this.geo;
    const out = new Uint8Array(length);
    const ext = this.extentsOf(ip);
    let pos = offset;
    const end = offset + length;
    let i = findExtent(ext, Math.floor(pos / g.blockSize));
    while (pos < end && i < ext.length) {
      const e = ext[i]!;
      const eStart = e.fileBlock * g.blockSize, eEnd = (e.fileBlock + e.count) * g.blockSize;
      if (eStart >= end) break;
      const from = Math.max(pos, eStart), to = Math.min(end, eEnd);
      if (!e.unwritten && to > from) {
        const dev = fsbToByte(g, e.fsBlock, `inode ${ip.ino}`) + (from - eStart);
        out.set(this.readBytes(dev, to - from), from - offset);
      }
      pos = to;
      i++;
    }
    return out;
  }

  read(ino: number, offset: number, length: number): Uint8Array {
    const ip = this.inode(ino);
    const fmt = ip.mode & S_IFMT;
    if (fmt === S_IFDIR) throw new FsError('EISDIR', `xfs: inode ${ino} is a directory`);
    if (fmt !== S_IFREG) throw new FsError('EINVAL', `xfs: inode ${ino} is not a regular file`);
    const n = Math.max(0, Math.min(length, ip.size - offset));
    if (n === 0) return new Uint8Array(0);
    if (ip.format === FMT_LOCAL) {
      if (ip.size > ip.dataFork.length) throw corrupt(`inode ${ino}: inline data larger than the inode`);
      return ip.dataFork.slice(offset, offset + n);
    }
    return this.readRange(ip, offset, n);
  }

  readlink(ino: number): string {
    const ip = this.inode(ino);
    if ((ip.mode & S_IFMT) !== S_IFLNK) throw new FsError('EINVAL', `xfs: inode ${ino} is not a symbolic link`);
    if (ip.size === 0 || ip.size > MAXPATHLEN) throw corrupt(`symlink inode ${ino} has length ${ip.size}`);
    let target: Uint8Array;
    if (ip.format === FMT_LOCAL) {
      if (ip.size > ip.dataFork.length) throw corrupt(`symlink inode ${ino}: target larger than the inode`);
      target = ip.dataFork.subarray(0, ip.size);
    } else {
      target = this.remoteSymlink(ip);
    }
    return new TextDecoder('utf-8').decode(target);
  }

  /** A symlink target in blocks: on v5 each block starts with a header (offset, length, CRC, owner). */
  private remoteSymlink(ip: XfsInode): Uint8Array {
    const g = this.geo;
    const out = new Uint8Array(ip.size);
    let got = 0;
    for (const e of this.extentsOf(ip)) {
      for (let k = 0; k < e.count && got < ip.size; k++) {
        const blk = this.readBytes(fsbToByte(g, e.fsBlock + k, `symlink inode ${ip.ino}`), g.blockSize);
        let data = blk;
        if (g.version === 5) {
          const dv = new DataView(blk.buffer);
          if (dv.getUint32(0) !== XSLM_MAGIC) throw corrupt(`symlink inode ${ip.ino}: remote block has a bad magic number`);
          if (!crcMatches(blk, SYMLINK_CRC_OFFSET)) throw corrupt(`symlink inode ${ip.ino}: remote block checksum mismatch`);
          const off = dv.getUint32(4), bytes = dv.getUint32(8);
          const owner = dv.getUint32(32) * 0x100000000 + dv.getUint32(36);
          if (owner !== ip.ino || off !== got || bytes > g.blockSize - SYMLINK_HDR_V5) throw corrupt(`symlink inode ${ip.ino}: remote block header is inconsistent`);
          data = blk.subarray(SYMLINK_HDR_V5, SYMLINK_HDR_V5 + bytes);
        }
        const n = Math.min(data.length, ip.size - got);
        out.set(data.subarray(0, n), got);
        got += n;
      }
    }
    if (got !== ip.size) throw corrupt(`symlink inode ${ip.ino}: target is shorter than its length`);
    return out;
  }

  protected refusal(op: string): string {
    return `xfs: ${op}: the wasm backend reads xfs only: use --backend=appliance to write`;
  }
  close(): void {
    this.closed = true;
  }
}

/** Opens an XFS filesystem read-only. A read-write request is refused: the caller should have chosen the appliance. */
export function openXfs(device: SyncDevice, opts: { readOnly: boolean }): XfsDriver {
  if (!opts.readOnly) throw new FsError('EROFS', 'xfs: the wasm backend mounts xfs read-only only: use --backend=appliance to write');
  if (device.size < 512) throw new FsError('EINVAL', 'xfs: the device is too small to hold a filesystem');
  const head = new Uint8Array(Math.min(device.size, 32768));
  device.read(0, head);
  const geo = parseSuperblock(head);
  if (geo.sectSize > head.length) throw new FsError('EIO', 'xfs: the device ends inside the superblock');
  const drv = new XfsDriver(device, geo);
  if ((drv.getattr(geo.rootIno).mode & S_IFMT) !== S_IFDIR) throw corrupt('the root inode is not a directory');
  return drv;
}

