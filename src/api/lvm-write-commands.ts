/**
 * LVM changes (PVs, VGs, LVs) and lookups by UUID. Changes run lvm(8) in the
 * appliance; the lookups also work on the wasm backend, from the metadata it
 * reads, and so do the UUID changes of every PV / VG (src/lvm/change-uuids.ts).
 */
import { ErrnoError } from '../errors/index.js';
import { changeLvmUuids, type UuidChange } from '../lvm/change-uuids.js';
import { findLv } from '../lvm/report.js';
import type { LvmScan } from '../lvm/scan.js';
import { applianceOp } from './appliance-access.js';
import { defineCommand, type CallContext } from './types.js';
import { wasm, type WasmContext } from './wasm-access.js';

const scan = (ctx: WasmContext): LvmScan => wasm(ctx).devices.lvm;

function vgOf(ctx: WasmContext, name: string) {
  const vg = scan(ctx).vgs.find((v) => v.name === name);
  if (!vg) throw new ErrnoError('ENOENT', `Volume group "${name}" not found`);
  return vg;
}

/** New PV and/or VG UUIDs on the wasm backend's disks, then LVM scanned again; refused while an LV is mounted. */
async function changeUuidsInProcess(ctx: WasmContext, change: UuidChange): Promise<void> {
  const b = wasm(ctx);
  for (const m of await b.rpc('mounts')) {
    if (b.devices.get(m.device)?.lv) throw new ErrnoError('EBUSY', `${m.device}: logical volume is mounted (umount it first)`);
  }
  for (const pv of scan(ctx).pvs) if (pv.dev.readOnly) throw new ErrnoError('EROFS', `${pv.device}: Read-only file system`);
  await changeLvmUuids(scan(ctx), change);
  await b.rescanDevices();
}

function lvOf(ctx: WasmContext, device: string) {
  const lv = findLv(scan(ctx), device);
  if (!lv) throw new ErrnoError('EINVAL', `${device}: not a logical volume`);
  return lv;
}

export const pvcreate = defineCommand({
  name: 'pvcreate', args: [{ name: 'device', kind: 'Device' }], ret: 'void',
  shortdesc: 'create an LVM physical volume',
  longdesc: 'Makes the device (usually a partition) an LVM physical volume, overwriting any label it had. Needs the appliance backend.',
  examples: ['pvcreate /dev/sda1'],
  impl: { appliance: applianceOp('pvcreate') },
});

export const pvremove = defineCommand({
  name: 'pvremove', args: [{ name: 'device', kind: 'Device' }], ret: 'void',
  shortdesc: 'remove an LVM physical volume',
  longdesc: 'Wipes the LVM label from the device, even when it belongs to a volume group (remove the VG first to keep LVM consistent). Needs the appliance backend.',
  examples: ['pvremove /dev/sda1'],
  impl: { appliance: applianceOp('pvremove') },
});

export const pvresize = defineCommand({
  name: 'pvresize', args: [{ name: 'device', kind: 'Device' }], ret: 'void',
  shortdesc: 'resize an LVM physical volume',
  longdesc: 'Grows or shrinks the physical volume to the size of its device (after the partition was resized). Needs the appliance backend.',
  examples: ['pvresize /dev/sda2'],
  impl: { appliance: applianceOp('pvresize') },
});

export const pvresizeSize = defineCommand({
  name: 'pvresize-size', args: [{ name: 'device', kind: 'Device' }, { name: 'size', kind: 'Int64' }], ret: 'void',
  shortdesc: 'resize an LVM physical volume (with size)',
  longdesc: 'Like pvresize, to size bytes instead of the device\'s size. Needs the appliance backend.',
  examples: ['pvresize-size /dev/sda2 41943040'],
  impl: { appliance: applianceOp('pvresizeSize') },
});

export const pvchangeUuid = defineCommand({
  name: 'pvchange-uuid', args: [{ name: 'device', kind: 'Device' }], ret: 'void',
  shortdesc: 'generate a new random UUID for a physical volume',
  longdesc: 'Gives the physical volume a new random UUID (its label and every copy of its VG\'s metadata, seqno + 1).',
  examples: ['pvchange-uuid /dev/sda1'],
  impl: {
    appliance: applianceOp('pvchangeUuid'),
    wasm: async (ctx, [device]) => {
      if (!scan(ctx).pvs.some((pv) => pv.device === device)) throw new ErrnoError('EINVAL', `${device}: not a physical volume`);
      await changeUuidsInProcess(ctx, { pvs: [device], vgs: false });
    },
  },
});

