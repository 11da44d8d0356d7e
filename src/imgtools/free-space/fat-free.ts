/**
 * Free clusters of a FAT12/16/32 filesystem, from its first FAT (geometry
 * from the FAT driver's BPB reader, so both agree on the layout). A cluster
 * whose entry is 0 holds no file data; everything else (the boot area, the
 * FATs, a FAT12/16 root directory, used and bad clusters) counts as used.
 */
import type { BlockDevice } from '../../block/block-device.js';
import { readGeometry } from '../../fs/fat/fat-layout.js';
import type { SyncDevice } from '../../fs/fs-driver.js';
import { ImageError } from '../../errors/index.js';
import { mergeRanges, type ByteRange } from './byte-ranges.js';

/** The boot sector area, served synchronously to the BPB reader. */
async function bootArea(dev: BlockDevice): Promise<SyncDevice> {
  const head = await dev.read(0, Math.min(dev.size, 8192));
  return {
    size: dev.size,
    readOnly: true,
    read(offset, into) {
      if (offset + into.length > head.length) throw new ImageError(dev.name, 'FAT boot area read out of range');
      into.set(head.subarray(offset, offset + into.length));
    },
    write() {
      throw new ImageError(dev.name, 'read-only');
    },
    flush() {},
  };
}

export async function fatFreeRanges(dev: BlockDevice): Promise<ByteRange[]> {
  let geo;
  try {
    geo = readGeometry(await bootArea(dev));
  } catch (e) {
    throw new ImageError(dev.name, `not a usable FAT filesystem: ${(e as Error).message}`, { cause: e });
  }
  const fatBytes = Math.ceil((geo.nFatent * geo.fatType) / 8);
  if (geo.fatOffset + fatBytes > dev.size || geo.dataOffset + (geo.nFatent - 2) * geo.clusterBytes > dev.size) {
    throw new ImageError(dev.name, 'FAT geometry is larger than the device (truncated or corrupt filesystem)');
  }
  const fat = await dev.read(geo.fatOffset, fatBytes);
  const entry = (c: number): number => {
    if (geo.fatType === 32) return (fat[c * 4]! | (fat[c * 4 + 1]! << 8) | (fat[c * 4 + 2]! << 16) | (fat[c * 4 + 3]! << 24)) & 0x0fffffff;
    if (geo.fatType === 16) return fat[c * 2]! | (fat[c * 2 + 1]! << 8);
    const o = Math.floor((c * 3) / 2);
    const v = fat[o]! | (fat[o + 1]! << 8);
    return c & 1 ? v >> 4 : v & 0xfff;
  };
  const free: Array<[number, number]> = [];
  for (let c = 2; c < geo.nFatent; c++) {
    if (entry(c) !== 0) continue;
    const start = geo.dataOffset + (c - 2) * geo.clusterBytes;
    const last = free[free.length - 1];
    if (last && last[1] === start) last[1] = start + geo.clusterBytes;
    else free.push([start, start + geo.clusterBytes]);
  }
  return mergeRanges(free);
}
