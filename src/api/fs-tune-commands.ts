/**
 * Filesystem administration on the appliance: checking, resizing, tuning, labels and
 * UUIDs, swap, zerofree (src/backend/appliance/ops-fs-admin.ts runs the programs
 * libguestfs's daemon runs, with its flags).
 */
import type { ApplianceBackend } from '../backend/appliance/appliance-backend.js';
import type { ApplianceOps } from '../backend/appliance/ops.js';
import { applianceOp, applianceOps } from './appliance-access.js';
import { defineCommand, type Impl } from './types.js';

const DEVICE = { name: 'device', kind: 'Device' } as const;
const APPLIANCE = 'Needs the appliance backend.';

/** An appliance operation taking the command's arguments and then its optional arguments as one object. */
function withOptions(name: keyof ApplianceOps): Impl<ApplianceBackend> {
  return async (ctx, args, opt) => {
    const op = (await applianceOps())[name] as (b: ApplianceBackend, ...a: unknown[]) => Promise<unknown>;
    return op(ctx.backend, ...args, opt);
  };
}

export const e2fsck = defineCommand({
  name: 'e2fsck',
  args: [DEVICE],
  optargs: [{ name: 'correct', kind: 'Bool' }, { name: 'forceall', kind: 'Bool' }],
  ret: 'void',
  shortdesc: 'check an ext2/ext3 filesystem',
  longdesc: `Runs e2fsck -f on the unmounted ext2/3/4 filesystem. correct:true fixes what can be fixed
without questions (-p); forceall:true answers yes to every question (-y); at most one of them.
Without either, a filesystem that needs repairs is an error. ${APPLIANCE}`,
  examples: ['e2fsck /dev/sda1 correct:true'],
  impl: { appliance: withOptions('e2fsck') },
});

export const e2fsckF = defineCommand({
  name: 'e2fsck-f',
  deprecatedBy: 'e2fsck',
  args: [DEVICE],
  ret: 'void',
  shortdesc: 'check an ext2/ext3 filesystem',
  longdesc: `Runs e2fsck -p -f: checks the filesystem even if it looks clean, fixing what is safe to fix (e2fsck correct:true).
${APPLIANCE}`,
  examples: ['e2fsck-f /dev/sda1'],
  impl: { appliance: applianceOp('e2fsckF') },
});

export const fsck = defineCommand({
  name: 'fsck',
  args: [{ name: 'fstype', kind: 'String' }, DEVICE],
  ret: 'int',
  shortdesc: 'run the filesystem checker',
  longdesc: `Runs fsck -a -t fstype on the device and returns its exit status, a bit field: 0 no errors,
1 errors corrected, 2 reboot needed, 4 errors left uncorrected, 8 operational error, ... ${APPLIANCE}`,
  examples: ['fsck ext4 /dev/sda1'],
  impl: { appliance: applianceOp('fsck') },
});

export const resize2fs = defineCommand({
  name: 'resize2fs',
  args: [DEVICE],
  ret: 'void',
  shortdesc: 'resize an ext2, ext3 or ext4 filesystem',
  longdesc: `Grows (or shrinks) the ext2/3/4 filesystem to the size of its device. resize2fs wants a fresh
check first: run e2fsck-f (or e2fsck correct:true) before. ${APPLIANCE}`,
  examples: ['resize2fs /dev/sda1'],
  impl: { appliance: applianceOp('resize2fs') },
});

export const resize2fsSize = defineCommand({
  name: 'resize2fs-size',
  args: [DEVICE, { name: 'size', kind: 'Int64' }],
  ret: 'void',
  shortdesc: 'resize an ext2, ext3 or ext4 filesystem (with size)',
  longdesc: `Resizes the ext2/3/4 filesystem to size bytes (rounded down to KiB) rather than to the
device's size. ${APPLIANCE}`,
  examples: ['resize2fs-size /dev/sda1 104857600'],
  impl: { appliance: applianceOp('resize2fsSize') },
});

export const resize2fsM = defineCommand({
  name: 'resize2fs-M',
  args: [DEVICE],
  ret: 'void',
  shortdesc: 'resize an ext2, ext3 or ext4 filesystem to the minimum size',
  longdesc: `Shrinks the ext2/3/4 filesystem to the smallest size it can have (resize2fs -M); its device
keeps its size. ${APPLIANCE}`,
  examples: ['resize2fs-M /dev/sda1'],
  impl: { appliance: applianceOp('resize2fsM') },
});

