/** Making filesystems and looking at block devices and space: the kernel's and its tools' view (appliance). */
import { appliance, applianceOp, applianceOps } from './appliance-access.js';
import { defineCommand } from './types.js';

export const mkfs = defineCommand({
  name: 'mkfs',
  args: [{ name: 'fstype', kind: 'String' }, { name: 'device', kind: 'Device' }],
  optargs: [{ name: 'blocksize', kind: 'Int' }, { name: 'features', kind: 'String' }, { name: 'label', kind: 'String' }],
  ret: 'void',
  shortdesc: 'make a filesystem',
  longdesc: `Makes a filesystem of type fstype on the device (partition, LV or whole disk), destroying what
was there: ext2, ext3, ext4, xfs, btrfs, vfat, msdos or ntfs. Optional arguments: blocksize (bytes;
the cluster size for vfat and ntfs), features (ext2/3/4 only, mke2fs -O) and label. Needs the appliance backend.`,
  examples: ['mkfs ext4 /dev/sda1', 'mkfs vfat /dev/sda1 label:EFI', 'mkfs ext4 /dev/sda2 blocksize:4096 features:^has_journal'],
  impl: {
    appliance: async (ctx, [fstype, dev], o) =>
      (await applianceOps()).mkfs(appliance(ctx), fstype, dev, { blocksize: o.blocksize, features: o.features, label: o.label }),
  },
});

export const blkid = defineCommand({
  name: 'blkid',
  args: [{ name: 'device', kind: 'Device' }],
  ret: 'hash',
  shortdesc: 'print block device attributes',
  longdesc: `Returns what blkid's low-level probe finds on the device, as a hash: TYPE, LABEL, UUID, USAGE,
VERSION, BLOCK_SIZE, PART_ENTRY_* for partitions, and so on (the fields depend on the device). Needs the appliance backend.`,
  examples: ['blkid /dev/sda1'],
  impl: { appliance: applianceOp('blkid') },
});

export const df = defineCommand({
  name: 'df',
  args: [],
  ret: 'string',
  shortdesc: 'report file system disk space usage',
  longdesc: `Runs df in the appliance and returns its output as is: the appliance's own filesystems as well as
the guest's, which are mounted under /sysroot. Meant for people to read; programs should use statvfs.
Needs the appliance backend (virt-df works on either).`,
  examples: ['df'],
  impl: { appliance: applianceOp('df') },
});

export const dfH = defineCommand({
  name: 'df-h',
  args: [],
  ret: 'string',
  shortdesc: 'report file system disk space usage (human readable)',
  longdesc: 'Like df, with sizes in powers of 1024 (df -h). Needs the appliance backend.',
  examples: ['df-h'],
  impl: { appliance: applianceOp('dfH') },
});
