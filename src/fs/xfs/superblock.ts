/**
 * The XFS superblock (first sector of allocation group 0) and the AGF free-space
 * header of each allocation group: the geometry every other structure is
 * addressed with. Layout: "XFS Algorithms & Data Structures", chapters on the
 * superblock and AG headers (all fields big-endian; the CRC little-endian).
 */
import { FsError } from '../fs-driver.js';
import { crcMatches } from './crc32c.js';

export const XFS_SB_MAGIC = 0x58465342; // 'XFSB'
const XFS_AGF_MAGIC = 0x58414746; // 'XAGF'
const SB_CRC_OFFSET = 224;
const AGF_CRC_OFFSET = 216;

/** sb_features_incompat bits. */
const INCOMPAT_FTYPE = 0x1, INCOMPAT_SPINODES = 0x2, INCOMPAT_META_UUID = 0x4, INCOMPAT_BIGTIME = 0x8;
const INCOMPAT_NEEDSREPAIR = 0x10, INCOMPAT_NREXT64 = 0x20;
const INCOMPAT_KNOWN = INCOMPAT_FTYPE | INCOMPAT_SPINODES | INCOMPAT_META_UUID | INCOMPAT_BIGTIME | INCOMPAT_NEEDSREPAIR | INCOMPAT_NREXT64;
/** sb_versionnum / sb_features2 bits (v4). */
const RO_COMPAT_RMAPBT = 0x2;
const VERSION_DIRV2 = 0x2000, VERSION_MOREBITS = 0x8000, VERSION2_FTYPE = 0x200;

export interface XfsGeometry {
  version: 4 | 5;
  blockSize: number;
  sectSize: number;
  inodeSize: number;
  dblocks: number;
  agBlocks: number;
  agCount: number;
  agBlkLog: number;
  inoPBLog: number;
  dirBlkLog: number;
  rootIno: number;
  logStart: number;
  logBlocks: number;
  icount: number;
  ifree: number;
  fdblocks: number;
  /** Whether directory entries carry a file type byte. */
  ftype: boolean;
  /** The UUID stamped in v5 metadata headers (sb_meta_uuid when that feature is set). */
  metaUuid: Uint8Array;
  uuid: Uint8Array;
  /** The percentage of the blocks inodes may take (0: no limit). */
  imaxPct: number;
  /** Whether the reverse-mapping btree exists (its blocks are counted as free space). */
  rmapbt: boolean;
}

const u64 = (dv: DataView, o: number): number => dv.getUint32(o) * 0x100000000 + dv.getUint32(o + 4);

export function corrupt(what: string): FsError {
  return new FsError('EUCLEAN', `xfs: ${what}: filesystem is corrupt`);
}