export const pvchangeUuidAll = defineCommand({
  name: 'pvchange-uuid-all', args: [], ret: 'void',
  shortdesc: 'generate new random UUIDs for all physical volumes',
  longdesc: 'Gives every physical volume a new random UUID (its label and every copy of its VG\'s metadata, seqno + 1).',
  examples: ['pvchange-uuid-all'],
  impl: { appliance: applianceOp('pvchangeUuidAll'), wasm: (ctx) => changeUuidsInProcess(ctx, { pvs: true, vgs: false }) },
});

export const vgcreate = defineCommand({
  name: 'vgcreate', args: [{ name: 'volgroup', kind: 'String' }, { name: 'physvols', kind: 'DeviceList' }], ret: 'void',
  shortdesc: 'create an LVM volume group',
  longdesc: 'Creates the volume group volgroup from the physical volumes listed (made with pvcreate). Needs the appliance backend.',
  examples: ['vgcreate VG "/dev/sda1 /dev/sda2"'],
  impl: { appliance: applianceOp('vgcreate') },
});

export const vgremove = defineCommand({
  name: 'vgremove', args: [{ name: 'vgname', kind: 'String' }], ret: 'void',
  shortdesc: 'remove an LVM volume group',
  longdesc: 'Removes the volume group and every logical volume in it. Needs the appliance backend.',
  examples: ['vgremove VG'],
  impl: { appliance: applianceOp('vgremove') },
});

export const vgrename = defineCommand({
  name: 'vgrename', args: [{ name: 'volgroup', kind: 'String' }, { name: 'newvolgroup', kind: 'String' }], ret: 'void',
  shortdesc: 'rename an LVM volume group',
  longdesc: 'Renames the volume group. Needs the appliance backend.',
  examples: ['vgrename VG VG2'],
  impl: { appliance: applianceOp('vgrename') },
});

export const vgActivate = defineCommand({
  name: 'vg-activate', args: [{ name: 'activate', kind: 'Bool' }, { name: 'volgroups', kind: 'StringList' }], ret: 'void',
  shortdesc: 'activate or deactivate some volume groups',
  longdesc: 'Activates (true) or deactivates (false) the logical volumes of the volume groups listed; an empty list means all. Needs the appliance backend.',
  examples: ['vg-activate false "VG"'],
  impl: { appliance: applianceOp('vgActivate') },
});

export const vgActivateAll = defineCommand({
  name: 'vg-activate-all', args: [{ name: 'activate', kind: 'Bool' }], ret: 'void',
  shortdesc: 'activate or deactivate all volume groups',
  longdesc: 'Activates (true) or deactivates (false) every logical volume. Needs the appliance backend.',
  examples: ['vg-activate-all true'],
  impl: { appliance: applianceOp('vgActivateAll') },
});

export const vgchangeUuid = defineCommand({
  name: 'vgchange-uuid', args: [{ name: 'vg', kind: 'String' }], ret: 'void',
  shortdesc: 'generate a new random UUID for a volume group',
  longdesc: 'Gives the volume group a new random UUID (in every copy of its metadata, seqno + 1).',
  examples: ['vgchange-uuid VG'],
  impl: {
    appliance: applianceOp('vgchangeUuid'),
    wasm: async (ctx, [vg]) => {
      vgOf(ctx, vg);
      await changeUuidsInProcess(ctx, { pvs: false, vgs: [vg] });
    },
  },
});

export const vgchangeUuidAll = defineCommand({
  name: 'vgchange-uuid-all', args: [], ret: 'void',
  shortdesc: 'generate new random UUIDs for all volume groups',
  longdesc: 'Gives every volume group a new random UUID (in every copy of its metadata, seqno + 1).',
  examples: ['vgchange-uuid-all'],
  impl: { appliance: applianceOp('vgchangeUuidAll'), wasm: (ctx) => changeUuidsInProcess(ctx, { pvs: false, vgs: true }) },
});

