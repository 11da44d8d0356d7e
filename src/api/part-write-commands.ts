/**
 * Writing partition tables: part-init, part-add, part-disk. Both backends run the
 * same TypeScript writer (src/partition/partition-writer.ts): the wasm backend on
 * the drive directly, the appliance through the agent, after which its kernel re-reads the table.
 */
import type { BlockDevice } from '../block/block-device.js';
import { ErrnoError } from '../errors/index.js';
type MountInfo = { device: string; mountpoint: string };
import {
  addPartition, initPartitionTable, parsePartType, parsePrlogex, partitionWholeDisk,
} from '../partition/partition-writer.js';
import { applianceOp } from './appliance-access.js';
import { defineCommand } from './types.js';
import { wasm, type WasmContext } from './wasm-access.js';

/** Wasm: runs a writer on a whole drive nothing of which is mounted, then re-reads the devices. */
export async function wasmRewrite<T>(ctx: WasmContext, device: string, fn: (dev: BlockDevice) => Promise<T>): Promise<T> {
  const b = wasm(ctx);
  const entry = b.device(device);
  if (entry.partition || entry.lv) throw new ErrnoError('EINVAL', `${device}: not a whole device (a partition)`);
  const mounted = await b.rpc('mounts');
  if (mounted.some((m) => b.devices.get(m.device)?.drive === entry.drive)) {
    throw new ErrnoError('EBUSY', `${device}: a partition of this device is mounted`);
  }
  const result = await fn(entry.dev);
  await b.rescanDevices();
  return result;
}

export const partInit = defineCommand({
  name: 'part-init',
  args: [{ name: 'device', kind: 'Device' }, { name: 'parttype', kind: 'String' }],
  ret: 'void',
  shortdesc: 'create an empty partition table',
  longdesc: `Writes a new, empty partition table on the whole device, destroying the partitions it had.
parttype is "msdos" (alias "mbr") for an MBR or "gpt" (alias "efi") for a GUID partition table
(128 entries, with its backup at the end of the disk). Other parted table types are not supported.`,
  examples: ['part-init /dev/sda gpt', 'part-init /dev/sdb mbr'],
  impl: {
    appliance: applianceOp('partInit'),
    wasm: async (ctx, [dev, type]) => {
      const t = parsePartType(type);
      await wasmRewrite(ctx, dev, (d) => initPartitionTable(d, t));
    },
  },
});

export const partAdd = defineCommand({
  name: 'part-add',
  args: [{ name: 'device', kind: 'Device' }, { name: 'prlogex', kind: 'String' }, { name: 'startsect', kind: 'Int64' }, { name: 'endsect', kind: 'Int64' }],
  ret: 'void',
  shortdesc: 'add a partition to the device',
  longdesc: `Adds a partition from sector startsect to sector endsect, inclusive (512-byte sectors).
A negative endsect counts back from the end of the disk: -1 is the last sector.
prlogex is "p" (or "primary"), "e" ("extended") or "l" ("logical"); GPT has only primary
partitions, which are named "primary" and typed Linux filesystem data. A logical partition
goes inside the extended one, with its EBR in the sector before it (the extended partition's
first sector for the first logical). Overlaps and sectors outside the table are refused.`,
  examples: ['part-add /dev/sda p 2048 -2048', 'part-add /dev/sda l 22528 40959'],
  impl: {
    appliance: applianceOp('partAdd'),
    wasm: async (ctx, [dev, prlogex, start, end]) => {
      const kind = parsePrlogex(prlogex);
      await wasmRewrite(ctx, dev, (d) => addPartition(d, kind, start, end));
    },
  },
});

export const partDisk = defineCommand({
  name: 'part-disk',
  args: [{ name: 'device', kind: 'Device' }, { name: 'parttype', kind: 'String' }],
  ret: 'void',
  shortdesc: 'partition whole disk with a single primary partition',
  longdesc: `Writes a new partition table of type parttype ("msdos"/"mbr" or "gpt"/"efi") holding one
primary partition over the disk, as libguestfs lays it out: from sector 128 to sector N-128, N being
the disk's size in sectors (on GPT it is named "p1").`,
  examples: ['part-disk /dev/sda mbr'],
  impl: {
    appliance: applianceOp('partDisk'),
    wasm: async (ctx, [dev, type]) => {
      const t = parsePartType(type);
      await wasmRewrite(ctx, dev, (d) => partitionWholeDisk(d, t));
    },
  },
});
