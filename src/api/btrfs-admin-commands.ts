/**
 * btrfs administration: devices, balance, scrub, quota groups, snapshots,
 * btrfstune and rescue. Only the appliance has btrfs-progs, so these have no wasm
 * implementation and make --backend=auto choose the appliance. Paths are of the
 * mounted guest filesystem.
 */
import { applianceOp } from './appliance-access.js';
import { defineCommand } from './types.js';

export const btrfsBalanceCancel = defineCommand({
  name: 'btrfs-balance-cancel', args: [{ name: 'path', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'cancel a running or paused balance',
  longdesc: 'Stops the balance running (or paused) on the btrfs filesystem mounted at path (btrfs balance cancel).',
  examples: ['btrfs-balance-cancel /'],
  impl: { appliance: applianceOp('btrfsBalanceCancel') },
});

export const btrfsBalancePause = defineCommand({
  name: 'btrfs-balance-pause', args: [{ name: 'path', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'pause a running balance',
  longdesc: 'Pauses the balance running on the btrfs filesystem mounted at path (btrfs balance pause); it fails when none runs.',
  examples: ['btrfs-balance-pause /'],
  impl: { appliance: applianceOp('btrfsBalancePause') },
});

export const btrfsBalanceResume = defineCommand({
  name: 'btrfs-balance-resume', args: [{ name: 'path', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'resume a paused balance',
  longdesc: 'Resumes the paused balance of the btrfs filesystem mounted at path (btrfs balance resume).',
  examples: ['btrfs-balance-resume /'],
  impl: { appliance: applianceOp('btrfsBalanceResume') },
});

export const btrfsBalanceStatus = defineCommand({
  name: 'btrfs-balance-status', args: [{ name: 'path', kind: 'Pathname' }], ret: 'struct',
  fields: ['btrfsbalance_status', 'btrfsbalance_total', 'btrfsbalance_balanced', 'btrfsbalance_considered', 'btrfsbalance_left'],
  shortdesc: 'show the status of a running or paused balance',
  longdesc: `The balance state of the btrfs filesystem mounted at path: status is "none", "running" or
"paused"; total, balanced and considered count chunks, left is the percentage still to do.`,
  examples: ['btrfs-balance-status /'],
  impl: { appliance: applianceOp('btrfsBalanceStatus') },
});

export const btrfsDeviceAdd = defineCommand({
  name: 'btrfs-device-add', args: [{ name: 'devices', kind: 'StringList' }, { name: 'fs', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'add devices to a btrfs filesystem',
  longdesc: 'Adds the devices to the btrfs filesystem mounted at fs (what they held is overwritten). An empty list does nothing.',
  examples: ['btrfs-device-add "/dev/sdb /dev/sdc" /'],
  impl: { appliance: applianceOp('btrfsDeviceAdd') },
});

export const btrfsDeviceDelete = defineCommand({
  name: 'btrfs-device-delete', args: [{ name: 'devices', kind: 'StringList' }, { name: 'fs', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'remove devices from a btrfs filesystem',
  longdesc: 'Moves the data off the devices and removes them from the btrfs filesystem mounted at fs. An empty list does nothing.',
  examples: ['btrfs-device-delete /dev/sdb /'],
  impl: { appliance: applianceOp('btrfsDeviceDelete') },
});

export const btrfsFilesystemBalance = defineCommand({
  name: 'btrfs-filesystem-balance', aliases: ['btrfs-balance'], args: [{ name: 'fs', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'balance a btrfs filesystem',
  longdesc: 'Spreads the chunks of the btrfs filesystem mounted at fs over its devices again (btrfs balance), waiting until it is done.',
  examples: ['btrfs-filesystem-balance /'],
  impl: { appliance: applianceOp('btrfsFilesystemBalance') },
});

export const btrfsFilesystemDefragment = defineCommand({
  name: 'btrfs-filesystem-defragment', args: [{ name: 'path', kind: 'Pathname' }],
  optargs: [{ name: 'flush', kind: 'Bool' }, { name: 'compress', kind: 'String' }], ret: 'void',
  shortdesc: 'defragment a file or directory',
  longdesc: `Defragments the file, or everything below the directory, at path on a btrfs filesystem.
flush:true writes the data out after each file; compress (zlib or lzo) recompresses it on the way.`,
  examples: ['btrfs-filesystem-defragment / flush:true compress:lzo'],
  impl: { appliance: applianceOp('btrfsFilesystemDefragment', ['flush', 'compress']) },
});

export const btrfsFilesystemResize = defineCommand({
  name: 'btrfs-filesystem-resize', args: [{ name: 'mountpoint', kind: 'Pathname' }], optargs: [{ name: 'size', kind: 'Int64' }], ret: 'void',
  shortdesc: 'resize a btrfs filesystem',
  longdesc: `Resizes the btrfs filesystem mounted at mountpoint (btrfs resizes only mounted filesystems) to size
bytes, or to fill its device when size is not given.`,
  examples: ['btrfs-filesystem-resize / size:400000000', 'btrfs-filesystem-resize /'],
  impl: { appliance: applianceOp('btrfsFilesystemResize', ['size']) },
});

export const btrfsFilesystemShow = defineCommand({
  name: 'btrfs-filesystem-show', args: [{ name: 'device', kind: 'Device' }], ret: 'strings',
  shortdesc: 'list devices for btrfs filesystem',
  longdesc: 'The devices the btrfs filesystem on device spans. Fails with ENODEV when some of them are missing.',
  examples: ['btrfs-filesystem-show /dev/sda1'],
  impl: { appliance: applianceOp('btrfsFilesystemShow') },
});

export const btrfsFilesystemSync = defineCommand({
  name: 'btrfs-filesystem-sync', args: [{ name: 'fs', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'sync a btrfs filesystem',
  longdesc: 'Writes out everything pending on the btrfs filesystem mounted at fs (btrfs filesystem sync).',
  examples: ['btrfs-filesystem-sync /'],
  impl: { appliance: applianceOp('btrfsFilesystemSync') },
});

export const btrfsFsck = defineCommand({
  name: 'btrfs-fsck', args: [{ name: 'device', kind: 'Device' }],
  optargs: [{ name: 'superblock', kind: 'Int64' }, { name: 'repair', kind: 'Bool' }], ret: 'void',
  shortdesc: 'check a btrfs filesystem',
  longdesc: `Checks the (unmounted) btrfs filesystem on device and fails on any error found. superblock: the
byte offset of the superblock copy to use; repair:true fixes what it finds.`,
  examples: ['btrfs-fsck /dev/sda1', 'btrfs-fsck /dev/sda1 repair:true'],
  impl: { appliance: applianceOp('btrfsFsck', ['superblock', 'repair']) },
});

export const btrfsImage = defineCommand({
  name: 'btrfs-image', args: [{ name: 'source', kind: 'StringList' }, { name: 'image', kind: 'Pathname' }],
  optargs: [{ name: 'compresslevel', kind: 'Int' }], ret: 'void',
  shortdesc: 'create an image of a btrfs filesystem',
  longdesc: `Writes a metadata image of the btrfs filesystem on the source devices to the guest file image
(btrfs-image): the metadata is kept, file data is zeroed. compresslevel is 0 to 9.`,
  examples: ['btrfs-image /dev/sdb /meta.img compresslevel:2'],
  impl: { appliance: applianceOp('btrfsImage', ['compresslevel']) },
});

export const btrfsQgroupAssign = defineCommand({
  name: 'btrfs-qgroup-assign', args: [{ name: 'src', kind: 'String' }, { name: 'dst', kind: 'String' }, { name: 'path', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'add a qgroup to a parent qgroup',
  longdesc: 'Makes quota group src a member of the parent quota group dst, so they share its limit (path: the mounted btrfs).',
  examples: ['btrfs-qgroup-assign 1/1000 2/1000 /'],
  impl: { appliance: applianceOp('btrfsQgroupAssign') },
});

export const btrfsQgroupCreate = defineCommand({
  name: 'btrfs-qgroup-create', args: [{ name: 'qgroupid', kind: 'String' }, { name: 'subvolume', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'create a subvolume quota group',
  longdesc: 'Creates the quota group qgroupid (LEVEL/ID) on the btrfs filesystem holding subvolume. Quotas must be enabled.',
  examples: ['btrfs-qgroup-create 1/1000 /'],
  impl: { appliance: applianceOp('btrfsQgroupCreate') },
});

export const btrfsQgroupDestroy = defineCommand({
  name: 'btrfs-qgroup-destroy', args: [{ name: 'qgroupid', kind: 'String' }, { name: 'subvolume', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'destroy a subvolume quota group',
  longdesc: 'Removes the quota group qgroupid from the btrfs filesystem holding subvolume.',
  examples: ['btrfs-qgroup-destroy 1/1000 /'],
  impl: { appliance: applianceOp('btrfsQgroupDestroy') },
});

export const btrfsQgroupLimit = defineCommand({
  name: 'btrfs-qgroup-limit', args: [{ name: 'subvolume', kind: 'Pathname' }, { name: 'size', kind: 'Int64' }], ret: 'void',
  shortdesc: 'limit the size of a subvolume',
  longdesc: 'Sets the quota limit of the subvolume at path subvolume to size bytes. Quotas must be enabled.',
  examples: ['btrfs-qgroup-limit /sub1 10737418240'],
  impl: { appliance: applianceOp('btrfsQgroupLimit') },
});

export const btrfsQgroupRemove = defineCommand({
  name: 'btrfs-qgroup-remove', args: [{ name: 'src', kind: 'String' }, { name: 'dst', kind: 'String' }, { name: 'path', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'remove a qgroup from its parent qgroup',
  longdesc: 'Takes quota group src out of its parent quota group dst (path: the mounted btrfs).',
  examples: ['btrfs-qgroup-remove 1/1000 2/1000 /'],
  impl: { appliance: applianceOp('btrfsQgroupRemove') },
});

export const btrfsQgroupShow = defineCommand({
  name: 'btrfs-qgroup-show', args: [{ name: 'path', kind: 'Pathname' }], ret: 'structs',
  fields: ['btrfsqgroup_id', 'btrfsqgroup_rfer', 'btrfsqgroup_excl'],
  shortdesc: 'show subvolume quota groups',
  longdesc: 'The quota groups of the btrfs filesystem mounted at path: id, bytes referenced and bytes exclusive to it.',
  examples: ['btrfs-qgroup-show /'],
  impl: { appliance: applianceOp('btrfsQgroupShow') },
});

export const btrfsQuotaEnable = defineCommand({
  name: 'btrfs-quota-enable', args: [{ name: 'fs', kind: 'String' }, { name: 'enable', kind: 'Bool' }], ret: 'void',
  shortdesc: 'enable or disable subvolume quota support',
  longdesc: 'Switches quota accounting of a btrfs filesystem on or off; fs is a mounted path or a device (mounted for the call).',
  examples: ['btrfs-quota-enable / true', 'btrfs-quota-enable /dev/sda1 false'],
  impl: { appliance: applianceOp('btrfsQuotaEnable') },
});

export const btrfsQuotaRescan = defineCommand({
  name: 'btrfs-quota-rescan', args: [{ name: 'fs', kind: 'String' }], ret: 'void',
  shortdesc: 'trash all qgroup numbers and scan the metadata again with the current config',
  longdesc: 'Recounts the quota groups of a btrfs filesystem from its metadata; fs is a mounted path or a device.',
  examples: ['btrfs-quota-rescan /'],
  impl: { appliance: applianceOp('btrfsQuotaRescan') },
});

export const btrfsReplace = defineCommand({
  name: 'btrfs-replace', args: [{ name: 'srcdev', kind: 'Device' }, { name: 'targetdev', kind: 'Device' }, { name: 'mntpoint', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'replace a btrfs managed device with another device',
  longdesc: `Copies what the btrfs filesystem mounted at mntpoint keeps on srcdev to targetdev (at least as
large, not mounted), then drops srcdev from the filesystem and wipes it.`,
  examples: ['btrfs-replace /dev/sda1 /dev/sdb /'],
  impl: { appliance: applianceOp('btrfsReplace') },
});

export const btrfsRescueChunkRecover = defineCommand({
  name: 'btrfs-rescue-chunk-recover', args: [{ name: 'device', kind: 'Device' }], ret: 'void',
  shortdesc: 'recover the chunk tree of btrfs filesystem',
  longdesc: 'Rebuilds the chunk tree of the btrfs filesystem on device by scanning its devices (btrfs rescue chunk-recover).',
  examples: ['btrfs-rescue-chunk-recover /dev/sda1'],
  impl: { appliance: applianceOp('btrfsRescueChunkRecover') },
});

export const btrfsRescueSuperRecover = defineCommand({
  name: 'btrfs-rescue-super-recover', args: [{ name: 'device', kind: 'Device' }], ret: 'void',
  shortdesc: 'recover bad superblocks from good copies',
  longdesc: 'Rewrites damaged superblocks of the btrfs filesystem on device from a good copy (btrfs rescue super-recover).',
  examples: ['btrfs-rescue-super-recover /dev/sda1'],
  impl: { appliance: applianceOp('btrfsRescueSuperRecover') },
});

export const btrfsScrubCancel = defineCommand({
  name: 'btrfs-scrub-cancel', args: [{ name: 'path', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'cancel a running scrub',
  longdesc: 'Stops the scrub running on the btrfs filesystem mounted at path; it fails when none runs.',
  examples: ['btrfs-scrub-cancel /'],
  impl: { appliance: applianceOp('btrfsScrubCancel') },
});

export const btrfsScrubResume = defineCommand({
  name: 'btrfs-scrub-resume', args: [{ name: 'path', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'resume a previously canceled or interrupted scrub',
  longdesc: 'Continues a cancelled or interrupted scrub of the btrfs filesystem mounted at path.',
  examples: ['btrfs-scrub-resume /'],
  impl: { appliance: applianceOp('btrfsScrubResume') },
});

export const btrfsScrubStart = defineCommand({
  name: 'btrfs-scrub-start', args: [{ name: 'path', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'read all data from all disks and verify checksums',
  longdesc: `Starts a scrub of the btrfs filesystem mounted at path: every block is read and checked against
its checksum, and bad copies are repaired from good ones where the profile keeps two. It runs in the background.`,
  examples: ['btrfs-scrub-start /'],
  impl: { appliance: applianceOp('btrfsScrubStart') },
});

export const btrfsScrubStatus = defineCommand({
  name: 'btrfs-scrub-status', args: [{ name: 'path', kind: 'Pathname' }], ret: 'struct',
  fields: [
    'btrfsscrub_data_extents_scrubbed', 'btrfsscrub_tree_extents_scrubbed', 'btrfsscrub_data_bytes_scrubbed',
    'btrfsscrub_tree_bytes_scrubbed', 'btrfsscrub_read_errors', 'btrfsscrub_csum_errors', 'btrfsscrub_verify_errors',
    'btrfsscrub_no_csum', 'btrfsscrub_csum_discards', 'btrfsscrub_super_errors', 'btrfsscrub_malloc_errors',
    'btrfsscrub_uncorrectable_errors', 'btrfsscrub_unverified_errors', 'btrfsscrub_corrected_errors', 'btrfsscrub_last_physical',
  ],
  shortdesc: 'show status of running or finished scrub',
  longdesc: 'The counters of the last (or running) scrub of the btrfs filesystem mounted at path (btrfs scrub status -R).',
  examples: ['btrfs-scrub-status /'],
  impl: { appliance: applianceOp('btrfsScrubStatus') },
});

export const btrfsSetSeeding = defineCommand({
  name: 'btrfs-set-seeding', args: [{ name: 'device', kind: 'Device' }, { name: 'seeding', kind: 'Bool' }], ret: 'void',
  shortdesc: 'enable or disable the seeding feature of device',
  longdesc: 'Sets (true) or clears (false) the seeding flag of the btrfs filesystem on device (btrfstune -S).',
  examples: ['btrfs-set-seeding /dev/sda1 true'],
  impl: { appliance: applianceOp('btrfsSetSeeding') },
});

export const btrfsSubvolumeDelete = defineCommand({
  name: 'btrfs-subvolume-delete', args: [{ name: 'subvolume', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'delete a btrfs subvolume or snapshot',
  longdesc: 'Deletes the btrfs subvolume or snapshot at path subvolume, with everything in it.',
  examples: ['btrfs-subvolume-delete /snap1'],
  impl: { appliance: applianceOp('btrfsSubvolumeDelete') },
});

export const btrfsSubvolumeShow = defineCommand({
  name: 'btrfs-subvolume-show', args: [{ name: 'subvolume', kind: 'Pathname' }], ret: 'hash',
  shortdesc: 'return detailed information of the subvolume',
  longdesc: `What btrfs knows about the subvolume at path subvolume, as a hash: path, Name, UUID, Parent UUID,
creation time, Subvolume ID, generations, Flags, Snapshot(s) (comma-separated) and so on, as btrfs-progs
names them ("-" comes out empty). Fails on the top-level subvolume and on plain directories.`,
  examples: ['btrfs-subvolume-show /sub1'],
  impl: { appliance: applianceOp('btrfsSubvolumeShow') },
});

export const btrfsSubvolumeSnapshot = defineCommand({
  name: 'btrfs-subvolume-snapshot', args: [{ name: 'source', kind: 'Pathname' }, { name: 'dest', kind: 'Pathname' }],
  optargs: [{ name: 'ro', kind: 'Bool' }, { name: 'qgroupid', kind: 'String' }], ret: 'void',
  shortdesc: 'create a btrfs snapshot',
  longdesc: `Snapshots the btrfs subvolume source as dest (the new snapshot's full path). ro:true makes it
read-only; qgroupid adds it to that quota group.`,
  examples: ['btrfs-subvolume-snapshot /sub1 /snap1 ro:true'],
  impl: { appliance: applianceOp('btrfsSubvolumeSnapshot', ['ro', 'qgroupid']) },
});

export const btrfstuneEnableExtendedInodeRefs = defineCommand({
  name: 'btrfstune-enable-extended-inode-refs', args: [{ name: 'device', kind: 'Device' }], ret: 'void',
  shortdesc: 'enable extended inode refs',
  longdesc: 'Turns on the extended inode refs feature of the btrfs filesystem on device (btrfstune -r): more hard links per file.',
  examples: ['btrfstune-enable-extended-inode-refs /dev/sda1'],
  impl: { appliance: applianceOp('btrfstuneEnableExtendedInodeRefs') },
});

export const btrfstuneEnableSkinnyMetadataExtentRefs = defineCommand({
  name: 'btrfstune-enable-skinny-metadata-extent-refs', args: [{ name: 'device', kind: 'Device' }], ret: 'void',
  shortdesc: 'enable skinny metadata extent refs',
  longdesc: 'Turns on the skinny metadata extent refs feature of the btrfs filesystem on device (btrfstune -x): smaller metadata.',
  examples: ['btrfstune-enable-skinny-metadata-extent-refs /dev/sda1'],
  impl: { appliance: applianceOp('btrfstuneEnableSkinnyMetadataExtentRefs') },
});

export const btrfstuneSeeding = defineCommand({
  name: 'btrfstune-seeding', args: [{ name: 'device', kind: 'Device' }, { name: 'seeding', kind: 'Bool' }], ret: 'void',
  shortdesc: 'enable or disable seeding of a btrfs device',
  longdesc: `Makes the btrfs filesystem on device a seed (true: it mounts read-only and other filesystems can
be built on it) or an ordinary filesystem again (false).`,
  examples: ['btrfstune-seeding /dev/sda1 true'],
  impl: { appliance: applianceOp('btrfstuneSeeding') },
});

export const BTRFS_ADMIN_COMMANDS = [
  btrfsBalanceCancel, btrfsBalancePause, btrfsBalanceResume, btrfsBalanceStatus, btrfsDeviceAdd, btrfsDeviceDelete, btrfsFilesystemBalance, btrfsFilesystemDefragment, btrfsFilesystemResize, btrfsFilesystemShow, btrfsFilesystemSync, btrfsFsck, btrfsImage, btrfsQgroupAssign, btrfsQgroupCreate, btrfsQgroupDestroy, btrfsQgroupLimit, btrfsQgroupRemove, btrfsQgroupShow, btrfsQuotaEnable, btrfsQuotaRescan, btrfsReplace, btrfsRescueChunkRecover, btrfsRescueSuperRecover, btrfsScrubCancel, btrfsScrubResume, btrfsScrubStart, btrfsScrubStatus, btrfsSetSeeding, btrfsSubvolumeDelete, btrfsSubvolumeShow, btrfsSubvolumeSnapshot, btrfstuneEnableExtendedInodeRefs, btrfstuneEnableSkinnyMetadataExtentRefs, btrfstuneSeeding,
] as const;