export const lvcreate = defineCommand({
  name: 'lvcreate', args: [{ name: 'logvol', kind: 'String' }, { name: 'volgroup', kind: 'String' }, { name: 'mbytes', kind: 'Int' }], ret: 'void',
  shortdesc: 'create an LVM logical volume',
  longdesc: 'Creates the logical volume /dev/volgroup/logvol of mbytes megabytes (rounded up to whole extents). Needs the appliance backend.',
  examples: ['lvcreate LV VG 100'],
  impl: { appliance: applianceOp('lvcreate') },
});

export const lvcreateFree = defineCommand({
  name: 'lvcreate-free', args: [{ name: 'logvol', kind: 'String' }, { name: 'volgroup', kind: 'String' }, { name: 'percent', kind: 'Int' }], ret: 'void',
  shortdesc: 'create an LVM logical volume in % remaining free space',
  longdesc: 'Creates the logical volume /dev/volgroup/logvol over percent (0 to 100) of the volume group\'s free space. Needs the appliance backend.',
  examples: ['lvcreate-free LV VG 100'],
  impl: { appliance: applianceOp('lvcreateFree') },
});

export const lvremove = defineCommand({
  // String, not Device: /dev/VG (a whole volume group) is no device node; lvm checks the name.
  name: 'lvremove', args: [{ name: 'device', kind: 'String' }], ret: 'void',
  shortdesc: 'remove an LVM logical volume',
  longdesc: 'Removes the logical volume /dev/VG/LV; given a volume group as /dev/VG, removes all its logical volumes. Needs the appliance backend.',
  examples: ['lvremove /dev/VG/LV'],
  impl: { appliance: applianceOp('lvremove') },
});

export const lvrename = defineCommand({
  name: 'lvrename', args: [{ name: 'logvol', kind: 'String' }, { name: 'newlogvol', kind: 'String' }], ret: 'void',
  shortdesc: 'rename an LVM logical volume',
  longdesc: 'Renames a logical volume: lvrename /dev/VG/LV /dev/VG/NEW. Needs the appliance backend.',
  examples: ['lvrename /dev/VG/LV /dev/VG/LV2'],
  impl: { appliance: applianceOp('lvrename') },
});

export const lvresize = defineCommand({
  name: 'lvresize', args: [{ name: 'device', kind: 'Device' }, { name: 'mbytes', kind: 'Int' }], ret: 'void',
  shortdesc: 'resize an LVM logical volume',
  longdesc: 'Grows or shrinks the logical volume to mbytes megabytes; a filesystem on it is not resized (shrinking first is up to you). Needs the appliance backend.',
  examples: ['lvresize /dev/VG/LV 200'],
  impl: { appliance: applianceOp('lvresize') },
});

export const lvresizeFree = defineCommand({
  name: 'lvresize-free', args: [{ name: 'lv', kind: 'Device' }, { name: 'percent', kind: 'Int' }], ret: 'void',
  shortdesc: 'expand an LV to fill free space',
  longdesc: 'Grows the logical volume by percent (0 to 100) of its volume group\'s free space. Needs the appliance backend.',
  examples: ['lvresize-free /dev/VG/LV 100'],
  impl: { appliance: applianceOp('lvresizeFree') },
});

export const lvmRemoveAll = defineCommand({
  name: 'lvm-remove-all', args: [], ret: 'void',
  shortdesc: 'remove all LVM LVs, VGs and PVs',
  longdesc: 'Removes every logical volume, volume group and physical volume on the drives. Needs the appliance backend.',
  examples: ['lvm-remove-all'],
  impl: { appliance: applianceOp('lvmRemoveAll') },
});

export const lvmScan = defineCommand({
  name: 'lvm-scan', args: [{ name: 'activate', kind: 'Bool' }], ret: 'void',
  shortdesc: 'scan for LVM physical volumes, volume groups and logical volumes',
  longdesc: 'Rescans the devices for LVM metadata (after a change made behind LVM\'s back); with activate true, also activates every logical volume. Needs the appliance backend.',
  examples: ['lvm-scan true'],
  impl: { appliance: applianceOp('lvmScan') },
});

