/**
 * Logical-to-physical mapping: the chunks (CHUNK_ITEMs) of the system chunk
 * array in the superblock, then of the chunk tree, over every device of the
 * filesystem (by devid). SINGLE, DUP and RAID1/1C3/1C4 keep copies (mirrors) of
 * each byte; RAID0 stripes, RAID10 stripes over mirrored pairs. A read takes
 * one mirror; the caller asks for another when the first fails its checksum.
 * RAID5/6 (parity) are refused clearly.
 */
import { FsError, type SyncDevice } from '../fs-driver.js';
import { corrupt, u64 } from './superblock.js';
import { partitionPoint } from '../../util/partition-point.js';

export const BG_DATA = 0x1, BG_SYSTEM = 0x2, BG_METADATA = 0x4;
const BG_RAID0 = 0x8, BG_RAID1 = 0x10, BG_DUP = 0x20, BG_RAID10 = 0x40, BG_RAID5 = 0x80, BG_RAID6 = 0x100;
const BG_RAID1C3 = 0x200, BG_RAID1C4 = 0x400;
const CHUNK_ITEM_SIZE = 48, STRIPE_SIZE = 32;
const MAX_STRIPES = 256;

export interface Stripe {
  devid: number;
  offset: number;
}

export interface Chunk {
  logical: number;
  length: number;
  type: number;
  stripeLen: number;
  subStripes: number;
  stripes: Stripe[];
}

/** How many copies of each byte a block group type keeps (btrfs's "factor" in df). */
export function profileFactor(type: number): number {
  if (type & (BG_RAID1 | BG_DUP | BG_RAID10)) return 2;
  if (type & BG_RAID1C3) return 3;
  if (type & BG_RAID1C4) return 4;
  return 1;
}

/** Parses one CHUNK_ITEM body (at least `length` bytes from `off`). */
export function parseChunk(dv: DataView, off: number, avail: number, logical: number): { chunk: Chunk; size: number } {
  if (avail < CHUNK_ITEM_SIZE) throw corrupt(`chunk at ${logical} is truncated`);
  const numStripes = dv.getUint16(off + 44, true);
  const size = CHUNK_ITEM_SIZE + numStripes * STRIPE_SIZE;
  if (numStripes === 0 || numStripes > MAX_STRIPES || size > avail) throw corrupt(`chunk at ${logical} has ${numStripes} stripes`);
  const stripes: Stripe[] = [];
  for (let i = 0; i < numStripes; i++) stripes.push({ devid: u64(dv, off + 48 + i * 32), offset: u64(dv, off + 56 + i * 32) });
  const chunk = {
    logical,
    length: u64(dv, off),
    stripeLen: u64(dv, off + 16),
    type: u64(dv, off + 24),
    subStripes: dv.getUint16(off + 46, true),
    stripes,
  };
  if (chunk.length === 0 || chunk.stripeLen === 0 || (chunk.type & BG_RAID10 && (chunk.subStripes < 1 || numStripes % chunk.subStripes))) {
    throw corrupt(`chunk at ${logical} has an invalid length or stripe geometry`);
  }
  return { chunk, size };
}

/** One copy of a piece of a logical range. */
export interface Copy {
  devid: number;
  physical: number;
}

/** A piece of a logical range within one stripe of one chunk, and where its copies are. */
export interface Piece {
  length: number;
  copies: Copy[];
}

export class ChunkMap {
  private chunks: Chunk[] = [];

  /** `devids`: the devices in the session (a copy elsewhere cannot be read). */
  constructor(private readonly devids: ReadonlySet<number>) {}

  add(c: Chunk): void {
    // The chunk tree repeats the system chunks of the superblock: keep one of each.
    const i = this.find(c.logical);
    if (i >= 0 && this.chunks[i]!.logical === c.logical) return;
    this.chunks.push(c);
    this.chunks.sort((a, b) => a.logical - b.logical);
  }

  get all(): readonly Chunk[] {
    return this.chunks;
  }

