/** Reading partition tables (MBR and GPT). */
import { ErrnoError } from '../errors/index.js';
import type { Partition } from '../partition/partition-table.js';
import type { WasmBackend } from '../backend/wasm/wasm-backend.js';
import type { ApplianceBackend } from '../backend/appliance/appliance-backend.js';
import { appliance, applianceOps, type ApplianceContext } from './appliance-access.js';
import { defineCommand, type Impl } from './types.js';
import { wasm, type WasmContext } from './wasm-access.js';

/** parted reports its "boot" flag on GPT for this type: EFI System. */
const ESP_GUID = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';

type Table = Awaited<ReturnType<typeof wasmTable>>;
type TableOf = (device: string) => Promise<Table>;

function wasmTable(ctx: WasmContext, device: string) {
  const b = wasm(ctx);
  const entry = b.device(device);
  if (entry.partition) throw new ErrnoError('EINVAL', `${device}: not a whole device (a partition)`);
  const table = b.devices.tables[entry.drive];
  if (!table) throw new ErrnoError('EINVAL', `${device}: no partition table (unrecognised partition table type)`);
  return Promise.resolve(table);
}

/**
 * One implementation for both backends: the table is read by the same TypeScript
 * either way; only where its bytes come from differs.
 */
function both(f: (tableOf: TableOf, args: any[]) => Promise<unknown>): { wasm: Impl<WasmBackend>; appliance: Impl<ApplianceBackend> } {
  return {
    wasm: (ctx, args) => f((d) => wasmTable(ctx, d), args),
    appliance: async (ctx, args) => {
      const ops = await applianceOps();
      return f((d) => ops.partTable(appliance(ctx), d), args);
    },
  };
}

async function partitionOf(tableOf: TableOf, device: string, partnum: number): Promise<Partition> {
  const p = (await tableOf(device)).partitions.find((x) => x.number === partnum);
  if (!p) throw new ErrnoError('ENOENT', `${device}: partition ${partnum} does not exist`);
  return p;
}

/** Appliance: /dev/sda5 → disk /dev/sda, number 5, once the kernel confirms the device exists. */
async function splitPartition(ctx: ApplianceContext, part: string): Promise<{ disk: string; number: number }> {
  await (await applianceOps()).blockdevGetsize64(appliance(ctx), part);
  const m = /^(\/dev\/sd[a-z]+)(\d+)$/.exec(part);
  if (!m) throw new ErrnoError('EINVAL', `${part}: not a partition`);
  return { disk: m[1]!, number: Number(m[2]) };
}

export const partGetParttype = defineCommand({
  name: 'part-get-parttype',
  args: [{ name: 'device', kind: 'Device' }],
  ret: 'string',
  shortdesc: 'get the partition table type',
  longdesc: 'Returns the partition table type of the whole device: "msdos" for MBR, "gpt" for GPT.',
  examples: ['part-get-parttype /dev/sda'],
  impl: both(async (tableOf, [dev]) => (await tableOf(dev)).type),
});

export const partList = defineCommand({
  name: 'part-list',
  args: [{ name: 'device', kind: 'Device' }],
  ret: 'structs',
  fields: ['part_num', 'part_start', 'part_end', 'part_size'],
  shortdesc: 'list partitions on a device',
  longdesc: 'Lists the partitions of the whole device with their number, first and last byte, and size in bytes.',
  examples: ['part-list /dev/sda'],
  impl: both(async (tableOf, [dev]) => (await tableOf(dev)).partitions.map((p) => ({
    part_num: p.number, part_start: p.start, part_end: p.start + p.size - 1, part_size: p.size,
  }))),
});

export const partGetName = defineCommand({
  name: 'part-get-name',
  args: [{ name: 'device', kind: 'Device' }, { name: 'partnum', kind: 'Int' }],
  ret: 'string',
  shortdesc: 'get partition name',
  longdesc: 'Returns the name (label) of a GPT partition.',
  examples: ['part-get-name /dev/sda 1'],
  impl: both(async (tableOf, [dev, n]) => {
    const p = await partitionOf(tableOf, dev, n);
    if (p.gptName === undefined) throw new ErrnoError('EINVAL', `${dev}: partition names need a GPT partition table`);
    return p.gptName;
  }),
});