export const vfsMinimumSize = defineCommand({
  name: 'vfs-minimum-size',
  args: [{ name: 'mountable', kind: 'Mountable' }],
  ret: 'int64',
  shortdesc: 'get minimum filesystem size',
  longdesc: `Returns the smallest size in bytes the filesystem could be shrunk to (for ext2/3/4: the
estimate of resize2fs -P times the block size). Other filesystem types are not supported yet. ${APPLIANCE}`,
  examples: ['vfs-minimum-size /dev/sda1'],
  impl: { appliance: applianceOp('vfsMinimumSize') },
});

export const tune2fsL = defineCommand({
  name: 'tune2fs-l',
  args: [DEVICE],
  ret: 'hash',
  shortdesc: 'get ext2/ext3/ext4 superblock details',
  longdesc: `Returns the superblock fields tune2fs -l prints, as a hash ("Block count", "Filesystem UUID",
"Mount count", ...). ${APPLIANCE}`,
  examples: ['tune2fs-l /dev/sda1'],
  impl: { appliance: applianceOp('tune2fsL') },
});

export const tune2fs = defineCommand({
  name: 'tune2fs',
  args: [DEVICE],
  optargs: [
    { name: 'force', kind: 'Bool' }, { name: 'maxmountcount', kind: 'Int' }, { name: 'mountcount', kind: 'Int' },
    { name: 'errorbehavior', kind: 'String' }, { name: 'group', kind: 'Int64' }, { name: 'intervalbetweenchecks', kind: 'Int' },
    { name: 'reservedblockspercentage', kind: 'Int' }, { name: 'lastmounteddirectory', kind: 'String' },
    { name: 'reservedblockscount', kind: 'Int64' }, { name: 'user', kind: 'Int64' },
  ],
  ret: 'void',
  shortdesc: 'adjust ext2/ext3/ext4 filesystem parameters',
  longdesc: `Changes superblock parameters with tune2fs: force (-f), maxmountcount (-c), mountcount (-C),
errorbehavior (-e: continue, remount-ro or panic), group (-g), intervalbetweenchecks (-i, seconds),
reservedblockspercentage (-m), lastmounteddirectory (-M), reservedblockscount (-r), user (-u).
tune2fs-l shows the result. ${APPLIANCE}`,
  examples: ['tune2fs /dev/sda1 maxmountcount:25 errorbehavior:remount-ro'],
  impl: { appliance: withOptions('tune2fs') },
});

export const setLabel = defineCommand({
  name: 'set-label',
  args: [{ name: 'mountable', kind: 'Mountable' }, { name: 'label', kind: 'String' }],
  ret: 'void',
  shortdesc: 'set filesystem label',
  longdesc: `Sets the label of the filesystem: ext2/3/4 (at most 16 bytes), vfat/msdos (fatlabel), swap
(swaplabel) and btrfs. Other types are an error. ${APPLIANCE}`,
  examples: ['set-label /dev/sda1 root'],
  impl: { appliance: applianceOp('setLabel') },
});

export const setUuid = defineCommand({
  name: 'set-uuid',
  args: [DEVICE, { name: 'uuid', kind: 'String' }],
  ret: 'void',
  shortdesc: 'set the filesystem UUID',
  longdesc: `Sets the UUID of the filesystem: ext2/3/4 (tune2fs -U) and swap (swaplabel -U). Other types
are an error. ${APPLIANCE}`,
  examples: ['set-uuid /dev/sda1 01234567-89ab-cdef-0123-456789abcdef'],
  impl: { appliance: applianceOp('setUuid') },
});

export const setUuidRandom = defineCommand({
  name: 'set-uuid-random',
  args: [DEVICE],
  ret: 'void',
  shortdesc: 'set a random UUID for the filesystem',
  longdesc: `Gives the filesystem a new random UUID (the types set-uuid supports). ${APPLIANCE}`,
  examples: ['set-uuid-random /dev/sda1'],
  impl: { appliance: applianceOp('setUuidRandom') },
});

export const setE2label = defineCommand({
  name: 'set-e2label',
  deprecatedBy: 'set-label',
  args: [DEVICE, { name: 'label', kind: 'String' }],
  ret: 'void',
  shortdesc: 'set the ext2/3/4 filesystem label',
  longdesc: `Sets the label of an ext2/3/4 filesystem with e2label (at most 16 bytes).
${APPLIANCE}`,
  examples: ['set-e2label /dev/sda1 root'],
  impl: { appliance: applianceOp('setE2label') },
});

