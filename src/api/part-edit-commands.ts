/**
 * Editing partitions in place (part-del, part-set-*, part-resize, part-expand-gpt)
 * and the GPT fields libguestfs reads with sgdisk. Both backends run the same
 * TypeScript editor (src/partition/partition-editor.ts) on the whole device's
 * bytes: the wasm backend on the drive, the appliance through the agent, after
 * which its kernel re-reads the table.
 */
import type { BlockDevice } from '../block/block-device.js';
import { SliceDevice } from '../block/slice.js';
import type { ApplianceBackend } from '../backend/appliance/appliance-backend.js';
import type { WasmBackend } from '../backend/wasm/wasm-backend.js';
import { ErrnoError } from '../errors/index.js';
import * as edit from '../partition/partition-editor.js';
import { appliance, applianceOps } from './appliance-access.js';
import { wasmRewrite } from './part-write-commands.js';
import { defineCommand, type Impl } from './types.js';
import { wasm } from './wasm-access.js';

type Impls = { wasm: Impl<WasmBackend>; appliance: Impl<ApplianceBackend> };

/** The drive seen under the guest's name for it, so the editor's errors name /dev/sdX, not a host file. */
function asGuest(d: BlockDevice, device: string): BlockDevice {
  return new SliceDevice(d, 0, d.size, { name: device });
}

/** A table edit on the device named by the first argument, on either backend. */
function editing(fn: (dev: BlockDevice, args: any[]) => Promise<void>): Impls {
  return {
    wasm: (ctx, args) => wasmRewrite(ctx, args[0], (d) => fn(asGuest(d, args[0]), args.slice(1))),
    appliance: async (ctx, args) => (await applianceOps()).partEdit(appliance(ctx), args[0], (d) => fn(asGuest(d, args[0]), args.slice(1))),
  };
}

/** A table read on the device named by the first argument, on either backend. */
function reading<T>(fn: (dev: BlockDevice, args: any[]) => Promise<T>): Impls {
  return {
    wasm: (ctx, args) => {
      const entry = wasm(ctx).device(args[0]);
      if (entry.partition || entry.lv) throw new ErrnoError('EINVAL', `${args[0]}: not a whole device (a partition)`);
      return fn(asGuest(entry.dev, args[0]), args.slice(1));
    },
    appliance: async (ctx, args) => (await applianceOps()).partRead(appliance(ctx), args[0], (d) => fn(asGuest(d, args[0]), args.slice(1))),
  };
}

const DEVICE = { name: 'device', kind: 'Device' } as const;
const PARTNUM = { name: 'partnum', kind: 'Int' } as const;

export const partDel = defineCommand({
  name: 'part-del',
  args: [DEVICE, PARTNUM],
  ret: 'void',
  shortdesc: 'delete a partition',
  longdesc: `Deletes the partition numbered partnum on device. Deleting an MBR extended partition also
deletes the logical partitions it holds; deleting a logical partition renumbers the ones after it.`,
  examples: ['part-del /dev/sda 2'],
  impl: editing((d, [n]) => edit.deletePartition(d, n)),
});

export const partSetName = defineCommand({
  name: 'part-set-name',
  args: [DEVICE, PARTNUM, { name: 'name', kind: 'String' }],
  ret: 'void',
  shortdesc: 'set partition name',
  longdesc: 'Sets the name of a GPT partition (at most 36 characters). MBR partitions have no names: an error.',
  examples: ['part-set-name /dev/sda 1 boot'],
  impl: editing((d, [n, name]) => edit.setPartName(d, n, name)),
});

export const partSetBootable = defineCommand({
  name: 'part-set-bootable',
  args: [DEVICE, PARTNUM, { name: 'bootable', kind: 'Bool' }],
  ret: 'void',
  shortdesc: 'make a partition bootable',
  longdesc: `Sets or clears the bootable flag of the partition, as parted does: on MBR the active flag
(setting it clears it on the other partitions); on GPT parted's "boot" flag, which makes the partition
an EFI System partition (clearing it makes it Linux filesystem data).`,
  examples: ['part-set-bootable /dev/sda 1 true'],
  impl: editing((d, [n, on]) => edit.setBootable(d, n, on)),
});

export const partSetMbrId = defineCommand({
  name: 'part-set-mbr-id',
  args: [DEVICE, PARTNUM, { name: 'idbyte', kind: 'Int' }],
  ret: 'void',
  shortdesc: 'set the MBR type byte (ID byte) of a partition',
  longdesc: 'Sets the MBR type byte of the partition to idbyte (0-255; type bytes are usually quoted in hex: write 0x83). MBR tables only.',
  examples: ['part-set-mbr-id /dev/sda 1 0x83'],
  impl: editing((d, [n, id]) => edit.setMbrId(d, n, id)),
});

export const partSetGptType = defineCommand({
  name: 'part-set-gpt-type',
  args: [DEVICE, PARTNUM, { name: 'guid', kind: 'GUID' }],
  ret: 'void',
  shortdesc: 'set the type GUID of a GPT partition',
  longdesc: 'Sets the type GUID of GPT partition partnum. An error for MBR tables.',
  examples: ['part-set-gpt-type /dev/sda 1 C12A7328-F81F-11D2-BA4B-00A0C93EC93B'],
  impl: editing((d, [n, g]) => edit.setGptType(d, n, g)),
});