  /** The index of the last chunk starting at or before `logical` (-1: none). */
  private find(logical: number): number {
    return partitionPoint(this.chunks.length, (i) => this.chunks[i]!.logical <= logical) - 1;
  }

  /** The pieces of [logical, logical+length): each lies within one stripe of one chunk. */
  map(logical: number, length: number): Piece[] {
    const out: Piece[] = [];
    let pos = logical;
    const end = logical + length;
    if (length > 0 && !(end > logical)) throw corrupt(`logical address ${logical} is out of range`);
    while (pos < end) {
      const i = this.find(pos);
      const c = i >= 0 ? this.chunks[i]! : undefined;
      if (!c || pos >= c.logical + c.length) throw corrupt(`logical address ${pos} is in no chunk`);
      const piece = this.stripePiece(c, pos - c.logical, Math.min(end, c.logical + c.length) - pos, pos);
      out.push(piece);
      pos += piece.length;
    }
    return out;
  }

  private stripePiece(c: Chunk, off: number, want: number, logical: number): Piece {
    if (c.type & (BG_RAID5 | BG_RAID6)) {
      throw new FsError('ENOTSUP', 'btrfs: RAID5/6 chunks are not supported by the wasm backend: use --backend=appliance');
    }
    let mirrors: Stripe[], physOff: number, len = want;
    if (c.type & (BG_RAID0 | BG_RAID10)) {
      const sub = c.type & BG_RAID10 ? c.subStripes : 1;
      const factor = c.stripes.length / sub;
      const stripeNr = Math.floor(off / c.stripeLen), within = off - stripeNr * c.stripeLen;
      const first = (stripeNr % factor) * sub;
      mirrors = c.stripes.slice(first, first + sub);
      physOff = Math.floor(stripeNr / factor) * c.stripeLen + within;
      len = Math.min(want, c.stripeLen - within);
    } else {
      mirrors = c.stripes;
      physOff = off;
    }
    const copies = mirrors.filter((s) => this.devids.has(s.devid)).map((s) => ({ devid: s.devid, physical: s.offset + physOff }));
    if (!copies.length) {
      throw new FsError('ENODEV', `btrfs: logical address ${logical} lies on device ${mirrors.map((s) => s.devid).join(' or ')}, which is not in the session: add every device of the filesystem (-a)`);
    }
    return { length: len, copies };
  }
}

/** Reads the CHUNK_ITEMs of the superblock's system chunk array. */
export function sysChunks(array: Uint8Array, map: ChunkMap): void {
  const dv = new DataView(array.buffer, array.byteOffset, array.byteLength);
  let off = 0;
  while (off < array.length) {
    if (off + 17 > array.length) throw corrupt('system chunk array is truncated');
    const type = dv.getUint8(off + 8);
    if (type !== 228) throw corrupt('system chunk array holds something other than a chunk');
    const logical = u64(dv, off + 9);
    off += 17;
    const { chunk, size } = parseChunk(dv, off, array.length - off, logical);
    map.add(chunk);
    off += size;
  }
}

/**
 * Reads a logical range of the filesystem from its devices (devid → device),
 * each piece from copy number `mirror` of its copies (wrapping around).
 */
export function readMapped(devices: ReadonlyMap<number, SyncDevice>, chunks: ChunkMap, logical: number, length: number, mirror = 0): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of chunks.map(logical, length)) {
    const copy = p.copies[mirror % p.copies.length]!;
    const device = devices.get(copy.devid)!;
    if (copy.physical + p.length > device.size) {
      throw new FsError('EIO', `btrfs: byte ${copy.physical + p.length} is beyond the end of device ${copy.devid} (${device.size} bytes): the image is truncated`);
    }
    device.read(copy.physical, out.subarray(at, at + p.length));
    at += p.length;
  }
  return out;
}

/** How many copies the first byte of a logical range has (the mirrors a failed read may try). */
export function mirrorCount(chunks: ChunkMap, logical: number): number {
  return chunks.map(logical, 1)[0]!.copies.length;
}
