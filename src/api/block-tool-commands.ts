/**
 * Block and filesystem tools in the appliance: squashfs images, f2fs growth,
 * scrubbing, sfdisk geometry, NTFS images (ntfsclone), SYSLINUX boot loaders, the
 * LVM device filter, loop mounts, remounts and appliance mountpoints.
 */
import { appliance, applianceOp, applianceOps } from './appliance-access.js';
import { toLocal } from './read-commands.js';
import { defineCommand } from './types.js';

const DEVICE = { name: 'device', kind: 'Device' } as const;

export const mksquashfs = defineCommand({
  name: 'mksquashfs', args: [{ name: 'path', kind: 'Pathname' }, { name: 'filename', kind: 'FileOut' }],
  optargs: [{ name: 'compress', kind: 'String' }, { name: 'excludes', kind: 'StringList' }], ret: 'void',
  shortdesc: 'create a squashfs filesystem',
  longdesc: `Packs the guest directory path into a squashfs image written to the host file filename ("-" for
standard output). compress: the compressor (gzip, xz, lzo, lz4, zstd); excludes: wildcard patterns to leave out.`,
  examples: ['mksquashfs /etc etc.sqfs compress:xz', 'mksquashfs /home home.sqfs excludes:"*.tmp"'],
  impl: {
    appliance: async (ctx, [path, local], o) =>
      toLocal(ctx, local, async (out) => { await (await applianceOps()).mksquashfs(appliance(ctx), path, out, o.compress, o.excludes); }),
  },
});

export const f2fsExpand = defineCommand({
  name: 'f2fs-expand', args: [DEVICE], ret: 'void',
  shortdesc: 'expand a f2fs filesystem',
  longdesc: 'Grows the (unmounted) f2fs filesystem on device to fill it (resize.f2fs).',
  examples: ['f2fs-expand /dev/sda1'],
  impl: { appliance: applianceOp('f2fsExpand') },
});

export const lvmSetFilter = defineCommand({
  name: 'lvm-set-filter', args: [{ name: 'devices', kind: 'StringList' }], ret: 'void',
  shortdesc: 'set LVM device filter',
  longdesc: `Makes LVM see only these devices (a whole disk with its partitions): volume groups elsewhere
disappear from pvs/vgs/lvs and are deactivated. lvm-clear-filter undoes it.`,
  examples: ['lvm-set-filter /dev/sda', 'lvm-set-filter "/dev/sda1 /dev/sdb"'],
  impl: { appliance: applianceOp('lvmSetFilter') },
});

export const lvmClearFilter = defineCommand({
  name: 'lvm-clear-filter', args: [], ret: 'void',
  shortdesc: 'clear LVM device filter',
  longdesc: 'Lets LVM see every device again (after lvm-set-filter) and rescans.',
  examples: ['lvm-clear-filter'],
  impl: { appliance: applianceOp('lvmClearFilter') },
});