/** Parses and checks the primary superblock (at least its first 512 bytes; its full sector for the CRC). */
export function parseSuperblock(sector: Uint8Array): XfsGeometry {
  const dv = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  if (dv.getUint32(0) !== XFS_SB_MAGIC) throw new FsError('EINVAL', 'xfs: no XFS superblock (bad magic number)');
  const versionnum = dv.getUint16(100);
  const v = versionnum & 0xf;
  if (v !== 4 && v !== 5) throw new FsError('ENOTSUP', `xfs: superblock version ${v} is not supported`);
  const blockSize = dv.getUint32(4);
  const sectSize = dv.getUint16(102);
  const inodeSize = dv.getUint16(104);
  const blockLog = dv.getUint8(120), sectLog = dv.getUint8(121), inodeLog = dv.getUint8(122), inoPBLog = dv.getUint8(123);
  const agBlkLog = dv.getUint8(124);
  const pow2 = (n: number, log: number, min: number, max: number) => log < 31 && n === 2 ** log && n >= min && n <= max;
  if (!pow2(blockSize, blockLog, 512, 65536) || !pow2(sectSize, sectLog, 512, 32768) || !pow2(inodeSize, inodeLog, 256, 2048) ||
      inoPBLog !== blockLog - inodeLog || blockSize < sectSize) {
    throw corrupt('superblock geometry (block, sector or inode size) is invalid');
  }
  if (v === 5 && sector.length >= sectSize && !crcMatches(sector.subarray(0, sectSize), SB_CRC_OFFSET)) {
    throw corrupt('superblock checksum mismatch');
  }
  const agBlocks = dv.getUint32(84), agCount = dv.getUint32(88);
  const dblocks = u64(dv, 8);
  if (agBlocks < 16 || agCount < 1 || agBlkLog > 31 || agBlocks > 2 ** agBlkLog || agBlocks <= 2 ** (agBlkLog - 1) ||
      dblocks > agBlocks * agCount || dblocks <= agBlocks * (agCount - 1)) {
    throw corrupt('superblock allocation group geometry is invalid');
  }
  if (u64(dv, 16) !== 0 || dv.getUint32(92) !== 0) {
    throw new FsError('ENOTSUP', 'xfs: filesystems with a realtime device are not supported by the wasm backend: use --backend=appliance');
  }
  const features2 = versionnum & VERSION_MOREBITS ? dv.getUint32(200) : 0;
  const incompat = v === 5 ? dv.getUint32(216) : 0;
  if (v === 4 && !(versionnum & VERSION_DIRV2)) throw new FsError('ENOTSUP', 'xfs: version 1 directories are not supported');
  if (incompat & ~INCOMPAT_KNOWN) {
    throw new FsError('ENOTSUP', `xfs: unknown incompatible features 0x${(incompat & ~INCOMPAT_KNOWN).toString(16)}: use --backend=appliance`);
  }
  if (incompat & INCOMPAT_NEEDSREPAIR) throw corrupt('the filesystem is marked as needing xfs_repair');
  if (dv.getUint8(126)) throw corrupt('mkfs.xfs did not finish making the filesystem (sb_inprogress is set)');
  const dirBlkLog = dv.getUint8(192);
  if (blockLog + dirBlkLog > 16) throw corrupt('superblock directory block size is invalid');
  const uuid = sector.slice(32, 48);
  const rootIno = u64(dv, 56);
  return {
    version: v,
    blockSize, sectSize, inodeSize, dblocks, agBlocks, agCount, agBlkLog, inoPBLog, dirBlkLog, rootIno,
    logStart: u64(dv, 48),
    logBlocks: dv.getUint32(96),
    icount: u64(dv, 128),
    ifree: u64(dv, 136),
    fdblocks: u64(dv, 144),
    ftype: v === 5 ? (incompat & INCOMPAT_FTYPE) !== 0 : (features2 & VERSION2_FTYPE) !== 0,
    uuid,
    metaUuid: incompat & INCOMPAT_META_UUID ? sector.slice(248, 264) : uuid,
    imaxPct: dv.getUint8(127),
    rmapbt: v === 5 && (dv.getUint32(212) & RO_COMPAT_RMAPBT) !== 0,
  };
}

export interface AgfCounts {
  freeblks: number;
  flcount: number;
  btreeblks: number;
  rmapBlocks: number;
}

/** Reads the free-space counts of one AGF sector. */
export function parseAgf(sector: Uint8Array, geo: XfsGeometry, agno: number): AgfCounts {
  const dv = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  if (dv.getUint32(0) !== XFS_AGF_MAGIC || dv.getUint32(8) !== agno) throw corrupt(`AGF of allocation group ${agno} has a bad magic number or sequence`);
  if (geo.version === 5 && !crcMatches(sector, AGF_CRC_OFFSET)) throw corrupt(`AGF of allocation group ${agno}: checksum mismatch`);
  return { flcount: dv.getUint32(48), freeblks: dv.getUint32(52), btreeblks: dv.getUint32(60), rmapBlocks: dv.getUint32(80) };
}
