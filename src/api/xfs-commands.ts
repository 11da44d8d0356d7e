/** XFS geometry and administration (xfs_info, xfs_admin, xfs_growfs in the appliance). */
import { appliance, applianceOp, applianceOps } from './appliance-access.js';
import { defineCommand } from './types.js';

export const xfsInfo = defineCommand({
  name: 'xfs-info', args: [{ name: 'pathordevice', kind: 'Dev_or_Path' }], ret: 'struct',
  fields: [
    'xfs_mntpoint', 'xfs_inodesize', 'xfs_agcount', 'xfs_agsize', 'xfs_sectsize', 'xfs_attr', 'xfs_blocksize',
    'xfs_datablocks', 'xfs_imaxpct', 'xfs_sunit', 'xfs_swidth', 'xfs_dirversion', 'xfs_dirblocksize', 'xfs_cimode',
    'xfs_logname', 'xfs_logblocksize', 'xfs_logblocks', 'xfs_logversion', 'xfs_logsectsize', 'xfs_logsunit',
    'xfs_lazycount', 'xfs_rtname', 'xfs_rtextsize', 'xfs_rtblocks', 'xfs_rtextents',
  ],
  shortdesc: 'get geometry of XFS filesystem',
  longdesc: `The geometry of the XFS filesystem on a device, or mounted at a guest path, as xfs_info reports
it: block, inode and sector sizes, allocation groups, log and realtime sections. A field xfs_info does
not give prints as -1 in its unsigned type (4294967295) or as an empty string.`,
  examples: ['xfs-info /dev/sda1', 'xfs-info /'],
  impl: { appliance: applianceOp('xfsInfo') },
});

export const xfsAdmin = defineCommand({
  name: 'xfs-admin', args: [{ name: 'device', kind: 'Device' }],
  optargs: [
    { name: 'extunwritten', kind: 'Bool' }, { name: 'imgfile', kind: 'Bool' }, { name: 'v2log', kind: 'Bool' },
    { name: 'projid32bit', kind: 'Bool' }, { name: 'lazycounter', kind: 'Bool' }, { name: 'label', kind: 'String' },
    { name: 'uuid', kind: 'String' },
  ],
  ret: 'void',
  shortdesc: 'change parameters of an XFS filesystem',
  longdesc: `Changes the (unmounted) XFS filesystem on device with xfs_admin: extunwritten, v2log and
projid32bit switch those features on, imgfile says device is an image file, lazycounter turns lazy
superblock counters on or off, label sets the label (12 bytes at most), uuid the UUID ("generate" for a
new one, "nil" to clear it).`,
  examples: ['xfs-admin /dev/sda1 label:DATA', 'xfs-admin /dev/sda1 uuid:generate'],
  impl: {
    appliance: async (ctx, [device], o) => (await applianceOps()).xfsAdmin(appliance(ctx), device, {
      extunwritten: o.extunwritten, imgfile: o.imgfile, v2log: o.v2log, projid32bit: o.projid32bit,
      lazycounter: o.lazycounter, label: o.label, uuid: o.uuid,
    }),
  },
});

export const xfsGrowfs = defineCommand({
  name: 'xfs-growfs', args: [{ name: 'path', kind: 'Pathname' }],
  optargs: [
    { name: 'datasec', kind: 'Bool' }, { name: 'logsec', kind: 'Bool' }, { name: 'rtsec', kind: 'Bool' },
    { name: 'datasize', kind: 'Int64' }, { name: 'logsize', kind: 'Int64' }, { name: 'rtsize', kind: 'Int64' },
    { name: 'rtextsize', kind: 'Int64' }, { name: 'maxpct', kind: 'Int' },
  ],
  ret: 'void',
  shortdesc: 'expand an existing XFS filesystem',
  longdesc: `Grows the XFS filesystem mounted at path with xfs_growfs: datasec, logsec and rtsec grow those
sections to fill their devices; datasize, logsize, rtsize give new sizes in filesystem blocks; rtextsize
the realtime extent size; maxpct the most of the space inodes may take.`,
  examples: ['xfs-growfs / datasec:true'],
  impl: {
    appliance: async (ctx, [path], o) => (await applianceOps()).xfsGrowfs(appliance(ctx), path, {
      datasec: o.datasec, logsec: o.logsec, rtsec: o.rtsec, datasize: o.datasize, logsize: o.logsize,
      rtsize: o.rtsize, rtextsize: o.rtextsize, maxpct: o.maxpct,
    }),
  },
});

export const XFS_COMMANDS = [xfsInfo, xfsAdmin, xfsGrowfs] as const;