export const getE2label = defineCommand({
  name: 'get-e2label',
  deprecatedBy: 'vfs-label',
  args: [DEVICE],
  ret: 'string',
  shortdesc: 'get the ext2/3/4 filesystem label',
  longdesc: 'Returns the label of the filesystem, as vfs-label does (any type, like libguestfs).',
  examples: ['get-e2label /dev/sda1'],
  impl: { any: (ctx, [dev]) => ctx.call('vfs-label', [dev]) as Promise<string> },
});

export const setE2uuid = defineCommand({
  name: 'set-e2uuid',
  deprecatedBy: 'set-uuid',
  args: [DEVICE, { name: 'uuid', kind: 'String' }],
  ret: 'void',
  shortdesc: 'set the ext2/3/4 filesystem UUID',
  longdesc: `Sets the UUID of an ext2/3/4 filesystem: a UUID, or "clear", "random" or "time" as tune2fs -U
takes them. ${APPLIANCE}`,
  examples: ['set-e2uuid /dev/sda1 random'],
  impl: { appliance: applianceOp('setE2uuid') },
});

export const getE2uuid = defineCommand({
  name: 'get-e2uuid',
  deprecatedBy: 'vfs-uuid',
  args: [DEVICE],
  ret: 'string',
  shortdesc: 'get the ext2/3/4 filesystem UUID',
  longdesc: 'Returns the UUID of the filesystem, as vfs-uuid does (any type, like libguestfs).',
  examples: ['get-e2uuid /dev/sda1'],
  impl: { any: (ctx, [dev]) => ctx.call('vfs-uuid', [dev]) as Promise<string> },
});

export const mke2fs = defineCommand({
  name: 'mke2fs',
  args: [DEVICE],
  optargs: [
    ...['blockscount', 'blocksize', 'fragsize', 'blockspergroup', 'numberofgroups', 'bytesperinode', 'inodesize', 'journalsize',
      'numberofinodes', 'stridesize', 'stripewidth', 'maxonlineresize'].map((name) => ({ name, kind: 'Int64' as const })),
    { name: 'reservedblockspercentage', kind: 'Int' }, { name: 'mmpupdateinterval', kind: 'Int' },
    ...['journaldevice', 'label', 'lastmounteddir', 'creatoros', 'fstype', 'usagetype', 'uuid'].map((name) => ({ name, kind: 'String' as const })),
    ...['forcecreate', 'writesbandgrouponly', 'lazyitableinit', 'lazyjournalinit', 'testfs', 'discard', 'quotatype', 'extent',
      'filetype', 'flexbg', 'hasjournal', 'journaldev', 'largefile', 'quota', 'resizeinode', 'sparsesuper', 'uninitbg'].map((name) => ({ name, kind: 'Bool' as const })),
  ],
  ret: 'void',
  shortdesc: 'create an ext2/ext3/ext4 filesystem on device',
  longdesc: `Makes an ext2/3/4 filesystem with mke2fs, each optional argument being one of its options:
blockscount (the size in blocks), blocksize (-b), fstype (-t ext2|ext3|ext4), label (-L), uuid (-U),
inodesize (-I), bytesperinode (-i), numberofinodes (-N), reservedblockspercentage (-m), journalsize
(-J size=), usagetype (-T), creatoros (-o), lastmounteddir (-M); booleans for features (extent,
hasjournal, flexbg, ...: -O X or ^X) and -E settings (lazyitableinit, discard, ...). ${APPLIANCE}`,
  examples: ['mke2fs /dev/sda1 fstype:ext4 blocksize:4096 label:root'],
  impl: { appliance: withOptions('mke2fs') },
});

export const mkswap = defineCommand({
  name: 'mkswap',
  args: [DEVICE],
  optargs: [{ name: 'label', kind: 'String' }, { name: 'uuid', kind: 'String' }],
  ret: 'void',
  shortdesc: 'create a swap partition',
  longdesc: `Makes a swap area on the device (mkswap -f), with an optional label and UUID. ${APPLIANCE}`,
  examples: ['mkswap /dev/sda2 label:swap'],
  impl: { appliance: withOptions('mkswap') },
});

