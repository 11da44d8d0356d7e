/** Listing and probing block devices. */
import { btrfsvol } from '../core/mountable.js';
import { applianceOp } from './appliance-access.js';
import { defineCommand } from './types.js';
import { wasm } from './wasm-access.js';

export const listDevices = defineCommand({
  name: 'list-devices',
  args: [],
  ret: 'strings',
  shortdesc: 'list the block devices',
  longdesc: 'Lists the whole block devices (/dev/sda, /dev/sdb, ...), one per drive added, in order.',
  examples: ['list-devices'],
  impl: { appliance: applianceOp('listDevices'), wasm: async (ctx) => wasm(ctx).devices.drives.map((d) => d.name) },
});

export const listPartitions = defineCommand({
  name: 'list-partitions',
  args: [],
  ret: 'strings',
  shortdesc: 'list the partitions',
  longdesc: `Lists every partition on every drive (MBR primary, extended and logical partitions,
and GPT partitions), named as Linux names them: /dev/sda1, ..., logical partitions from 5.`,
  examples: ['list-partitions'],
  impl: { appliance: applianceOp('listPartitions'), wasm: async (ctx) => wasm(ctx).devices.partitions.map((p) => p.name) },
});

export const listFilesystems = defineCommand({
  name: 'list-filesystems',
  args: [],
  ret: 'hash',
  shortdesc: 'list the filesystems',
  longdesc: `Lists the devices that may hold a filesystem (partitions, whole drives with no
partition table, and LVM logical volumes as /dev/VG/LV) with the filesystem type found on
each ("unknown" when none is recognised). Extended partitions and LVM physical volumes are
not listed.`,
  examples: ['list-filesystems'],
  impl: {
    appliance: applianceOp('listFilesystems'),
    wasm: async (ctx) => {
      const b = wasm(ctx);
      const out: Record<string, string> = {};
      for (const d of b.devices.filesystemCandidates()) {
        const { type } = await b.probe(d.name);
        if (type === 'LVM2_member') continue; // PVs are reached through their LVs
        out[d.name] = type || 'unknown';
        if (type === 'btrfs') {
          // One btrfs device is many mountables: the device (its default subvolume) and each other subvolume.
          const { defaultId, subvolumes } = await b.btrfsInfo(d.name);
          for (const v of subvolumes) if (v.id !== defaultId) out[btrfsvol({ device: d.name, subvol: v.path })] = 'btrfs';
        }
      }
      return out;
    },
  },
});

export const vfsType = defineCommand({
  name: 'vfs-type',
  args: [{ name: 'mountable', kind: 'Mountable' }],
  ret: 'string',
  shortdesc: 'get the filesystem type',
  longdesc: 'Returns the type of the filesystem on the device (ext4, vfat, ntfs, LVM2_member, swap, ...), or an empty string when none is recognised.',
  examples: ['vfs-type /dev/sda1'],
  impl: { appliance: applianceOp('vfsType'), wasm: async (ctx, [dev]) => (await wasm(ctx).probe(dev)).type },
});

export const vfsLabel = defineCommand({
  name: 'vfs-label',
  args: [{ name: 'mountable', kind: 'Mountable' }],
  ret: 'string',
  shortdesc: 'get the filesystem label',
  longdesc: 'Returns the label of the filesystem on the device, or an empty string when it has none.',
  examples: ['vfs-label /dev/sda1'],
  impl: { appliance: applianceOp('vfsLabel'), wasm: async (ctx, [dev]) => (await wasm(ctx).probe(dev)).label },
});

export const vfsUuid = defineCommand({
  name: 'vfs-uuid',
  args: [{ name: 'mountable', kind: 'Mountable' }],
  ret: 'string',
  shortdesc: 'get the filesystem UUID',
  longdesc: 'Returns the UUID of the filesystem on the device, or an empty string when it has none.',
  examples: ['vfs-uuid /dev/sda1'],
  impl: { appliance: applianceOp('vfsUuid'), wasm: async (ctx, [dev]) => (await wasm(ctx).probe(dev)).uuid },
});

export const blockdevGetsize64 = defineCommand({
  name: 'blockdev-getsize64',
  args: [{ name: 'device', kind: 'Device' }],
  ret: 'int64',
  shortdesc: 'get the total size of a device in bytes',
  longdesc: 'Returns the size of the device (a drive or a partition) in bytes.',
  examples: ['blockdev-getsize64 /dev/sda'],
  impl: { appliance: applianceOp('blockdevGetsize64'), wasm: async (ctx, [dev]) => wasm(ctx).device(dev).dev.size },
});
