/**
 * fstrim, mklost-and-found, xfs-repair, list-md-devices (appliance) and isoinfo /
 * isoinfo-device (both backends: the ISO 9660 primary volume descriptor read in TypeScript).
 */
import type { ApplianceBackend } from '../backend/appliance/appliance-backend.js';
import type { ApplianceOps } from '../backend/appliance/ops.js';
import { parseIsoPrimaryVolume, ISO_PVD_OFFSET, ISOINFO_FIELDS } from '../iso/primary-volume.js';
import { applianceOp, applianceOps } from './appliance-access.js';
import { defineCommand, type Impl } from './types.js';

const APPLIANCE = 'Needs the appliance backend.';

function withOptions(name: keyof ApplianceOps): Impl<ApplianceBackend> {
  return async (ctx, args, opt) => {
    const op = (await applianceOps())[name] as (b: ApplianceBackend, ...a: unknown[]) => Promise<unknown>;
    return op(ctx.backend, ...args, opt);
  };
}

export const fstrim = defineCommand({
  name: 'fstrim',
  args: [{ name: 'mountpoint', kind: 'Pathname' }],
  optargs: [{ name: 'offset', kind: 'Int64' }, { name: 'length', kind: 'Int64' }, { name: 'minimumfreeextent', kind: 'Int64' }],
  ret: 'void',
  shortdesc: 'trim free space in a filesystem',
  longdesc: `Discards the unused blocks of the filesystem mounted at mountpoint (fstrim), so that a sparse
image can give them back; offset, length and minimumfreeextent (bytes) limit what is trimmed. ${APPLIANCE}`,
  examples: ['fstrim /'],
  impl: { appliance: withOptions('fstrim') },
});

export const mklostAndFound = defineCommand({
  name: 'mklost-and-found',
  args: [{ name: 'mountpoint', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'make lost+found directory on an ext2/3/4 filesystem',
  longdesc: `Makes the lost+found directory, with its preallocated blocks, in the ext2/3/4 filesystem mounted
at mountpoint (mklost+found). ${APPLIANCE}`,
  examples: ['mklost-and-found /'],
  impl: { appliance: applianceOp('mklostAndFound') },
});

export const xfsRepair = defineCommand({
  name: 'xfs-repair',
  args: [{ name: 'device', kind: 'Dev_or_Path' }],
  optargs: [
    { name: 'forcelogzero', kind: 'Bool' }, { name: 'nomodify', kind: 'Bool' }, { name: 'noprefetch', kind: 'Bool' },
    { name: 'forcegeometry', kind: 'Bool' }, { name: 'maxmem', kind: 'Int64' }, { name: 'ihashsize', kind: 'Int64' },
    { name: 'bhashsize', kind: 'Int64' }, { name: 'agstride', kind: 'Int64' }, { name: 'logdev', kind: 'String' },
    { name: 'rtdev', kind: 'String' },
  ],
  ret: 'int',
  shortdesc: 'repair an XFS filesystem',
  longdesc: `Runs xfs_repair on the unmounted XFS filesystem and returns 0 when it is sound (or was repaired),
1 when nomodify:true (-n) found corruption. forcelogzero (-L), noprefetch (-P), forcegeometry, maxmem (-m),
ihashsize, bhashsize, agstride, logdev (-l), rtdev (-r) are xfs_repair's options. ${APPLIANCE}`,
  examples: ['xfs-repair /dev/sda1 nomodify:true'],
  impl: { appliance: withOptions('xfsRepair') },
});

export const listMdDevices = defineCommand({
  name: 'list-md-devices',
  args: [],
  ret: 'strings',
  shortdesc: 'list Linux md (RAID) devices',
  longdesc: `Lists the Linux software RAID (md) devices the appliance's kernel has assembled. ${APPLIANCE}`,
  examples: ['list-md-devices'],
  impl: { appliance: applianceOp('listMdDevices') },
});

export const isoinfoDevice = defineCommand({
  name: 'isoinfo-device',
  args: [{ name: 'device', kind: 'Device' }],
  ret: 'struct',
  fields: ISOINFO_FIELDS,
  shortdesc: 'get ISO information from primary volume descriptor of device',
  longdesc: `Returns the fields of the ISO 9660 primary volume descriptor of the device: identifiers (trailing
spaces removed), sizes, and times as seconds since the epoch (-1 when unset).`,
  examples: ['isoinfo-device /dev/sdb'],
  impl: { any: async (ctx, [dev]) => parseIsoPrimaryVolume((await ctx.call('pread-device', [dev, 2048, ISO_PVD_OFFSET])) as Uint8Array, dev) },
});

export const isoinfo = defineCommand({
  name: 'isoinfo',
  args: [{ name: 'isofile', kind: 'Pathname' }],
  ret: 'struct',
  fields: ISOINFO_FIELDS,
  shortdesc: 'get ISO information from primary volume descriptor of ISO file',
  longdesc: 'Like isoinfo-device, for an ISO image that is a file in the guest.',
  examples: ['isoinfo /srv/install.iso'],
  impl: { any: async (ctx, [path]) => parseIsoPrimaryVolume((await ctx.call('pread', [path, 2048, ISO_PVD_OFFSET])) as Uint8Array, path) },
});

export const FS_EXTRA_COMMANDS = [fstrim, mklostAndFound, xfsRepair, listMdDevices, isoinfoDevice, isoinfo] as const;
