/**
 * Logical-to-physical mapping: the chunks (CHUNK_ITEMs) of the system chunk
 * array in the superblock, then of the chunk tree. One device only: SINGLE,
 * DUP and RAID1/1C3/1C4 read the first copy; RAID0 and RAID10 are striped.
 * RAID5/6 (parity) and chunks on other devices are refused clearly.
 */
import { FsError, type SyncDevice } from '../fs-driver.js';
import { corrupt, u64 } from './superblock.js';

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

export class ChunkMap {
  private chunks: Chunk[] = [];

  constructor(private readonly devid: number) {}

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

  private find(logical: number): number {
    let lo = 0, hi = this.chunks.length - 1, ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.chunks[mid]!.logical <= logical) { ans = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return ans;
  }

  /**
   * The physical pieces of [logical, logical+length): each { physical, length } lies
   * within one stripe of one chunk.
   */
  map(logical: number, length: number): { physical: number; length: number }[] {
    const out: { physical: number; length: number }[] = [];
    let pos = logical;
    const end = logical + length;
    while (pos < end) {
      const i = this.find(pos);
      const c = i >= 0 ? this.chunks[i]! : undefined;
      if (!c || pos >= c.logical + c.length) throw corrupt(`logical address ${pos} is in no chunk`);
      const off = pos - c.logical;
      const inChunk = Math.min(end, c.logical + c.length) - pos;
      const piece = this.stripePiece(c, off, inChunk);
      out.push(piece);
      pos += piece.length;
    }
    return out;
  }

  /** Of a set of mirrors, the copy on this device (or the first, refused below). */
  private onThisDevice(mirrors: Stripe[]): Stripe {
    return mirrors.find((s) => s.devid === this.devid) ?? mirrors[0]!;
  }

  private stripePiece(c: Chunk, off: number, want: number): { physical: number; length: number } {
    if (c.type & (BG_RAID5 | BG_RAID6)) {
      throw new FsError('ENOTSUP', 'btrfs: RAID5/6 chunks are not supported by the wasm backend: use --backend=appliance');
    }
    let stripe: Stripe, physOff: number, len = want;
    if (c.type & (BG_RAID0 | BG_RAID10)) {
      const sub = c.type & BG_RAID10 ? c.subStripes : 1;
      const factor = c.stripes.length / sub;
      const stripeNr = Math.floor(off / c.stripeLen), within = off - stripeNr * c.stripeLen;
      const first = (stripeNr % factor) * sub;
      stripe = this.onThisDevice(c.stripes.slice(first, first + sub));
      physOff = Math.floor(stripeNr / factor) * c.stripeLen + within;
      len = Math.min(want, c.stripeLen - within);
    } else {
      stripe = this.onThisDevice(c.stripes);
      physOff = off;
    }
    if (stripe.devid !== this.devid) {
      throw new FsError('ENOTSUP', `btrfs: data lies on device ${stripe.devid}, which is not in the session: multi-device btrfs needs --backend=appliance`);
    }
    return { physical: stripe.offset + physOff, length: len };
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

/** Reads a logical range of the filesystem from the device. */
export function readMapped(device: SyncDevice, chunks: ChunkMap, logical: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of chunks.map(logical, length)) {
    if (p.physical + p.length > device.size) {
      throw new FsError('EIO', `btrfs: byte ${p.physical + p.length} is beyond the end of the device (${device.size} bytes): the image is truncated`);
    }
    device.read(p.physical, out.subarray(at, at + p.length));
    at += p.length;
  }
  return out;
}