export const partSetGptGuid = defineCommand({
  name: 'part-set-gpt-guid',
  args: [DEVICE, PARTNUM, { name: 'guid', kind: 'GUID' }],
  ret: 'void',
  shortdesc: 'set the GUID of a GPT partition',
  longdesc: 'Sets the unique GUID of GPT partition partnum. An error for MBR tables.',
  examples: ['part-set-gpt-guid /dev/sda 1 01234567-89AB-CDEF-0123-456789ABCDEF'],
  impl: editing((d, [n, g]) => edit.setGptGuid(d, n, g)),
});

export const partGetDiskGuid = defineCommand({
  name: 'part-get-disk-guid',
  args: [DEVICE],
  ret: 'string',
  shortdesc: 'get the GUID of a GPT-partitioned disk',
  longdesc: 'Returns the disk GUID of a GPT-partitioned device, in upper case. An error for other tables.',
  examples: ['part-get-disk-guid /dev/sda'],
  impl: reading((d) => edit.getDiskGuid(d)),
});

export const partSetDiskGuid = defineCommand({
  name: 'part-set-disk-guid',
  args: [DEVICE, { name: 'guid', kind: 'GUID' }],
  ret: 'void',
  shortdesc: 'set the GUID of a GPT-partitioned disk',
  longdesc: 'Sets the disk GUID of a GPT-partitioned device (both header copies).',
  examples: ['part-set-disk-guid /dev/sda 01234567-89AB-CDEF-0123-456789ABCDEF'],
  impl: editing((d, [g]) => edit.setDiskGuid(d, g)),
});

export const partSetDiskGuidRandom = defineCommand({
  name: 'part-set-disk-guid-random',
  args: [DEVICE],
  ret: 'void',
  shortdesc: 'set the GUID of a GPT-partitioned disk to random value',
  longdesc: 'Sets the disk GUID of a GPT-partitioned device to a new random (version 4) GUID.',
  examples: ['part-set-disk-guid-random /dev/sda'],
  impl: editing((d) => edit.setDiskGuid(d, null)),
});

export const partGetGptAttributes = defineCommand({
  name: 'part-get-gpt-attributes',
  args: [DEVICE, PARTNUM],
  ret: 'int64',
  shortdesc: 'get the attribute flags of a GPT partition',
  longdesc: `Returns the 64 attribute bits of GPT partition partnum as a signed integer (bit 0: required
by the platform, bit 2: legacy BIOS bootable, bits 48-63: type-specific). Like libguestfs (sgdisk),
an existing MBR partition answers 0.`,
  examples: ['part-get-gpt-attributes /dev/sda 1'],
  impl: reading((d, [n]) => edit.getGptAttributes(d, n)),
});

export const partSetGptAttributes = defineCommand({
  name: 'part-set-gpt-attributes',
  args: [DEVICE, PARTNUM, { name: 'attributes', kind: 'Int64' }],
  ret: 'void',
  shortdesc: 'set the attribute flags of a GPT partition',
  longdesc: 'Sets the 64 attribute bits of GPT partition partnum. An error for MBR tables.',
  examples: ['part-set-gpt-attributes /dev/sda 1 4'],
  impl: editing((d, [n, a]) => edit.setGptAttributes(d, n, a)),
});

export const partResize = defineCommand({
  name: 'part-resize',
  args: [DEVICE, PARTNUM, { name: 'endsect', kind: 'Int64' }],
  ret: 'void',
  shortdesc: 'resize a partition',
  longdesc: `Moves the end of partition partnum to sector endsect (inclusive; a negative endsect counts
back from the end of the disk, -1 being the last sector). The filesystem inside is not touched:
grow it afterwards (resize2fs), or shrink it before.`,
  examples: ['part-resize /dev/sda 1 -2048'],
  impl: editing((d, [n, end]) => edit.resizePartition(d, n, end)),
});

export const partExpandGpt = defineCommand({
  name: 'part-expand-gpt',
  args: [DEVICE],
  ret: 'void',
  shortdesc: 'move backup GPT header to the end of the disk',
  longdesc: `Moves the backup GPT header and entries to the end of the disk, making the space after the
old backup usable (after the image was grown in place). Like sgdisk -e.`,
  examples: ['part-expand-gpt /dev/sda'],
  impl: editing((d) => edit.expandGpt(d)),
});

export const partGetMbrPartType = defineCommand({
  name: 'part-get-mbr-part-type',
  args: [DEVICE, PARTNUM],
  ret: 'string',
  shortdesc: 'get the MBR partition type',
  longdesc: 'Returns "primary", "logical" or "extended" for an MBR partition (GPT partitions are "primary").',
  examples: ['part-get-mbr-part-type /dev/sda 5'],
  impl: reading((d, [n]) => edit.getMbrPartType(d, n)),
});

export const PART_EDIT_COMMANDS = [
  partDel, partSetName, partSetBootable, partSetMbrId, partSetGptType, partSetGptGuid, partGetDiskGuid,
  partSetDiskGuid, partSetDiskGuidRandom, partGetGptAttributes, partSetGptAttributes, partResize,
  partExpandGpt, partGetMbrPartType,
] as const;
