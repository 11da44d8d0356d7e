/**
 * Item bodies of the filesystem and root trees: INODE_ITEM, DIR_ITEM/DIR_INDEX/
 * XATTR_ITEM, INODE_REF, EXTENT_DATA, ROOT_ITEM, ROOT_REF/ROOT_BACKREF. Every
 * length is checked against the item's size.
 */
import type { Timespec } from '../fs-driver.js';
import { type Key } from './tree.js';
import { corrupt, u64 } from './superblock.js';

export const ITEM = {
  INODE_ITEM: 1, INODE_REF: 12, INODE_EXTREF: 13, XATTR_ITEM: 24, DIR_ITEM: 84, DIR_INDEX: 96,
  EXTENT_DATA: 108, ROOT_ITEM: 132, ROOT_BACKREF: 144, ROOT_REF: 156, BLOCK_GROUP_ITEM: 192, DEV_ITEM: 216, CHUNK_ITEM: 228,
} as const;

export const OBJ = { ROOT_TREE: 1, EXTENT_TREE: 2, CHUNK_TREE: 3, DEV_TREE: 4, FS_TREE: 5, ROOT_TREE_DIR: 6, CSUM_TREE: 7, FREE_SPACE_TREE: 10, BLOCK_GROUP_TREE: 11, FIRST_FREE: 256, LAST_FREE: 2 ** 48 } as const;

const dvOf = (d: Uint8Array) => new DataView(d.buffer, d.byteOffset, d.byteLength);
const utf8 = new TextDecoder('utf-8');

export interface InodeItem {
  size: number;
  nbytes: number;
  nlink: number;
  uid: number;
  gid: number;
  mode: number;
  rdev: number;
  flags: number;
  atime: Timespec;
  ctime: Timespec;
  mtime: Timespec;
}

const INODE_ITEM_SIZE = 160;

function timespec(dv: DataView, o: number): Timespec {
  return { sec: Number(dv.getBigInt64(o, true)), nsec: dv.getUint32(o + 8, true) };
}

export function parseInodeItem(d: Uint8Array, what: string, at = 0): InodeItem {
  if (d.length < at + INODE_ITEM_SIZE) throw corrupt(`${what}: inode item is truncated`);
  const dv = dvOf(d);
  const size = u64(dv, at + 16);
  if (size > Number.MAX_SAFE_INTEGER) throw corrupt(`${what} has a huge size`);
  return {
    size,
    nbytes: u64(dv, at + 24),
    nlink: dv.getUint32(at + 40, true),
    uid: dv.getUint32(at + 44, true),
    gid: dv.getUint32(at + 48, true),
    mode: dv.getUint32(at + 52, true),
    rdev: u64(dv, at + 56),
    flags: u64(dv, at + 64),
    atime: timespec(dv, at + 112),
    ctime: timespec(dv, at + 124),
    mtime: timespec(dv, at + 136),
  };
}

export interface DirItem {
  location: Key;
  type: number;
  name: Uint8Array;
  data: Uint8Array;
}

/** The entries packed in one DIR_ITEM / DIR_INDEX / XATTR_ITEM (several share an item when names collide). */
export function parseDirItems(d: Uint8Array, what: string): DirItem[] {
  const dv = dvOf(d);
  const out: DirItem[] = [];
  let o = 0;
  while (o < d.length) {
    if (o + 30 > d.length) throw corrupt(`${what}: directory item is truncated`);
    const dataLen = dv.getUint16(o + 25, true), nameLen = dv.getUint16(o + 27, true);
    const end = o + 30 + nameLen + dataLen;
    if (end > d.length || nameLen === 0) throw corrupt(`${what}: directory item name runs past its item`);
    out.push({
      location: { objectid: u64(dv, o), type: dv.getUint8(o + 8), offset: u64(dv, o + 9) },
      type: dv.getUint8(o + 29),
      name: d.subarray(o + 30, o + 30 + nameLen),
      data: d.subarray(o + 30 + nameLen, end),
    });
    o = end;
  }
  return out;
}

export const decodeName = (b: Uint8Array): string => utf8.decode(b);

/** INODE_REF entries: (index, name) of each link of the inode in the key's parent directory. */
export function parseInodeRefs(d: Uint8Array, what: string): { index: number; name: Uint8Array }[] {
  const dv = dvOf(d);
  const out: { index: number; name: Uint8Array }[] = [];
  let o = 0;
  while (o < d.length) {
    if (o + 10 > d.length) throw corrupt(`${what}: inode ref is truncated`);
    const len = dv.getUint16(o + 8, true);
    if (o + 10 + len > d.length) throw corrupt(`${what}: inode ref name runs past its item`);
    out.push({ index: u64(dv, o), name: d.subarray(o + 10, o + 10 + len) });
    o += 10 + len;
  }
  return out;
}

