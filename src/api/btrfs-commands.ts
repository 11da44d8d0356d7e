/**
 * btrfs subvolumes. The appliance runs btrfs-progs on the guest kernel's btrfs; the wasm
 * backend reads the root tree itself (read-only: creating or changing subvolumes needs
 * the appliance, so --backend=auto chooses it for those).
 * A filesystem argument is a mounted guest path or a device (mounted for the call).
 */
import { applianceOp } from './appliance-access.js';
import { defineCommand } from './types.js';
import { wasm } from './wasm-access.js';

export const btrfsSubvolumeCreate = defineCommand({
  name: 'btrfs-subvolume-create',
  args: [{ name: 'dest', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'create a btrfs subvolume',
  longdesc: 'Creates a btrfs subvolume at dest, a path on a mounted btrfs filesystem (its parent directory must exist).',
  examples: ['btrfs-subvolume-create /@'],
  impl: { appliance: applianceOp('btrfsSubvolumeCreate') },
});

export const btrfsSubvolumeList = defineCommand({
  name: 'btrfs-subvolume-list',
  args: [{ name: 'fs', kind: 'String' }],
  ret: 'structs',
  fields: ['btrfssubvolume_id', 'btrfssubvolume_top_level_id', 'btrfssubvolume_path'],
  shortdesc: 'list btrfs snapshots and subvolumes',
  longdesc: 'Lists the subvolumes of the btrfs filesystem fs (a mounted path, a device or a btrfsvol: mountable): ID, top level ID and path from the top of the filesystem, in ID order.',
  examples: ['btrfs-subvolume-list /', 'btrfs-subvolume-list /dev/sda2'],
  impl: {
    appliance: applianceOp('btrfsSubvolumeList'),
    wasm: async (ctx, [fs]) => (await wasm(ctx).btrfsInfo(fs)).subvolumes.map((v) => ({
      btrfssubvolume_id: v.id, btrfssubvolume_top_level_id: v.topLevel, btrfssubvolume_path: v.path,
    })),
  },
});

export const btrfsSubvolumeGetDefault = defineCommand({
  name: 'btrfs-subvolume-get-default',
  args: [{ name: 'fs', kind: 'String' }],
  ret: 'int64',
  shortdesc: 'get the default subvolume or snapshot of a filesystem',
  longdesc: 'Returns the ID of the subvolume a plain mount of the btrfs filesystem fs mounts.',
  examples: ['btrfs-subvolume-get-default /dev/sda2'],
  impl: { appliance: applianceOp('btrfsSubvolumeGetDefault'), wasm: async (ctx, [fs]) => (await wasm(ctx).btrfsInfo(fs)).defaultId },
});

export const btrfsSubvolumeSetDefault = defineCommand({
  name: 'btrfs-subvolume-set-default',
  args: [{ name: 'id', kind: 'Int64' }, { name: 'fs', kind: 'String' }],
  ret: 'void',
  shortdesc: 'set default btrfs subvolume',
  longdesc: 'Makes subvolume id what a plain mount of the btrfs filesystem fs mounts.',
  examples: ['btrfs-subvolume-set-default 256 /'],
  impl: { appliance: applianceOp('btrfsSubvolumeSetDefault') },
});