export const vgscan = defineCommand({
  name: 'vgscan', args: [], ret: 'void',
  deprecatedBy: 'lvm-scan',
  shortdesc: 'rescan for LVM physical volumes, volume groups and logical volumes',
  longdesc: 'The same as lvm-scan false. Needs the appliance backend.',
  examples: ['vgscan'],
  impl: { appliance: async (ctx) => ctx.call('lvm-scan', [false]) },
});

export const lvmCanonicalLvName = defineCommand({
  name: 'lvm-canonical-lv-name', args: [{ name: 'lvname', kind: 'Device' }], ret: 'string',
  shortdesc: 'get canonical name of an LV',
  longdesc: 'The /dev/VG/LV name of a logical volume given as /dev/VG/LV or /dev/mapper/VG-LV; anything else fails with EINVAL.',
  examples: ['lvm-canonical-lv-name /dev/mapper/VG-LV'],
  impl: { appliance: applianceOp('lvmCanonicalLvName'), wasm: async (ctx, [name]) => lvOf(ctx, name).path },
});

export const isLv = defineCommand({
  name: 'is-lv', args: [{ name: 'mountable', kind: 'Mountable' }], ret: 'bool',
  shortdesc: 'test if mountable is a logical volume',
  longdesc: 'True when the device is an LVM logical volume (by either of its names).',
  examples: ['is-lv /dev/VG/LV'],
  impl: { appliance: applianceOp('isLv'), wasm: async (ctx, [dev]) => !!findLv(scan(ctx), dev) },
});

export const listDmDevices = defineCommand({
  name: 'list-dm-devices', args: [], ret: 'strings',
  shortdesc: 'list device mapper devices',
  longdesc: 'The device-mapper devices as /dev/mapper/NAME, sorted, that are not logical volumes (an open LUKS device, for one). The wasm backend maps nothing but LVs, so its list is empty.',
  examples: ['list-dm-devices'],
  impl: { appliance: applianceOp('listDmDevices'), wasm: async () => [] },
});

export const vgmeta = defineCommand({
  name: 'vgmeta', args: [{ name: 'vgname', kind: 'String' }], ret: 'buffer',
  shortdesc: 'get volume group metadata',
  longdesc: 'The volume group\'s metadata in LVM\'s text format, as lvm backs it up (vgcfgbackup). Needs the appliance backend.',
  examples: ['vgmeta VG'],
  impl: { appliance: applianceOp('vgmeta') },
});

export const pvuuid = defineCommand({
  name: 'pvuuid', args: [{ name: 'device', kind: 'Device' }], ret: 'string',
  shortdesc: 'get the UUID of a physical volume',
  longdesc: 'The physical volume\'s UUID, in LVM\'s dashed form.',
  examples: ['pvuuid /dev/sda1'],
  impl: {
    appliance: applianceOp('pvuuid'),
    wasm: async (ctx, [dev]) => {
      const pv = scan(ctx).pvs.find((p) => p.device === dev);
      if (!pv) throw new ErrnoError('EINVAL', `Failed to find physical volume "${dev}".`);
      return pv.uuid;
    },
  },
});

export const vguuid = defineCommand({
  name: 'vguuid', args: [{ name: 'vgname', kind: 'String' }], ret: 'string',
  shortdesc: 'get the UUID of a volume group',
  longdesc: 'The volume group\'s UUID, in LVM\'s dashed form.',
  examples: ['vguuid VG'],
  impl: { appliance: applianceOp('vguuid'), wasm: async (ctx, [vg]) => vgOf(ctx, vg).uuid },
});

export const vglvuuids = defineCommand({
  name: 'vglvuuids', args: [{ name: 'vgname', kind: 'String' }], ret: 'strings',
  shortdesc: 'get the LV UUIDs of all LVs in the volume group',
  longdesc: 'The UUIDs of the volume group\'s logical volumes, to match against lvuuid.',
  examples: ['vglvuuids VG'],
  impl: { appliance: applianceOp('vglvuuids'), wasm: async (ctx, [vg]) => vgOf(ctx, vg).lvs.filter((l) => l.visible).map((l) => l.uuid) },
});
