/**
 * Directory entries of XFS v2/v3 directories. Short-form directories live in
 * the inode; all others (block, leaf, node and btree forms) keep their entries
 * in data blocks in the first 32 GiB of the directory's address space, which
 * is all a reader needs: the leaf and free-index blocks above it only speed up
 * lookups and allocation. Layout: "XFS Algorithms & Data Structures",
 * Directories.
 */
import { DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, DT_UNKNOWN, type DirEntry } from '../fs-driver.js';
import { crcMatches } from './crc32c.js';
import { corrupt, type XfsGeometry } from './superblock.js';

const XD2B = 0x58443242, XD2D = 0x58443244; // v4 block, data
const XDB3 = 0x58444233, XDD3 = 0x58444433; // v5 block, data
const DATA_HDR_V4 = 16, DATA_HDR_V5 = 64, DIR3_CRC_OFFSET = 4;
const FREE_TAG = 0xffff;
/** Where leaf blocks start in a directory's address space: data blocks lie below. */
export const DIR2_LEAF_OFFSET = 2 ** 35;

/** XFS_DIR3_FT_* to DT_*. */
const FTYPE_TO_DT = [DT_UNKNOWN, DT_REG, DT_DIR, DT_CHR, DT_BLK, DT_FIFO, DT_SOCK, DT_LNK];

const utf8 = new TextDecoder('utf-8');
/** Names are bytes on disk: decoded as UTF-8 like the rest of guestkit does. */
const nameOf = (b: Uint8Array) => utf8.decode(b);

function checkName(name: Uint8Array, dirIno: number): void {
  if (name.length === 0 || name.includes(0) || name.includes(0x2f)) throw corrupt(`directory ${dirIno} holds an invalid name`);
}

/** Entries of a short-form directory (the inode's data fork). */
export function shortformEntries(fork: Uint8Array, size: number, geo: XfsGeometry, dirIno: number): { parent: number; entries: DirEntry[] } {
  if (size > fork.length || size < 6) throw corrupt(`short-form directory ${dirIno} has size ${size}`);
  const dv = new DataView(fork.buffer, fork.byteOffset, size);
  const count = dv.getUint8(0), i8 = dv.getUint8(1);
  const inoLen = i8 ? 8 : 4;
  const readIno = (o: number) => (inoLen === 8 ? dv.getUint32(o) * 0x100000000 + dv.getUint32(o + 4) : dv.getUint32(o));
  let o = 2;
  if (o + inoLen > size) throw corrupt(`short-form directory ${dirIno} is truncated`);
  const parent = readIno(o);
  o += inoLen;
  const entries: DirEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (o + 3 > size) throw corrupt(`short-form directory ${dirIno} is truncated`);
    const namelen = dv.getUint8(o);
    const nameAt = o + 3;
    const after = nameAt + namelen + (geo.ftype ? 1 : 0);
    if (after + inoLen > size) throw corrupt(`short-form directory ${dirIno} is truncated`);
    const raw = fork.subarray(nameAt, nameAt + namelen);
    checkName(raw, dirIno);
    const ft = geo.ftype ? dv.getUint8(nameAt + namelen) : 0;
    entries.push({ name: nameOf(raw), ino: readIno(after), type: FTYPE_TO_DT[ft] ?? DT_UNKNOWN });
    o = after + inoLen;
  }
  return { parent, entries };
}

/**
 * Appends the entries of one directory data block (block-form or data-form)
 * to `out`; '.' and '..' are skipped. `owner` is checked against v5 headers.
 */
export function dataBlockEntries(block: Uint8Array, geo: XfsGeometry, dirIno: number, out: DirEntry[]): void {
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const magic = dv.getUint32(0);
  const v5 = geo.version === 5;
  const isBlockForm = magic === (v5 ? XDB3 : XD2B);
  if (!isBlockForm && magic !== (v5 ? XDD3 : XD2D)) throw corrupt(`directory ${dirIno}: data block has a bad magic number`);
  if (v5) {
    if (!crcMatches(block, DIR3_CRC_OFFSET)) throw corrupt(`directory ${dirIno}: data block checksum mismatch`);
    if (dv.getUint32(40) * 0x100000000 + dv.getUint32(44) !== dirIno) throw corrupt(`directory ${dirIno}: data block belongs to another inode`);
  }
  let end = block.length;
  if (isBlockForm) {
    // the tail: leaf entry count and stale count, after the leaf entries
    const count = dv.getUint32(block.length - 8);
    end = block.length - 8 - count * 8;
  }
  let o = v5 ? DATA_HDR_V5 : DATA_HDR_V4;
  if (end < o) throw corrupt(`directory ${dirIno}: block tail is invalid`);
  while (o < end) {
    if (o + 8 > end) throw corrupt(`directory ${dirIno}: entry runs past the block`);
    if (dv.getUint16(o) === FREE_TAG) {
      const len = dv.getUint16(o + 2);
      if (len < 8 || len % 8 || o + len > end) throw corrupt(`directory ${dirIno}: free space entry is invalid`);
      o += len;
      continue;
    }
    const ino = dv.getUint32(o) * 0x100000000 + dv.getUint32(o + 4);
    const namelen = dv.getUint8(o + 8);
    const len = (8 + 1 + namelen + (geo.ftype ? 1 : 0) + 2 + 7) & ~7;
    if (namelen === 0 || o + len > end) throw corrupt(`directory ${dirIno}: entry runs past the block`);
    if (dv.getUint16(o + len - 2) !== o) throw corrupt(`directory ${dirIno}: entry tag does not match its offset`);
    const raw = block.subarray(o + 9, o + 9 + namelen);
    const dot = (namelen === 1 && raw[0] === 0x2e) || (namelen === 2 && raw[0] === 0x2e && raw[1] === 0x2e);
    if (!dot) {
      checkName(raw, dirIno);
      const ft = geo.ftype ? dv.getUint8(o + 9 + namelen) : 0;
      out.push({ name: nameOf(raw), ino, type: FTYPE_TO_DT[ft] ?? DT_UNKNOWN });
    }
    o += len;
  }
}
