/**
 * Linux software RAID (mdadm) and LUKS encrypted devices (cryptsetup), in the
 * appliance. Key arguments are strings in the library; fish reads them from standard
 * input (--keys-from-stdin) or the terminal, as guestfish does.
 */
import { appliance, applianceOp, applianceOps } from './appliance-access.js';
import { defineCommand } from './types.js';

const DEVICE = { name: 'device', kind: 'Device' } as const;
const KEY = { name: 'key', kind: 'Key' } as const;
const KEYSLOT = { name: 'keyslot', kind: 'Int' } as const;

export const mdCreate = defineCommand({
  name: 'md-create', args: [{ name: 'name', kind: 'String' }, { name: 'devices', kind: 'StringList' }],
  optargs: [
    { name: 'missingbitmap', kind: 'Int64' }, { name: 'nrdevices', kind: 'Int' }, { name: 'spare', kind: 'Int' },
    { name: 'chunk', kind: 'Int64' }, { name: 'level', kind: 'String' },
  ],
  ret: 'void',
  shortdesc: 'create a Linux md (RAID) device',
  longdesc: `Creates the RAID array /dev/NAME over devices with mdadm. level: linear, raid0 (stripe), raid1
(mirror, the default), raid4, raid5, raid6 or raid10; nrdevices: active devices (default: all given);
spare: spare devices; chunk: chunk size in bytes (a multiple of 1024); missingbitmap: bit i set puts a
missing slot at position i. devices plus missing slots must equal nrdevices plus spare.`,
  examples: ['md-create md0 "/dev/sdb /dev/sdc" level:raid1'],
  impl: {
    appliance: async (ctx, [name, devices], o) => (await applianceOps()).mdCreate(appliance(ctx), name, devices, {
      missingbitmap: o.missingbitmap, nrdevices: o.nrdevices, spare: o.spare, chunk: o.chunk, level: o.level,
    }),
  },
});

export const mdDetail = defineCommand({
  name: 'md-detail', args: [{ name: 'md', kind: 'Device' }], ret: 'hash',
  shortdesc: 'obtain metadata for an MD device',
  longdesc: 'What mdadm -D --export says of the RAID device md, as a hash: level, devices, metadata, uuid, name (MD_ dropped, lower case).',
  examples: ['md-detail /dev/md0'],
  impl: { appliance: applianceOp('mdDetail') },
});

export const mdStat = defineCommand({
  name: 'md-stat', args: [{ name: 'md', kind: 'Device' }], ret: 'structs',
  fields: ['mdstat_device', 'mdstat_index', 'mdstat_flags'],
  shortdesc: 'get underlying devices from an MD device',
  longdesc: `The member devices of the RAID device md from /proc/mdstat: device, its index in the array and
its flags (W write-mostly, F faulty, S spare, R replacement).`,
  examples: ['md-stat /dev/md0'],
  impl: { appliance: applianceOp('mdStat') },
});

export const mdStop = defineCommand({
  name: 'md-stop', args: [{ name: 'md', kind: 'Device' }], ret: 'void',
  shortdesc: 'stop a Linux md (RAID) device',
  longdesc: 'Stops the RAID device md (mdadm --stop); its members become plain devices again until it is assembled.',
  examples: ['md-stop /dev/md0'],
  impl: { appliance: applianceOp('mdStop') },
});

export const luksFormat = defineCommand({
  name: 'luks-format', args: [DEVICE, KEY, KEYSLOT], ret: 'void',
  shortdesc: 'format a block device as a LUKS encrypted device',
  longdesc: 'Makes device a LUKS encrypted device (destroying what it held) with key in key slot keyslot (0 to 7).',
  examples: ['luks-format /dev/sdb 0'],
  impl: { appliance: applianceOp('luksFormat') },
});

export const luksFormatCipher = defineCommand({
  name: 'luks-format-cipher', args: [DEVICE, KEY, KEYSLOT, { name: 'cipher', kind: 'String' }], ret: 'void',
  shortdesc: 'format a block device as a LUKS encrypted device',
  longdesc: 'Like luks-format, with the cipher given (as cryptsetup names it, e.g. aes-xts-plain64).',
  examples: ['luks-format-cipher /dev/sdb 0 aes-xts-plain64'],
  impl: { appliance: applianceOp('luksFormatCipher') },
});

export const luksAddKey = defineCommand({
  name: 'luks-add-key', args: [DEVICE, KEY, { name: 'newkey', kind: 'Key' }, KEYSLOT], ret: 'void',
  shortdesc: 'add a key on a LUKS encrypted device',
  longdesc: 'Adds newkey in key slot keyslot (which must be free) of the LUKS device, unlocking it with key.',
  examples: ['luks-add-key /dev/sdb 1'],
  impl: { appliance: applianceOp('luksAddKey') },
});

export const luksKillSlot = defineCommand({
  name: 'luks-kill-slot', args: [DEVICE, KEY, KEYSLOT], ret: 'void',
  shortdesc: 'remove a key from a LUKS encrypted device',
  longdesc: 'Empties key slot keyslot of the LUKS device; key must unlock a slot other than the one removed.',
  examples: ['luks-kill-slot /dev/sdb 1'],
  impl: { appliance: applianceOp('luksKillSlot') },
});

export const luksUuid = defineCommand({
  name: 'luks-uuid', args: [DEVICE], ret: 'string',
  shortdesc: 'get the UUID of a LUKS device',
  longdesc: 'The UUID in the header of the LUKS device.',
  examples: ['luks-uuid /dev/sdb'],
  impl: { appliance: applianceOp('luksUuid') },
});

export const cryptsetupOpen = defineCommand({
  name: 'cryptsetup-open', args: [DEVICE, KEY, { name: 'mapname', kind: 'String' }],
  optargs: [{ name: 'readonly', kind: 'Bool' }, { name: 'crypttype', kind: 'String' }, { name: 'cipher', kind: 'String' }],
  ret: 'void',
  shortdesc: 'open an encrypted block device',
  longdesc: `Unlocks the encrypted device with key and makes its plain contents /dev/mapper/MAPNAME.
crypttype (luks or bitlk) is found from the device when not given; readonly:true maps it read-only;
cipher is for types that do not record theirs.`,
  examples: ['cryptsetup-open /dev/sdb luksdev', 'cryptsetup-open /dev/sda2 win readonly:true crypttype:bitlk'],
  impl: {
    appliance: async (ctx, [device, key, mapname], o) =>
      (await applianceOps()).cryptsetupOpen(appliance(ctx), device, key, mapname, { readonly: o.readonly, crypttype: o.crypttype, cipher: o.cipher }),
  },
});

export const cryptsetupClose = defineCommand({
  name: 'cryptsetup-close', args: [DEVICE], ret: 'void',
  shortdesc: 'close an encrypted device',
  longdesc: 'Removes the /dev/mapper device cryptsetup-open made (device must be that /dev/mapper/... name).',
  examples: ['cryptsetup-close /dev/mapper/luksdev'],
  impl: { appliance: applianceOp('cryptsetupClose') },
});

export const MD_LUKS_COMMANDS = [
  mdCreate, mdDetail, mdStat, mdStop, luksFormat, luksFormatCipher, luksAddKey, luksKillSlot, luksUuid, cryptsetupOpen, cryptsetupClose,
] as const;
