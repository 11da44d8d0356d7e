/**
 * On-disk inodes: the core (mode, owners, times, size, fork formats) and where
 * the data fork lies inside the inode. Layout: "XFS Algorithms & Data
 * Structures", On-disk Inode (v1/v2 core is 100 bytes, v3 core 176 with CRC).
 */
import type { Attr, Timespec } from '../fs-driver.js';
import { crcMatches } from './crc32c.js';
import { corrupt, type XfsGeometry } from './superblock.js';

const XFS_DINODE_MAGIC = 0x494e; // 'IN'
const V3_CRC_OFFSET = 100;
const V3_CORE_SIZE = 176, V2_CORE_SIZE = 100;

export const FMT_DEV = 0, FMT_LOCAL = 1, FMT_EXTENTS = 2, FMT_BTREE = 3;
const DIFLAG_REALTIME = 0x1;
const DIFLAG2_BIGTIME = 0x8, DIFLAG2_NREXT64 = 0x10;
/** Bigtime timestamps count nanoseconds from 1901-12-13 (the minimum 32-bit time). */
const BIGTIME_EPOCH_OFFSET = 2 ** 31;

export interface XfsInode {
  ino: number;
  mode: number;
  format: number;
  uid: number;
  gid: number;
  nlink: number;
  size: number;
  nblocks: number;
  nextents: number;
  realtime: boolean;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  /** The data fork's bytes (local data, extent records, or the btree root). */
  dataFork: Uint8Array;
  rdev: number;
}

const u64 = (dv: DataView, o: number): number => dv.getUint32(o) * 0x100000000 + dv.getUint32(o + 4);

function timestamp(dv: DataView, o: number, bigtime: boolean): Timespec {
  if (bigtime) {
    const ns = dv.getBigUint64(o);
    const sec = ns / 1_000_000_000n;
    return { sec: Number(sec) - BIGTIME_EPOCH_OFFSET, nsec: Number(ns - sec * 1_000_000_000n) };
  }
  return { sec: dv.getInt32(o), nsec: dv.getUint32(o + 4) };
}

/** Linux's dev_t encoding (new_encode_dev) of XFS's 32-bit device number (14-bit major, 18-bit minor). */
function linuxDev(xfsDev: number): number {
  const major = xfsDev >>> 18, minor = xfsDev & 0x3ffff;
  return ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0;
}

/** Parses one inode's bytes (exactly geo.inodeSize long). */
export function parseInode(buf: Uint8Array, ino: number, geo: XfsGeometry): XfsInode {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint16(0) !== XFS_DINODE_MAGIC) throw corrupt(`inode ${ino} has a bad magic number`);
  const version = dv.getUint8(4);
  if (geo.version === 5 ? version !== 3 : version !== 1 && version !== 2) throw corrupt(`inode ${ino} has version ${version}`);
  if (version === 3) {
    if (!crcMatches(buf, V3_CRC_OFFSET)) throw corrupt(`inode ${ino}: checksum mismatch`);
    if (u64(dv, 152) !== ino) throw corrupt(`inode ${ino} records a different inode number`);
  }
  const format = dv.getUint8(5);
  const flags = dv.getUint16(90);
  const flags2 = version === 3 ? dv.getUint32(124) : 0; // low half of the 64-bit di_flags2
  const bigtime = (flags2 & DIFLAG2_BIGTIME) !== 0;
  const nrext64 = (flags2 & DIFLAG2_NREXT64) !== 0;
  const core = version === 3 ? V3_CORE_SIZE : V2_CORE_SIZE;
  const forkoff = dv.getUint8(82) * 8;
  const forkEnd = forkoff ? core + forkoff : buf.length;
  if (forkEnd > buf.length) throw corrupt(`inode ${ino} has an attribute fork offset beyond the inode`);
  const size = u64(dv, 56);
  if (size > Number.MAX_SAFE_INTEGER || dv.getInt8(56) < 0) throw corrupt(`inode ${ino} has a negative or huge size`);
  const dataFork = buf.subarray(core, forkEnd);
  return {
    ino,
    mode: dv.getUint16(2),
    format,
    uid: dv.getUint32(8),
    gid: dv.getUint32(12),
    nlink: version === 1 ? dv.getUint16(6) : dv.getUint32(16),
    size,
    nblocks: u64(dv, 64),
    nextents: nrext64 ? u64(dv, 24) : dv.getUint32(76),
    realtime: (flags & DIFLAG_REALTIME) !== 0,
    atime: timestamp(dv, 32, bigtime),
    mtime: timestamp(dv, 40, bigtime),
    ctime: timestamp(dv, 48, bigtime),
    dataFork,
    rdev: format === FMT_DEV && dataFork.length >= 4 ? linuxDev(new DataView(buf.buffer, buf.byteOffset + core, 4).getUint32(0)) : 0,
  };
}

export function inodeAttr(ip: XfsInode, geo: XfsGeometry): Attr {
  return {
    ino: ip.ino,
    mode: ip.mode,
    nlink: ip.nlink,
    uid: ip.uid,
    gid: ip.gid,
    size: ip.size,
    blocks: ip.nblocks * (geo.blockSize / 512),
    // Linux's xfs_stat_blksize without allocsize/largeio: a page or the block, whichever is larger.
    blksize: Math.max(4096, geo.blockSize),
    rdev: ip.rdev,
    atime: ip.atime,
    mtime: ip.mtime,
    ctime: ip.ctime,
  };
}