export const mkswapL = defineCommand({
  name: 'mkswap-L',
  deprecatedBy: 'mkswap',
  args: [{ name: 'label', kind: 'String' }, DEVICE],
  ret: 'void',
  shortdesc: 'create a swap partition with a label',
  longdesc: `Makes a swap area with a label, as mkswap label:LABEL does. ${APPLIANCE}`,
  examples: ['mkswap-L swap /dev/sda2'],
  impl: { appliance: applianceOp('mkswapL') },
});

export const mkswapU = defineCommand({
  name: 'mkswap-U',
  deprecatedBy: 'mkswap',
  args: [{ name: 'uuid', kind: 'String' }, DEVICE],
  ret: 'void',
  shortdesc: 'create a swap partition with an explicit UUID',
  longdesc: `Makes a swap area with a UUID, as mkswap uuid:UUID does. ${APPLIANCE}`,
  examples: ['mkswap-U 12345678-1234-1234-1234-123456789abc /dev/sda2'],
  impl: { appliance: applianceOp('mkswapU') },
});

export const mkswapFile = defineCommand({
  name: 'mkswap-file',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'create a swap file',
  longdesc: `Makes a swap area in an existing file of the mounted guest (create it first, e.g. with
fallocate64). ${APPLIANCE}`,
  examples: ['mkswap-file /swapfile'],
  impl: { appliance: applianceOp('mkswapFile') },
});

function swapCommand<N extends string>(name: N, op: keyof ApplianceOps, arg: { name: string; kind: 'Device' | 'Pathname' | 'String' }, what: string) {
  const on = name.startsWith('swapon');
  return defineCommand({
    name,
    args: [arg],
    ret: 'void',
    shortdesc: `${on ? 'enable' : 'disable'} swap on ${what}`,
    longdesc: `${on ? 'Enables' : 'Disables'} swapping on ${what} in the appliance (swap${on ? 'on' : 'off'}). ${APPLIANCE}`,
    examples: [`${name} ${arg.kind === 'Device' ? '/dev/sda2' : arg.kind === 'Pathname' ? '/swapfile' : arg.name === 'label' ? 'swap' : '12345678-1234-1234-1234-123456789abc'}`],
    impl: { appliance: applianceOp(op) },
  });
}

export const swaponDevice = swapCommand('swapon-device', 'swaponDevice', DEVICE, 'device');
export const swapoffDevice = swapCommand('swapoff-device', 'swapoffDevice', DEVICE, 'device');
export const swaponFile = swapCommand('swapon-file', 'swaponFile', { name: 'file', kind: 'Pathname' }, 'file');
export const swapoffFile = swapCommand('swapoff-file', 'swapoffFile', { name: 'file', kind: 'Pathname' }, 'file');
export const swaponLabel = swapCommand('swapon-label', 'swaponLabel', { name: 'label', kind: 'String' }, 'labeled swap partition');
export const swapoffLabel = swapCommand('swapoff-label', 'swapoffLabel', { name: 'label', kind: 'String' }, 'labeled swap partition');
export const swaponUuid = swapCommand('swapon-uuid', 'swaponUuid', { name: 'uuid', kind: 'String' }, 'swap partition with UUID');
export const swapoffUuid = swapCommand('swapoff-uuid', 'swapoffUuid', { name: 'uuid', kind: 'String' }, 'swap partition with UUID');

export const zerofree = defineCommand({
  name: 'zerofree',
  args: [DEVICE],
  ret: 'void',
  shortdesc: 'zero unused inodes and disk blocks on ext2/3 filesystem',
  longdesc: `Writes zeros over the free blocks of an unmounted ext2/3/4 filesystem (zerofree), so that the
image compresses or sparsifies well. ${APPLIANCE}`,
  examples: ['zerofree /dev/sda1'],
  impl: { appliance: applianceOp('zerofree') },
});