export const mountLoop = defineCommand({
  name: 'mount-loop', args: [{ name: 'file', kind: 'Pathname' }, { name: 'mountpoint', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'mount a file using the loop device',
  longdesc: 'Mounts the filesystem image in the guest file file (a squashfs, ISO, ext4... image) on mountpoint, through a loop device.',
  examples: ['mount-loop /images/root.sqfs /mnt'],
  impl: { appliance: applianceOp('mountLoop') },
});

export const mkmountpoint = defineCommand({
  name: 'mkmountpoint', args: [{ name: 'exemptpath', kind: 'String' }], ret: 'void',
  shortdesc: 'create a mountpoint',
  longdesc: `Makes a directory to mount on even when nothing is mounted on / yet, so several filesystems
(an ISO and the squashfs inside it, say) can be mounted side by side: mkmountpoint /cd, mount-ro
/dev/sdb /cd, mkmountpoint /sq, mount-loop /cd/root.sqfs /sq.`,
  examples: ['mkmountpoint /cd'],
  impl: { appliance: applianceOp('mkmountpoint') },
});

export const rmmountpoint = defineCommand({
  name: 'rmmountpoint', args: [{ name: 'exemptpath', kind: 'String' }], ret: 'void',
  shortdesc: 'remove a mountpoint',
  longdesc: 'Removes a directory made by mkmountpoint (after unmounting what is on it).',
  examples: ['rmmountpoint /cd'],
  impl: { appliance: applianceOp('rmmountpoint') },
});

export const remount = defineCommand({
  name: 'remount', args: [{ name: 'mountpoint', kind: 'Pathname' }], optargs: [{ name: 'rw', kind: 'Bool' }], ret: 'void',
  shortdesc: 'remount a filesystem with different options',
  longdesc: 'Remounts the filesystem on mountpoint read-write (rw:true) or read-only (rw:false); rw must be given.',
  examples: ['remount / rw:false'],
  impl: { appliance: applianceOp('remount', ['rw']) },
});

export const scrubDevice = defineCommand({
  name: 'scrub-device', args: [DEVICE], ret: 'void',
  shortdesc: 'scrub (securely wipe) a device',
  longdesc: 'Overwrites the whole device with scrub\'s patterns so what it held cannot be recovered. Slow on large devices.',
  examples: ['scrub-device /dev/sdb'],
  impl: { appliance: applianceOp('scrubDevice') },
});

export const scrubFreespace = defineCommand({
  name: 'scrub-freespace', args: [{ name: 'dir', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'scrub (securely wipe) free space',
  longdesc: `Fills the free space of the filesystem holding dir (which must not exist yet: scrub makes it
and removes it again) with scrub's patterns, so deleted data cannot be recovered.`,
  examples: ['scrub-freespace /scrubdir'],
  impl: { appliance: applianceOp('scrubFreespace') },
});

export const sfdiskDiskGeometry = defineCommand({
  name: 'sfdisk-disk-geometry', args: [DEVICE], ret: 'string',
  shortdesc: 'display the disk geometry from the partition table',
  longdesc: 'What sfdisk -G says of the geometry the partition table records (util-linux 2.38\'s sfdisk no longer has -G, so it fails with its message).',
  examples: ['sfdisk-disk-geometry /dev/sda'],
  impl: { appliance: applianceOp('sfdiskDiskGeometry') },
});

export const sfdiskKernelGeometry = defineCommand({
  name: 'sfdisk-kernel-geometry', args: [DEVICE], ret: 'string',
  shortdesc: 'display the kernel geometry',
  longdesc: 'What sfdisk -g says of the geometry the kernel reports for device (cylinders, heads, sectors).',
  examples: ['sfdisk-kernel-geometry /dev/sda'],
  impl: { appliance: applianceOp('sfdiskKernelGeometry') },
});

export const ntfscloneOut = defineCommand({
  name: 'ntfsclone-out', args: [DEVICE, { name: 'backupfile', kind: 'FileOut' }],
  optargs: [
    { name: 'metadataonly', kind: 'Bool' }, { name: 'rescue', kind: 'Bool' }, { name: 'ignorefscheck', kind: 'Bool' },
    { name: 'preservetimestamps', kind: 'Bool' }, { name: 'force', kind: 'Bool' },
  ],
  ret: 'void',
  shortdesc: 'save NTFS to backup file',
  longdesc: `Saves the NTFS filesystem on device as an ntfsclone image in the host file backupfile ("-" for
standard output). metadataonly leaves file contents out; rescue carries on over bad sectors;
ignorefscheck skips the consistency check; preservetimestamps keeps them with metadataonly; force
saves a filesystem marked for check.`,
  examples: ['ntfsclone-out /dev/sda1 ntfs.img', 'ntfsclone-out /dev/sda1 meta.img metadataonly:true'],
  impl: {
    appliance: async (ctx, [device, local], o) =>
      toLocal(ctx, local, async (out) => {
        await (await applianceOps()).ntfscloneOut(appliance(ctx), device, out, {
          metadataonly: o.metadataonly, rescue: o.rescue, ignorefscheck: o.ignorefscheck, preservetimestamps: o.preservetimestamps, force: o.force,
        });
      }),
  },
});

export const ntfscloneIn = defineCommand({
  name: 'ntfsclone-in', args: [{ name: 'backupfile', kind: 'FileIn' }, DEVICE], ret: 'void',
  shortdesc: 'restore NTFS from backup file',
  longdesc: 'Writes the ntfsclone image in the host file backupfile ("-" for standard input) onto device.',
  examples: ['ntfsclone-in ntfs.img /dev/sda1'],
  impl: { appliance: applianceOp('ntfscloneIn') },
});

export const syslinux = defineCommand({
  name: 'syslinux', args: [DEVICE], optargs: [{ name: 'directory', kind: 'String' }], ret: 'void',
  shortdesc: 'install the SYSLINUX bootloader',
  longdesc: `Installs SYSLINUX on the (unmounted) FAT filesystem on device: ldlinux.sys in its root, or in
directory. The configuration file and a master boot record are up to you.`,
  examples: ['syslinux /dev/sda1', 'syslinux /dev/sda1 directory:/syslinux'],
  impl: { appliance: applianceOp('syslinux', ['directory']) },
});

export const extlinux = defineCommand({
  name: 'extlinux', args: [{ name: 'directory', kind: 'Pathname' }], ret: 'void',
  shortdesc: 'install the SYSLINUX bootloader on an ext2/3/4 or btrfs filesystem',
  longdesc: `Installs EXTLINUX (ldlinux.sys) in directory of the mounted ext2/3/4 or btrfs filesystem; the
configuration file there is extlinux.conf. A master boot record is up to you.`,
  examples: ['extlinux /boot'],
  impl: { appliance: applianceOp('extlinux') },
});

export const BLOCK_TOOL_COMMANDS = [
  mksquashfs, f2fsExpand, lvmSetFilter, lvmClearFilter, mountLoop, mkmountpoint, rmmountpoint, remount,
  scrubDevice, scrubFreespace, sfdiskDiskGeometry, sfdiskKernelGeometry, ntfscloneOut, ntfscloneIn, syslinux, extlinux,
] as const;
