/**
 * Block maps: the extent records of an inode fork, whether they sit in the
 * inode (extents format) or in the leaves of a block-map btree whose root is
 * in the inode (btree format). Layout: "XFS Algorithms & Data Structures",
 * Data Extents and B+tree Extent List (records are 128-bit big-endian packed:
 * 1-bit unwritten flag, 54-bit file offset, 52-bit block, 21-bit length).
 */
import { crcMatches } from './crc32c.js';
import { corrupt, type XfsGeometry } from './superblock.js';
import { partitionPoint } from '../../util/partition-point.js';

export interface Extent {
  /** File offset, in filesystem blocks. */
  fileBlock: number;
  /** Filesystem block number (AG number and AG block packed: see fsbToByte). */
  fsBlock: number;
  count: number;
  unwritten: boolean;
}

const BMAP_MAGIC = 0x424d4150, BMA3_MAGIC = 0x424d4133; // 'BMAP', 'BMA3'
const LONG_HDR_V4 = 24, LONG_HDR_V5 = 72, LONG_CRC_OFFSET = 64;
const MAX_LEVELS = 9;

/** Decodes one 16-byte extent record. */
export function decodeExtent(dv: DataView, o: number): Extent {
  const w0 = dv.getUint32(o), w1 = dv.getUint32(o + 4), w2 = dv.getUint32(o + 8), w3 = dv.getUint32(o + 12);
  return {
    unwritten: w0 >>> 31 === 1,
    fileBlock: (w0 & 0x7fffffff) * 2 ** 23 + (w1 >>> 9),
    fsBlock: (w1 & 0x1ff) * 2 ** 43 + w2 * 2 ** 11 + (w3 >>> 21),
    count: w3 & 0x1fffff,
  };
}

/** Byte offset on the device of a filesystem block number; throws on a block outside the filesystem. */
export function fsbToByte(geo: XfsGeometry, fsb: number, what: string): number {
  const agno = Math.floor(fsb / 2 ** geo.agBlkLog);
  const agbno = fsb - agno * 2 ** geo.agBlkLog;
  if (agno >= geo.agCount || agbno >= geo.agBlocks) throw corrupt(`${what} points at block ${fsb}, outside the filesystem`);
  return (agno * geo.agBlocks + agbno) * geo.blockSize;
}

export type BlockReader = (byteOffset: number, length: number) => Uint8Array;

function checkExtents(out: Extent[], geo: XfsGeometry, what: string): Extent[] {
  let end = 0;
  for (const e of out) {
    if (e.count === 0 || e.fileBlock < end) throw corrupt(`${what}: extent list out of order or empty extent`);
    end = e.fileBlock + e.count;
    fsbToByte(geo, e.fsBlock, what);
    fsbToByte(geo, e.fsBlock + e.count - 1, what);
  }
  return out;
}

/** The extents of a fork in extents format. */
export function extentsFromFork(fork: Uint8Array, nextents: number, geo: XfsGeometry, what: string): Extent[] {
  if (nextents * 16 > fork.length) throw corrupt(`${what}: ${nextents} extents do not fit in the inode`);
  const dv = new DataView(fork.buffer, fork.byteOffset, fork.byteLength);
  const out: Extent[] = [];
  for (let i = 0; i < nextents; i++) out.push(decodeExtent(dv, i * 16));
  return checkExtents(out, geo, what);
}

/**
 * The extents of a fork in btree format: the root in the inode (level, count,
 * keys, pointers sized to the fork), then long-form btree blocks down to the
 * leaves, read left to right. `limit` bounds the records (the inode's extent count).
 */
export function extentsFromBtree(fork: Uint8Array, nextents: number, geo: XfsGeometry, read: BlockReader, ino: number, what: string): Extent[] {
  const dv = new DataView(fork.buffer, fork.byteOffset, fork.byteLength);
  if (fork.length < 4) throw corrupt(`${what}: btree root does not fit in the inode`);
  const level = dv.getUint16(0), numrecs = dv.getUint16(2);
  const rootMax = Math.floor((fork.length - 4) / 16);
  if (level === 0 || level > MAX_LEVELS || numrecs === 0 || numrecs > rootMax) throw corrupt(`${what}: btree root is invalid`);
  const out: Extent[] = [];
  const hdr = geo.version === 5 ? LONG_HDR_V5 : LONG_HDR_V4;
  if (nextents > geo.dblocks) throw corrupt(`${what}: more extents than the filesystem has blocks`);
  // Leaves hold at least one record each and levels strictly decrease: this many visits suffice.
  let budget = (nextents + 1) * (MAX_LEVELS + 1);
  const visit = (fsb: number, expectLevel: number) => {
    if (--budget < 0) throw corrupt(`${what}: btree has more blocks than its extents need`);
    const block = read(fsbToByte(geo, fsb, what), geo.blockSize);
    const b = new DataView(block.buffer, block.byteOffset, block.byteLength);
    const magic = b.getUint32(0);
    if (magic !== (geo.version === 5 ? BMA3_MAGIC : BMAP_MAGIC)) throw corrupt(`${what}: btree block ${fsb} has a bad magic number`);
    if (geo.version === 5) {
      if (!crcMatches(block, LONG_CRC_OFFSET)) throw corrupt(`${what}: btree block ${fsb}: checksum mismatch`);
      if (b.getUint32(56) * 0x100000000 + b.getUint32(60) !== ino) throw corrupt(`${what}: btree block ${fsb} belongs to another inode`);
    }
    const lvl = b.getUint16(4), n = b.getUint16(6);
    const max = Math.floor((geo.blockSize - hdr) / 16);
    if (lvl !== expectLevel || n === 0 || n > max) throw corrupt(`${what}: btree block ${fsb} has an invalid level or record count`);
    if (lvl === 0) {
      if (out.length + n > nextents) throw corrupt(`${what}: btree holds more extents than the inode records`);
      for (let i = 0; i < n; i++) out.push(decodeExtent(b, hdr + i * 16));
      return;
    }
    const ptrs = hdr + max * 8;
    for (let i = 0; i < n; i++) visit(b.getUint32(ptrs + i * 8) * 0x100000000 + b.getUint32(ptrs + i * 8 + 4), lvl - 1);
  };
  const rootPtrs = 4 + rootMax * 8;
  for (let i = 0; i < numrecs; i++) visit(dv.getUint32(rootPtrs + i * 8) * 0x100000000 + dv.getUint32(rootPtrs + i * 8 + 4), level - 1);
  if (out.length !== nextents) throw corrupt(`${what}: btree holds ${out.length} extents, the inode records ${nextents}`);
  return checkExtents(out, geo, what);
}

/** Index of the extent containing file block `fb`, or of the first one after it (extents.length if none). */
export function findExtent(extents: readonly Extent[], fb: number): number {
  return partitionPoint(extents.length, (i) => extents[i]!.fileBlock + extents[i]!.count <= fb);
}
