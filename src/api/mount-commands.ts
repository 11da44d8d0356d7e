/** Mounting filesystems inside the guest's namespace. */
import { applianceOp } from './appliance-access.js';
import { defineCommand } from './types.js';
import { wasm } from './wasm-access.js';

export const mount = defineCommand({
  name: 'mount',
  args: [{ name: 'mountable', kind: 'Mountable' }, { name: 'mountpoint', kind: 'String' }],
  ret: 'void',
  shortdesc: 'mount a guest disk at a position in the filesystem',
  longdesc: `Mounts the filesystem on the device at the mountpoint, read-write. The root must be
mounted on / first; other mountpoints must be directories that exist. On a drive added
read-only, writes go to the overlay and never reach the image.`,
  examples: ['mount /dev/sda1 /', 'mount /dev/sda2 /boot'],
  impl: { appliance: applianceOp('mount'), wasm: async (ctx, [dev, mp]) => wasm(ctx).mount(dev, mp, false) },
});

export const mountRo = defineCommand({
  name: 'mount-ro',
  args: [{ name: 'mountable', kind: 'Mountable' }, { name: 'mountpoint', kind: 'String' }],
  ret: 'void',
  shortdesc: 'mount a guest disk, read-only',
  longdesc: 'The same as mount, but the filesystem is mounted read-only: every write fails with EROFS and nothing is written to the device.',
  examples: ['mount-ro /dev/sda1 /'],
  impl: { appliance: applianceOp('mountRo'), wasm: async (ctx, [dev, mp]) => wasm(ctx).mount(dev, mp, true) },
});

export const umount = defineCommand({
  name: 'umount',
  aliases: ['unmount'],
  args: [{ name: 'pathordevice', kind: 'Dev_or_Path' }],
  optargs: [{ name: 'force', kind: 'Bool' }, { name: 'lazyunmount', kind: 'Bool' }],
  ret: 'void',
  shortdesc: 'unmount a filesystem',
  longdesc: 'Unmounts the filesystem mounted at the mountpoint, or from the device, writing back what changed.',
  examples: ['umount /boot'],
  impl: { appliance: applianceOp('umount', ['force', 'lazyunmount']), wasm: async (ctx, [target]) => { await wasm(ctx).rpc('umount', target); } },
});

export const umountAll = defineCommand({
  name: 'umount-all',
  aliases: ['unmount-all'],
  args: [],
  ret: 'void',
  shortdesc: 'unmount all filesystems',
  longdesc: 'Unmounts every mounted filesystem, deepest first.',
  examples: ['umount-all'],
  impl: { appliance: applianceOp('umountAll'), wasm: async (ctx) => { await wasm(ctx).rpc('umountAll'); } },
});

type MountInfo = { device: string; mountpoint: string };

export const mounts = defineCommand({
  name: 'mounts',
  args: [],
  ret: 'strings',
  shortdesc: 'show mounted filesystems',
  longdesc: 'Lists the devices that are mounted, in the order they were mounted.',
  examples: ['mounts'],
  impl: { appliance: applianceOp('mounts'), wasm: async (ctx) => (await wasm(ctx).rpc('mounts')).map((m) => m.device) },
});

export const mountpoints = defineCommand({
  name: 'mountpoints',
  args: [],
  ret: 'hash',
  shortdesc: 'show mountpoints',
  longdesc: 'Returns each mounted device with its mountpoint.',
  examples: ['mountpoints'],
  impl: {
    appliance: applianceOp('mountpoints'),
    wasm: async (ctx) => Object.fromEntries((await wasm(ctx).rpc('mounts')).map((m) => [m.device, m.mountpoint])),
  },
});