export const partGetGptGuid = defineCommand({
  name: 'part-get-gpt-guid',
  args: [{ name: 'device', kind: 'Device' }, { name: 'partnum', kind: 'Int' }],
  ret: 'string',
  shortdesc: 'get the GUID of a GPT partition',
  longdesc: 'Returns the unique GUID of a GPT partition.',
  examples: ['part-get-gpt-guid /dev/sda 1'],
  impl: both(async (tableOf, [dev, n]) => {
    const p = await partitionOf(tableOf, dev, n);
    if (!p.gptGuid) throw new ErrnoError('EINVAL', `${dev}: not a GPT partition table`);
    return p.gptGuid;
  }),
});

export const partGetGptType = defineCommand({
  name: 'part-get-gpt-type',
  args: [{ name: 'device', kind: 'Device' }, { name: 'partnum', kind: 'Int' }],
  ret: 'string',
  shortdesc: 'get the type GUID of a GPT partition',
  longdesc: 'Returns the partition type GUID of a GPT partition.',
  examples: ['part-get-gpt-type /dev/sda 1'],
  impl: both(async (tableOf, [dev, n]) => {
    const p = await partitionOf(tableOf, dev, n);
    if (!p.gptType) throw new ErrnoError('EINVAL', `${dev}: not a GPT partition table`);
    return p.gptType;
  }),
});

export const partGetMbrId = defineCommand({
  name: 'part-get-mbr-id',
  args: [{ name: 'device', kind: 'Device' }, { name: 'partnum', kind: 'Int' }],
  ret: 'int',
  shortdesc: 'get the MBR type byte of a partition',
  longdesc: 'Returns the MBR partition type byte (0x83 for Linux, 0x05 for extended, ...). Fish prints it in hex, as guestfish does.',
  fishOutput: 'hex',
  examples: ['part-get-mbr-id /dev/sda 1'],
  impl: both(async (tableOf, [dev, n]) => {
    const p = await partitionOf(tableOf, dev, n);
    if (p.mbrType === undefined) throw new ErrnoError('EINVAL', `${dev}: not an MBR partition table`);
    return p.mbrType;
  }),
});

export const partGetBootable = defineCommand({
  name: 'part-get-bootable',
  args: [{ name: 'device', kind: 'Device' }, { name: 'partnum', kind: 'Int' }],
  ret: 'bool',
  shortdesc: 'return true if a partition is bootable',
  longdesc: `True when the MBR partition has its boot flag set; on GPT, parted's "boot" flag: the
partition is an EFI System partition.`,
  examples: ['part-get-bootable /dev/sda 1'],
  impl: both(async (tableOf, [dev, n]) => {
    const p = await partitionOf(tableOf, dev, n);
    return p.gptType !== undefined ? p.gptType === ESP_GUID : !!p.bootable;
  }),
});

export const partToDev = defineCommand({
  name: 'part-to-dev',
  args: [{ name: 'partition', kind: 'Device' }],
  ret: 'string',
  shortdesc: 'convert partition name to device name',
  longdesc: 'Returns the whole device a partition is on: /dev/sda1 → /dev/sda.',
  examples: ['part-to-dev /dev/sda1'],
  impl: {
    wasm: async (ctx, [part]) => {
      const e = wasm(ctx).device(part);
      if (!e.partition) throw new ErrnoError('EINVAL', `${part}: not a partition`);
      return wasm(ctx).devices.drives[e.drive]!.name;
    },
    appliance: async (ctx, [part]) => (await splitPartition(ctx, part)).disk,
  },
});

export const partToPartnum = defineCommand({
  name: 'part-to-partnum',
  args: [{ name: 'partition', kind: 'Device' }],
  ret: 'int',
  shortdesc: 'convert partition name to partition number',
  longdesc: 'Returns the number of a partition: /dev/sda1 → 1.',
  examples: ['part-to-partnum /dev/sda5'],
  impl: {
    wasm: async (ctx, [part]) => {
      const e = wasm(ctx).device(part);
      if (!e.partition) throw new ErrnoError('EINVAL', `${part}: not a partition`);
      return e.partition.number;
    },
    appliance: async (ctx, [part]) => (await splitPartition(ctx, part)).number,
  },
});
