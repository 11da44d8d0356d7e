/**
 * What sparsify can do to a disk in process: for each filesystem device (the
 * partitions, or the whole disk when it has no table), the byte ranges that
 * may read as zeroes in the output: an ext filesystem's free blocks (from its
 * bitmaps), a FAT filesystem's free clusters (from its FAT), a Linux swap area after its header page (label, UUID and version
 * kept, as virt-sparsify keeps them), a --zero device whole. Devices holding
 * something only the appliance can zero (LVM, ntfs, xfs, btrfs, an ext
 * journal awaiting recovery) are listed with the reason.
 */
import type { BlockDevice } from '../block/block-device.js';
import { SliceDevice } from '../block/slice.js';
import { probeDevice } from '../probe/probe.js';
import { readPartitionTable } from '../partition/partition-table.js';
import { mergeRanges, shiftRanges, type ByteRange } from './free-space/byte-ranges.js';
import { extFreeRanges, ExtFreeSpaceRefused } from './free-space/ext-free.js';
import { fatFreeRanges } from './free-space/fat-free.js';

export interface SparsifyStep {
  device: string;
  /** fill: free space zeroed; swap: cleared after its header; zero: --zero. */
  action: 'fill' | 'swap' | 'zero';
  ranges: ByteRange[];
}

export interface SparsifyPlan {
  steps: SparsifyStep[];
  /** Devices whose content only the appliance zeroes: "DEVICE is TYPE". */
  needsAppliance: string[];
  /** Every range of every step, merged: disk byte offsets. */
  zeroed: ByteRange[];
}

const SWAP_MAGIC_OFFSET = 4086;
const SWAP_HEADER = 4096;

async function isLinuxSwap(dev: BlockDevice): Promise<boolean> {
  if (dev.size < SWAP_HEADER) return false;
  return Buffer.from(await dev.read(SWAP_MAGIC_OFFSET, 10)).toString('latin1') === 'SWAPSPACE2';
}

/** The filesystem devices of the disk, in name order, with their byte extents. */
export async function filesystemDevices(disk: BlockDevice): Promise<Array<{ device: string; start: number; size: number }>> {
  const table = await readPartitionTable(disk);
  if (!table) return [{ device: '/dev/sda', start: 0, size: disk.size }];
  return table.partitions
    .filter((p) => !p.extended)
    .map((p) => ({ device: `/dev/sda${p.number}`, start: p.start, size: p.size }))
    .sort((a, b) => (a.device < b.device ? -1 : 1));
}

export async function planSparsify(disk: BlockDevice, o: { ignore: readonly string[]; zero: readonly string[] }): Promise<SparsifyPlan> {
  const steps: SparsifyStep[] = [];
  const needsAppliance: string[] = [];
  for (const { device, start, size } of await filesystemDevices(disk)) {
    if (o.ignore.includes(device)) continue;
    if (o.zero.includes(device)) {
      steps.push({ device, action: 'zero', ranges: [[start, start + size]] });
      continue;
    }
    const part = new SliceDevice(disk, start, size, { name: device, readOnly: true });
    const { type } = await probeDevice(part);
    if (type === 'ext2' || type === 'ext3' || type === 'ext4') {
      try {
        steps.push({ device, action: 'fill', ranges: shiftRanges(await extFreeRanges(part), start) });
      } catch (e) {
        if (!(e instanceof ExtFreeSpaceRefused)) throw e;
        needsAppliance.push(`${device}: ${e.message.slice(device.length + 2)}`);
      }
    } else if (type === 'vfat') {
      steps.push({ device, action: 'fill', ranges: shiftRanges(await fatFreeRanges(part), start) });
    } else if (type === 'swap' || (await isLinuxSwap(part))) {
      if (await isLinuxSwap(part)) steps.push({ device, action: 'swap', ranges: [[start + SWAP_HEADER, start + size]] });
    } else if (type !== '' && type !== 'unknown' && type !== 'iso9660' && type !== 'squashfs') {
      // (read-only formats are copied as they are, as virt-sparsify cannot mount them writable either)
      needsAppliance.push(`${device} is ${type}`);
    }
  }
  return { steps, needsAppliance, zeroed: mergeRanges(steps.flatMap((s) => s.ranges)) };
}
