/** LVM2 physical volumes, volume groups and logical volumes (read from the on-disk metadata). */
import { ErrnoError } from '../errors/index.js';
import { lvmLvs, lvmLvsFull, lvmLvUuid, lvmPvs, lvmPvsFull, lvmVgPvUuids, lvmVgs, lvmVgsFull } from '../lvm/report.js';
import { LV_FIELDS, PV_FIELDS, VG_FIELDS } from '../lvm/report-fields.js';
import { applianceOp } from './appliance-access.js';
import { defineCommand } from './types.js';
import { wasm, type WasmContext } from './wasm-access.js';

const scan = (ctx: WasmContext) => wasm(ctx).devices.lvm;

export const pvs = defineCommand({
  name: 'pvs',
  args: [],
  ret: 'strings',
  shortdesc: 'list the LVM physical volumes (PVs)',
  longdesc: 'Lists the devices that are LVM physical volumes, e.g. /dev/sda2.',
  examples: ['pvs'],
  impl: { appliance: applianceOp('pvs'), wasm: async (ctx) => lvmPvs(scan(ctx)) },
});

export const vgs = defineCommand({
  name: 'vgs',
  args: [],
  ret: 'strings',
  shortdesc: 'list the LVM volume groups (VGs)',
  longdesc: 'Lists the names of the LVM volume groups found on the drives.',
  examples: ['vgs'],
  impl: { appliance: applianceOp('vgs'), wasm: async (ctx) => lvmVgs(scan(ctx)) },
});

export const lvs = defineCommand({
  name: 'lvs',
  args: [],
  ret: 'strings',
  shortdesc: 'list the LVM logical volumes (LVs)',
  longdesc: 'Lists the LVM logical volumes as /dev/VG/LV. On the wasm backend linear and striped LVs can be mounted; thin, snapshot, RAID and cache LVs are listed but need the appliance backend, where the guest kernel activates them.',
  examples: ['lvs'],
  impl: { appliance: applianceOp('lvs'), wasm: async (ctx) => lvmLvs(scan(ctx)) },
});

export const pvsFull = defineCommand({
  name: 'pvs-full',
  args: [],
  ret: 'structs',
  fields: PV_FIELDS,
  shortdesc: 'list the LVM physical volumes (PVs), with details',
  longdesc: 'The pvs report with every field libguestfs returns (sizes in bytes, UUIDs in their 32-character form).',
  examples: ['pvs-full'],
  impl: { appliance: applianceOp('pvsFull'), wasm: async (ctx) => lvmPvsFull(scan(ctx)) as unknown as Record<string, number | string>[] },
});

export const vgsFull = defineCommand({
  name: 'vgs-full',
  args: [],
  ret: 'structs',
  fields: VG_FIELDS,
  shortdesc: 'list the LVM volume groups (VGs), with details',
  longdesc: 'The vgs report with every field libguestfs returns.',
  examples: ['vgs-full'],
  impl: { appliance: applianceOp('vgsFull'), wasm: async (ctx) => lvmVgsFull(scan(ctx)) as unknown as Record<string, number | string>[] },
});

export const lvsFull = defineCommand({
  name: 'lvs-full',
  args: [],
  ret: 'structs',
  fields: LV_FIELDS,
  shortdesc: 'list the LVM logical volumes (LVs), with details',
  longdesc: 'The lvs report with every field libguestfs returns.',
  examples: ['lvs-full'],
  impl: { appliance: applianceOp('lvsFull'), wasm: async (ctx) => lvmLvsFull(scan(ctx)) as unknown as Record<string, number | string>[] },
});

export const lvuuid = defineCommand({
  name: 'lvuuid',
  args: [{ name: 'device', kind: 'Device' }],
  ret: 'string',
  shortdesc: 'get the UUID of a logical volume',
  longdesc: 'Returns the UUID of the LVM LV device, in the dashed form the lvm tools print.',
  examples: ['lvuuid /dev/fedora/root'],
  impl: {
    appliance: applianceOp('lvuuid'),
    wasm: async (ctx, [device]) => {
      const uuid = lvmLvUuid(scan(ctx), device);
      if (uuid === undefined) throw new ErrnoError('ENOENT', `${device}: not an LVM logical volume`);
      return uuid;
    },
  },
});

export const vgpvuuids = defineCommand({
  name: 'vgpvuuids',
  args: [{ name: 'vgname', kind: 'String' }],
  ret: 'strings',
  shortdesc: 'get the PV UUIDs containing the volume group',
  longdesc: 'Returns the UUIDs (dashed) of the physical volumes the volume group is made of, in the order of its metadata.',
  examples: ['vgpvuuids fedora'],
  impl: {
    appliance: applianceOp('vgpvuuids'),
    wasm: async (ctx, [vg]) => {
      const uuids = lvmVgPvUuids(scan(ctx), vg);
      if (uuids === undefined) throw new ErrnoError('ENOENT', `${vg}: no such volume group`);
      return uuids;
    },
  },
});