export const zeroFreeSpace = defineCommand({
  name: 'zero-free-space',
  args: [{ name: 'directory', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'zero free space in a filesystem',
  longdesc: `Fills the free space of the mounted filesystem holding directory with zeros (a file written until
the filesystem is full, then deleted), so that the image sparsifies or compresses well. ${APPLIANCE}`,
  examples: ['zero-free-space /'],
  impl: { appliance: applianceOp('zeroFreeSpace') },
});

export const filesystemAvailable = defineCommand({
  name: 'filesystem-available',
  args: [{ name: 'filesystem', kind: 'String' }],
  ret: 'bool',
  shortdesc: 'check if filesystem is available',
  longdesc: `True when the appliance's kernel supports the filesystem type (for mounting; a missing
mkfs program is a separate matter). ${APPLIANCE}`,
  examples: ['filesystem-available ext4'],
  impl: { appliance: applianceOp('filesystemAvailable') },
});

export const FS_TUNE_COMMANDS = [
  e2fsck, e2fsckF, fsck, resize2fs, resize2fsSize, resize2fsM, vfsMinimumSize, tune2fsL, tune2fs, setLabel, setUuid,
  setUuidRandom, setE2label, getE2label, setE2uuid, getE2uuid, mke2fs, mkswap, mkswapL, mkswapU, mkswapFile,
  swaponDevice, swapoffDevice, swaponFile, swapoffFile, swaponLabel, swapoffLabel, swaponUuid, swapoffUuid,
  zerofree, zeroFreeSpace, filesystemAvailable,
] as const;

export const mkfsBtrfs = defineCommand({
  name: 'mkfs-btrfs',
  args: [{ name: 'devices', kind: 'DeviceList' }],
  optargs: [
    { name: 'allocstart', kind: 'Int64' }, { name: 'bytecount', kind: 'Int64' }, { name: 'datatype', kind: 'String' },
    { name: 'leafsize', kind: 'Int' }, { name: 'label', kind: 'String' }, { name: 'metadata', kind: 'String' },
    { name: 'nodesize', kind: 'Int' }, { name: 'sectorsize', kind: 'Int' },
  ],
  ret: 'void',
  shortdesc: 'create a btrfs filesystem',
  longdesc: `Makes a btrfs filesystem over one or more devices (mkfs.btrfs -f), the optional arguments being
its options: allocstart (-A), bytecount (-b), datatype (-d: single, dup, raid0, ...), leafsize (-l), label
(-L), metadata (-m), nodesize (-n), sectorsize (-s). ${APPLIANCE}`,
  examples: ['mkfs-btrfs "/dev/sda1 /dev/sdb1" label:data datatype:raid1 metadata:raid1'],
  impl: { appliance: withOptions('mkfsBtrfs') },
});

export const ntfs3gProbe = defineCommand({
  name: 'ntfs-3g-probe',
  args: [{ name: 'rw', kind: 'Bool' }, DEVICE],
  ret: 'int',
  shortdesc: 'probe NTFS volume',
  longdesc: `Runs ntfs-3g.probe on the device: 0 when the volume could be mounted (read-write if rw is true,
else read-only), otherwise the reason code of ntfs-3g.probe(8). ${APPLIANCE}`,
  examples: ['ntfs-3g-probe true /dev/sda1'],
  impl: { appliance: applianceOp('ntfs3gProbe') },
});

export const ntfsfix = defineCommand({
  name: 'ntfsfix',
  args: [DEVICE],
  optargs: [{ name: 'clearbadsectors', kind: 'Bool' }],
  ret: 'void',
  shortdesc: 'fix common errors and force Windows to check NTFS',
  longdesc: `Repairs some basic NTFS inconsistencies, resets the journal and marks the volume for a check at
the next Windows boot (ntfsfix; not a chkdsk). clearbadsectors:true clears the bad sector list. ${APPLIANCE}`,
  examples: ['ntfsfix /dev/sda1'],
  impl: { appliance: withOptions('ntfsfix') },
});

export const ntfsresize = defineCommand({
  name: 'ntfsresize',
  args: [DEVICE],
  optargs: [{ name: 'size', kind: 'Int64' }, { name: 'force', kind: 'Bool' }],
  aliases: ['ntfsresize-opts'],
  ret: 'void',
  shortdesc: 'resize an NTFS filesystem',
  longdesc: `Resizes the NTFS filesystem to its device's size, or to size bytes (ntfsresize). The volume is
then marked for a check by Windows; without force:true a second resize before that check is refused. ${APPLIANCE}`,
  examples: ['ntfsresize /dev/sda1 size:1073741824 force:true'],
  impl: { appliance: withOptions('ntfsresize') },
});

export const NTFS_BTRFS_COMMANDS = [mkfsBtrfs, ntfs3gProbe, ntfsfix, ntfsresize] as const;