export const EXTENT_INLINE = 0, EXTENT_REG = 1, EXTENT_PREALLOC = 2;
export const COMPRESS_NONE = 0, COMPRESS_ZLIB = 1, COMPRESS_LZO = 2, COMPRESS_ZSTD = 3;

export interface FileExtent {
  /** File offset of the extent (the key offset). */
  fileOffset: number;
  type: number;
  compression: number;
  /** Decoded size (inline: the whole data; regular: the whole on-disk extent once decompressed). */
  ramBytes: number;
  /** Inline data (as stored, possibly compressed). */
  inline?: Uint8Array;
  diskBytenr: number;
  diskNumBytes: number;
  /** Offset into the decoded extent where this file range starts. */
  offset: number;
  /** Bytes of the file this extent covers. */
  numBytes: number;
}

export function parseFileExtent(d: Uint8Array, fileOffset: number, what: string): FileExtent {
  if (d.length < 21) throw corrupt(`${what}: file extent item is truncated`);
  const dv = dvOf(d);
  const type = dv.getUint8(20), compression = dv.getUint8(16), ramBytes = u64(dv, 8);
  if (dv.getUint8(17) || dv.getUint16(18, true)) throw corrupt(`${what}: file extent is encrypted or encoded`);
  if (compression > COMPRESS_ZSTD) throw corrupt(`${what}: unknown compression type ${compression}`);
  if (type === EXTENT_INLINE) {
    const inline = d.slice(21);
    const n = compression ? ramBytes : inline.length;
    return { fileOffset, type, compression, ramBytes: n, inline, diskBytenr: 0, diskNumBytes: 0, offset: 0, numBytes: n };
  }
  if (type !== EXTENT_REG && type !== EXTENT_PREALLOC) throw corrupt(`${what}: unknown file extent type ${type}`);
  if (d.length < 53) throw corrupt(`${what}: file extent item is truncated`);
  const e = {
    fileOffset, type, compression, ramBytes,
    diskBytenr: u64(dv, 21), diskNumBytes: u64(dv, 29), offset: u64(dv, 37), numBytes: u64(dv, 45),
  };
  if (e.numBytes > Number.MAX_SAFE_INTEGER || e.offset > Number.MAX_SAFE_INTEGER || e.diskNumBytes > Number.MAX_SAFE_INTEGER) {
    throw corrupt(`${what}: file extent sizes are invalid`);
  }
  return e;
}

export interface RootItem {
  id: number;
  bytenr: number;
  level: number;
  rootDirid: number;
  generation: number;
  bytesUsed: number;
  flags: number;
  uuid: Uint8Array;
  parentUuid: Uint8Array;
  ctransid: number;
  otransid: number;
  otime: Timespec;
  inode: InodeItem;
}

const ROOT_ITEM_V1 = 239;
export const ROOT_SUBVOL_RDONLY = 0x1;

export function parseRootItem(d: Uint8Array, id: number): RootItem {
  const what = `root item ${id}`;
  if (d.length < ROOT_ITEM_V1) throw corrupt(`${what} is truncated`);
  const dv = dvOf(d);
  const v2 = d.length >= 439;
  return {
    id,
    inode: parseInodeItem(d, what),
    generation: u64(dv, 160),
    rootDirid: u64(dv, 168),
    bytenr: u64(dv, 176),
    bytesUsed: u64(dv, 192),
    flags: u64(dv, 208),
    level: dv.getUint8(238),
    uuid: v2 ? d.slice(247, 263) : new Uint8Array(16),
    parentUuid: v2 ? d.slice(263, 279) : new Uint8Array(16),
    ctransid: v2 ? u64(dv, 295) : 0,
    otransid: v2 ? u64(dv, 303) : 0,
    otime: v2 ? timespec(dv, 339) : { sec: 0, nsec: 0 },
  };
}

/** ROOT_REF / ROOT_BACKREF: the directory (in the parent subvolume) and name of a subvolume. */
export function parseRootRef(d: Uint8Array, what: string): { dirid: number; sequence: number; name: Uint8Array } {
  if (d.length < 18) throw corrupt(`${what}: root ref is truncated`);
  const dv = dvOf(d);
  const len = dv.getUint16(16, true);
  if (18 + len > d.length) throw corrupt(`${what}: root ref name runs past its item`);
  return { dirid: u64(dv, 0), sequence: u64(dv, 8), name: d.subarray(18, 18 + len) };
}
