/**
 * Free blocks of an ext2/3/4 filesystem, from its block bitmaps (read in
 * TypeScript: the superblock, the group descriptors and one bitmap block per
 * group). Conservative: a group whose bitmap was never initialised
 * (BLOCK_UNINIT) counts as used, and a filesystem whose journal needs
 * recovery is refused (its bitmaps may be stale until the journal is replayed).
 */
import type { BlockDevice } from '../../block/block-device.js';
import { ImageError } from '../../errors/index.js';
import { mergeRanges, type ByteRange } from './byte-ranges.js';

const le16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const le32 = (b: Uint8Array, o: number) => (le16(b, o) | (le16(b, o + 2) << 16)) >>> 0;

const INCOMPAT_RECOVER = 0x4;
const INCOMPAT_META_BG = 0x10;
const INCOMPAT_64BIT = 0x80;
const BG_BLOCK_UNINIT = 0x2;

/** An ext filesystem whose free space is not read in process (the appliance can zero it). */
export class ExtFreeSpaceRefused extends ImageError {}

export async function extFreeRanges(dev: BlockDevice): Promise<ByteRange[]> {
  const sb = await dev.read(1024, 1024);
  if (le16(sb, 0x38) !== 0xef53) throw new ImageError(dev.name, 'not an ext2/3/4 filesystem');
  const incompat = le32(sb, 0x60);
  if (incompat & INCOMPAT_RECOVER) throw new ExtFreeSpaceRefused(dev.name, 'the ext journal needs recovery (the guest was not shut down cleanly)');
  if (incompat & INCOMPAT_META_BG) throw new ExtFreeSpaceRefused(dev.name, 'ext meta_bg layouts are not read in process');
  const is64 = (incompat & INCOMPAT_64BIT) !== 0;
  const blockSize = 1024 << le32(sb, 0x18);
  const blocksCount = le32(sb, 0x04) + (is64 ? le32(sb, 0x150) * 0x100000000 : 0);
  const firstData = le32(sb, 0x14);
  const perGroup = le32(sb, 0x20);
  const descSize = is64 ? le16(sb, 0xfe) : 32;
  if (blockSize > 65536 || perGroup === 0 || descSize < 32 || blocksCount * blockSize > dev.size) {
    throw new ImageError(dev.name, 'ext superblock is inconsistent with the device (corrupt filesystem)');
  }
  const groups = Math.ceil((blocksCount - firstData) / perGroup);
  const descs = await dev.read((firstData + 1) * blockSize, Math.ceil((groups * descSize) / blockSize) * blockSize);
  const free: Array<[number, number]> = [];
  for (let g = 0; g < groups; g++) {
    const d = g * descSize;
    if (le16(descs, d + 0x12) & BG_BLOCK_UNINIT) continue;
    const bitmapBlock = le32(descs, d) + (is64 && descSize >= 64 ? le32(descs, d + 0x20) * 0x100000000 : 0);
    if (bitmapBlock === 0 || bitmapBlock >= blocksCount) throw new ImageError(dev.name, `ext group ${g} has an invalid block bitmap location (corrupt filesystem)`);
    const bitmap = await dev.read(bitmapBlock * blockSize, blockSize);
    const base = firstData + g * perGroup;
    const n = Math.min(perGroup, blocksCount - base);
    let runStart = -1;
    for (let i = 0; i <= n; i++) {
      const isFree = i < n && (bitmap[i >> 3]! & (1 << (i & 7))) === 0;
      if (isFree && runStart < 0) runStart = i;
      else if (!isFree && runStart >= 0) {
        free.push([(base + runStart) * blockSize, (base + i) * blockSize]);
        runStart = -1;
      }
    }
  }
  return mergeRanges(free);
}
