/** Windows dynamic disks (LDM), through ldmtool in the appliance. */
import { applianceOp } from './appliance-access.js';
import { defineCommand } from './types.js';

const DISKGROUP = { name: 'diskgroup', kind: 'String' } as const;
const VOLUME = { name: 'volume', kind: 'String' } as const;

export const ldmtoolCreateAll = defineCommand({
  name: 'ldmtool-create-all', args: [], ret: 'void',
  shortdesc: 'scan and create Windows dynamic disk volumes',
  longdesc: 'Finds the Windows dynamic disks among the drives and maps every volume and partition on them as /dev/mapper/ldm_vol_* and ldm_part_* devices.',
  examples: ['ldmtool-create-all'],
  impl: { appliance: applianceOp('ldmtoolCreateAll') },
});

export const ldmtoolRemoveAll = defineCommand({
  name: 'ldmtool-remove-all', args: [], ret: 'void',
  shortdesc: 'remove all Windows dynamic disk volumes',
  longdesc: 'Removes the /dev/mapper devices ldmtool-create-all made.',
  examples: ['ldmtool-remove-all'],
  impl: { appliance: applianceOp('ldmtoolRemoveAll') },
});

export const ldmtoolScan = defineCommand({
  name: 'ldmtool-scan', args: [], ret: 'strings',
  shortdesc: 'scan for Windows dynamic disks',
  longdesc: 'The GUIDs of the Windows dynamic disk groups found on all the drives (empty when there are none).',
  examples: ['ldmtool-scan'],
  impl: { appliance: applianceOp('ldmtoolScan') },
});

export const ldmtoolScanDevices = defineCommand({
  name: 'ldmtool-scan-devices', args: [{ name: 'devices', kind: 'StringList' }], ret: 'strings',
  shortdesc: 'scan for Windows dynamic disks',
  longdesc: 'Like ldmtool-scan, looking only at the devices given.',
  examples: ['ldmtool-scan-devices "/dev/sda /dev/sdb"'],
  impl: { appliance: applianceOp('ldmtoolScanDevices') },
});

export const ldmtoolDiskgroupName = defineCommand({
  name: 'ldmtool-diskgroup-name', args: [DISKGROUP], ret: 'string',
  shortdesc: 'return the name of a Windows dynamic disk group',
  longdesc: 'The name of the disk group whose GUID ldmtool-scan returned.',
  examples: ['ldmtool-diskgroup-name 6bd6b7ea-aa74-11e2-9b4d-525400b0fe4f'],
  impl: { appliance: applianceOp('ldmtoolDiskgroupName') },
});

export const ldmtoolDiskgroupVolumes = defineCommand({
  name: 'ldmtool-diskgroup-volumes', args: [DISKGROUP], ret: 'strings',
  shortdesc: 'return the volumes in a Windows dynamic disk group',
  longdesc: 'The names of the volumes of the disk group with this GUID.',
  examples: ['ldmtool-diskgroup-volumes 6bd6b7ea-aa74-11e2-9b4d-525400b0fe4f'],
  impl: { appliance: applianceOp('ldmtoolDiskgroupVolumes') },
});

export const ldmtoolDiskgroupDisks = defineCommand({
  name: 'ldmtool-diskgroup-disks', args: [DISKGROUP], ret: 'strings',
  shortdesc: 'return the disks in a Windows dynamic disk group',
  longdesc: 'The devices holding the disks of the disk group with this GUID.',
  examples: ['ldmtool-diskgroup-disks 6bd6b7ea-aa74-11e2-9b4d-525400b0fe4f'],
  impl: { appliance: applianceOp('ldmtoolDiskgroupDisks') },
});

export const ldmtoolVolumeType = defineCommand({
  name: 'ldmtool-volume-type', args: [DISKGROUP, VOLUME], ret: 'string',
  shortdesc: 'return the type of a Windows dynamic disk volume',
  longdesc: 'The layout of the volume in the disk group: simple, spanned, striped, mirrored or raid5.',
  examples: ['ldmtool-volume-type 6bd6b7ea-aa74-11e2-9b4d-525400b0fe4f Volume1'],
  impl: { appliance: applianceOp('ldmtoolVolumeType') },
});

export const ldmtoolVolumeHint = defineCommand({
  name: 'ldmtool-volume-hint', args: [DISKGROUP, VOLUME], ret: 'string',
  shortdesc: 'return the hint field of a Windows dynamic disk volume',
  longdesc: 'The volume\'s hint, usually the drive letter Windows gave it ("E:"), or an empty string.',
  examples: ['ldmtool-volume-hint 6bd6b7ea-aa74-11e2-9b4d-525400b0fe4f Volume1'],
  impl: { appliance: applianceOp('ldmtoolVolumeHint') },
});

export const ldmtoolVolumePartitions = defineCommand({
  name: 'ldmtool-volume-partitions', args: [DISKGROUP, VOLUME], ret: 'strings',
  shortdesc: 'return the partitions in a Windows dynamic disk volume',
  longdesc: 'The partitions the volume of the disk group is made of.',
  examples: ['ldmtool-volume-partitions 6bd6b7ea-aa74-11e2-9b4d-525400b0fe4f Volume1'],
  impl: { appliance: applianceOp('ldmtoolVolumePartitions') },
});

export const listLdmVolumes = defineCommand({
  name: 'list-ldm-volumes', args: [], ret: 'strings',
  shortdesc: 'list all Windows dynamic disk volumes',
  longdesc: 'The /dev/mapper/ldm_vol_* devices ldmtool-create-all made, sorted.',
  examples: ['list-ldm-volumes'],
  impl: { appliance: applianceOp('listLdmVolumes') },
});

export const listLdmPartitions = defineCommand({
  name: 'list-ldm-partitions', args: [], ret: 'strings',
  shortdesc: 'list all Windows dynamic disk partitions',
  longdesc: 'The /dev/mapper/ldm_part_* devices ldmtool-create-all made, sorted.',
  examples: ['list-ldm-partitions'],
  impl: { appliance: applianceOp('listLdmPartitions') },
});

export const LDM_COMMANDS = [
  ldmtoolCreateAll, ldmtoolRemoveAll, ldmtoolScan, ldmtoolScanDevices, ldmtoolDiskgroupName, ldmtoolDiskgroupVolumes,
  ldmtoolDiskgroupDisks, ldmtoolVolumeType, ldmtoolVolumeHint, ldmtoolVolumePartitions, listLdmVolumes, listLdmPartitions,
] as const;
