/**
 * Block devices as devices: blockdev(8)'s queries and settings, zeroing and
 * writing raw bytes, and which drive is which. The wasm backend answers from
 * its own view of the drives (512-byte sectors, 4096-byte blocks).
 */
import type { BlockDevice } from '../block/block-device.js';
import { ErrnoError } from '../errors/index.js';
import { appliance, applianceOp, applianceOps } from './appliance-access.js';
import { defineCommand, type CallContext } from './types.js';
import { wasm, type WasmContext } from './wasm-access.js';

type MountInfo = { device: string; mountpoint: string };

/** The wasm device for a raw write: refused while it, or something sharing its drive in a way that overlaps, is mounted. */
async function writableDevice(ctx: WasmContext, name: string): Promise<BlockDevice> {
  const b = wasm(ctx);
  const entry = b.device(name);
  if (entry.dev.readOnly) throw new ErrnoError('EROFS', `${name}: Read-only file system`);
  for (const m of await b.rpc('mounts')) {
    const other = b.devices.get(m.device);
    if (!other || other.drive !== entry.drive) continue;
    const disjointPartitions = !!entry.partition && !!other.partition && other.name !== name;
    if (!disjointPartitions) throw new ErrnoError('EBUSY', `${name}: Device or resource busy (${m.device} is mounted)`);
  }
  return entry.dev;
}

/** Runs a raw write on a wasm device, then drops what the backend had probed of it. */
async function wasmWrite<T>(ctx: WasmContext, name: string, fn: (dev: BlockDevice) => Promise<T>): Promise<T> {
  const dev = await writableDevice(ctx, name);
  const r = await fn(dev);
  await dev.flush();
  await wasm(ctx).rescanDevices();
  return r;
}

const CHUNK = 1 << 20;

async function allZero(dev: BlockDevice): Promise<boolean> {
  for (const e of await dev.extents(0, dev.size)) {
    if (e.zero || e.hole) continue;
    for (let pos = e.offset; pos < e.offset + e.length; pos += CHUNK) {
      const buf = await dev.read(pos, Math.min(CHUNK, e.offset + e.length - pos));
      if (buf.some((x) => x !== 0)) return false;
    }
  }
  return true;
}

const dev = [{ name: 'device', kind: 'Device' }] as const;

/** The device's size (failing with ENOENT for an unknown device). */
const sizeOf = (ctx: WasmContext, name: string) => wasm(ctx).device(name).dev.size;

export const blockdevGetss = defineCommand({
  name: 'blockdev-getss', args: dev, ret: 'int',
  shortdesc: 'get sectorsize of block device',
  longdesc: 'The device\'s logical sector size in bytes (usually 512).',
  examples: ['blockdev-getss /dev/sda'],
  impl: {
    appliance: applianceOp('blockdevGetss'),
    wasm: async (ctx, [d]) => {
      sizeOf(ctx, d);
      return 512;
    },
  },
});

export const blockdevGetbsz = defineCommand({
  name: 'blockdev-getbsz', args: dev, ret: 'int',
  shortdesc: 'get blocksize of block device',
  longdesc: 'The block size the kernel uses for the device\'s buffer cache (4096 for the drives guestkit attaches).',
  examples: ['blockdev-getbsz /dev/sda'],
  impl: {
    appliance: applianceOp('blockdevGetbsz'),
    wasm: async (ctx, [d]) => {
      sizeOf(ctx, d);
      return 4096;
    },
  },
});

export const blockdevSetbsz = defineCommand({
  name: 'blockdev-setbsz', args: [...dev, { name: 'blocksize', kind: 'Int' }], ret: 'void',
  deprecatedBy: null,
  shortdesc: 'set blocksize of block device',
  longdesc: 'Kept for old scripts: Linux no longer lets a program set a device\'s block size, so this only checks the device exists (as in libguestfs).',
  examples: ['blockdev-setbsz /dev/sda 4096'],
  impl: { appliance: applianceOp('blockdevSetbsz'), wasm: async (ctx, [d]) => void sizeOf(ctx, d) },
});

export const blockdevGetsz = defineCommand({
  name: 'blockdev-getsz', args: dev, ret: 'int64',
  shortdesc: 'get total size of device in 512-byte sectors',
  longdesc: 'The device\'s size in 512-byte sectors, whatever its sector size (see blockdev-getsize64 for bytes).',
  examples: ['blockdev-getsz /dev/sda'],
  impl: { appliance: applianceOp('blockdevGetsz'), wasm: async (ctx, [d]) => Math.floor(sizeOf(ctx, d) / 512) },
});

export const blockdevGetro = defineCommand({
  name: 'blockdev-getro', args: dev, ret: 'bool',
  shortdesc: 'is block device set to read-only',
  longdesc: 'True when the device is read-only. On the appliance a read-only drive\'s writes go to a throw-away overlay, so it reads false unless blockdev-setro was used; on wasm it is true for read-only drives.',
  examples: ['blockdev-getro /dev/sda'],
  impl: { appliance: applianceOp('blockdevGetro'), wasm: async (ctx, [d]) => wasm(ctx).device(d).dev.readOnly },
});

export const blockdevSetro = defineCommand({
  name: 'blockdev-setro', args: dev, ret: 'void',
  shortdesc: 'set block device to read-only',
  longdesc: 'Makes the device read-only in the appliance kernel until blockdev-setrw. Needs the appliance backend.',
  examples: ['blockdev-setro /dev/sda'],
  impl: { appliance: applianceOp('blockdevSetro') },
});

export const blockdevSetrw = defineCommand({
  name: 'blockdev-setrw', args: dev, ret: 'void',
  shortdesc: 'set block device to read-write',
  longdesc: 'Makes the device writable again in the appliance kernel. On wasm a drive\'s mode is fixed when it is added; setting a writable drive read-write succeeds, a read-only drive fails with EROFS.',
  examples: ['blockdev-setrw /dev/sda'],
  impl: {
    appliance: applianceOp('blockdevSetrw'),
    wasm: async (ctx, [d]) => {
      if (wasm(ctx).device(d).dev.readOnly) throw new ErrnoError('EROFS', `${d}: the drive was added read-only`);
    },
  },
});

export const blockdevFlushbufs = defineCommand({
  name: 'blockdev-flushbufs', args: dev, ret: 'void',
  shortdesc: 'flush device buffers',
  longdesc: 'Writes the device\'s buffered data out.',
  examples: ['blockdev-flushbufs /dev/sda'],
  impl: { appliance: applianceOp('blockdevFlushbufs'), wasm: async (ctx, [d]) => wasm(ctx).device(d).dev.flush() },
});

export const blockdevRereadpt = defineCommand({
  name: 'blockdev-rereadpt', args: dev, ret: 'void',
  shortdesc: 'reread partition table',
  longdesc: 'Has the partition table of the whole device read again (after it was written behind the backend\'s back).',
  examples: ['blockdev-rereadpt /dev/sda'],
  impl: {
    appliance: applianceOp('blockdevRereadpt'),
    wasm: async (ctx, [d]) => {
      const b = wasm(ctx);
      if (b.device(d).partition || b.device(d).lv) throw new ErrnoError('EINVAL', `${d}: not a whole device (a partition)`);
      await b.rescanDevices();
    },
  },
});

export const blockdevSetra = defineCommand({
  name: 'blockdev-setra', args: [...dev, { name: 'sectors', kind: 'Int' }], ret: 'void',
  shortdesc: 'set readahead',
  longdesc: 'Sets the appliance kernel\'s readahead for the device, in 512-byte sectors. Needs the appliance backend.',
  examples: ['blockdev-setra /dev/sda 512'],
  impl: { appliance: applianceOp('blockdevSetra') },
});

export const zeroDevice = defineCommand({
  name: 'zero-device', args: dev, ret: 'void',
  shortdesc: 'write zeroes to an entire device',
  longdesc: 'Writes zeros over the whole device (not mounted), destroying everything on it.',
  examples: ['zero-device /dev/sdb'],
  impl: { appliance: applianceOp('zeroDevice'), wasm: async (ctx, [d]) => wasmWrite(ctx, d, (x) => x.zero(0, x.size)) },
});

export const zero = defineCommand({
  name: 'zero', args: dev, ret: 'void',
  shortdesc: 'write zeroes to the device',
  longdesc: 'Writes zeros over the first 128 KiB of the device: enough to wipe a partition table, LVM label or filesystem superblock so nothing recognises it.',
  examples: ['zero /dev/sda1'],
  impl: { appliance: applianceOp('zero'), wasm: async (ctx, [d]) => wasmWrite(ctx, d, (x) => x.zero(0, Math.min(x.size, 32 * 4096))) },
});

export const isZeroDevice = defineCommand({
  name: 'is-zero-device', args: dev, ret: 'bool',
  shortdesc: 'test if a device contains all zero bytes',
  longdesc: 'True when every byte of the device is zero. It reads the whole device (holes of a sparse or qcow2 drive are skipped on wasm).',
  examples: ['is-zero-device /dev/sdb'],
  impl: { appliance: applianceOp('isZeroDevice'), wasm: async (ctx, [d]) => allZero(wasm(ctx).device(d).dev) },
});

export const pwriteDevice = defineCommand({
  name: 'pwrite-device', args: [...dev, { name: 'content', kind: 'BufferIn' }, { name: 'offset', kind: 'Int64' }], ret: 'int',
  shortdesc: 'write to part of a device',
  longdesc: 'Writes content at a byte offset of the device and returns how many bytes were written: fewer than given when the device ends first.',
  examples: ['pwrite-device /dev/sda "hello" 1048576'],
  impl: {
    appliance: async (ctx, [d, content, offset]) =>
      (await applianceOps()).pwriteDevice(appliance(ctx), d, typeof content === 'string' ? Buffer.from(content) : content, offset),
    wasm: async (ctx, [d, content, offset]) => {
      const data: Uint8Array = typeof content === 'string' ? Buffer.from(content) : content;
      if (offset < 0) throw new ErrnoError('EINVAL', `offset: must be >= 0 (was ${offset})`);
      return wasmWrite(ctx, d, async (x) => {
        if (data.length && offset >= x.size) throw new ErrnoError('EINVAL', `${d}: offset is past the end of the device`);
        const n = Math.min(data.length, x.size - offset);
        if (n > 0) await x.write(offset, data.subarray(0, n));
        return n;
      });
    },
  },
});

export const wipefs = defineCommand({
  name: 'wipefs', args: dev, ret: 'void',
  shortdesc: 'wipe a filesystem signature from a device',
  longdesc: 'Erases every filesystem, RAID and partition-table signature wipefs(8) finds on the device (not the data). Needs the appliance backend.',
  examples: ['wipefs /dev/sda1'],
  impl: { appliance: applianceOp('wipefs') },
});

export const blkdiscard = defineCommand({
  name: 'blkdiscard', args: dev, ret: 'void',
  shortdesc: 'discard all blocks on a device',
  longdesc: 'Tells the device every block of it is unused (TRIM); the data is gone. Fails on devices that do not support discard. Needs the appliance backend.',
  examples: ['blkdiscard /dev/sda1'],
  impl: { appliance: applianceOp('blkdiscard') },
});

export const blkdiscardzeroes = defineCommand({
  name: 'blkdiscardzeroes', args: dev, ret: 'bool',
  shortdesc: 'return true if discarded blocks are read as zeroes',
  longdesc: 'True when the device reads discarded blocks back as zeros (the kernel\'s discard_zeroes_data; current kernels report false). Needs the appliance backend.',
  examples: ['blkdiscardzeroes /dev/sda'],
  impl: { appliance: applianceOp('blkdiscardzeroes') },
});

export const nrDevices = defineCommand({
  name: 'nr-devices', args: [], ret: 'int',
  shortdesc: 'return number of whole block devices (disks) added',
  longdesc: 'How many drives were added (the length of list-devices).',
  examples: ['nr-devices'],
  impl: { any: async (ctx) => ((await ctx.call('list-devices', [])) as string[]).length },
});

export const deviceIndex = defineCommand({
  name: 'device-index', args: dev, ret: 'int',
  shortdesc: 'convert device to index',
  longdesc: 'The index of a drive in list-devices: 0 for /dev/sda, 1 for /dev/sdb, ... Partitions and unknown devices fail.',
  examples: ['device-index /dev/sdb'],
  impl: {
    any: async (ctx, [d]) => {
      const i = ((await ctx.call('list-devices', [])) as string[]).indexOf(d);
      if (i < 0) throw new ErrnoError('ENOENT', `${d}: device not found`);
      return i;
    },
  },
});

export const isWholeDevice = defineCommand({
  name: 'is-whole-device', args: dev, ret: 'bool',
  shortdesc: 'test if a device is a whole device',
  longdesc: 'True for a whole drive (/dev/sda), false for a partition or logical volume; a device that does not exist is an error.',
  examples: ['is-whole-device /dev/sda'],
  impl: {
    any: async (ctx, [d]) => {
      if (((await ctx.call('list-devices', [])) as string[]).includes(d)) return true;
      if (((await ctx.call('list-partitions', [])) as string[]).includes(d)) return false;
      if ((await ctx.call('is-lv', [d])) as boolean) return false;
      throw new ErrnoError('ENOENT', `${d}: No such file or directory`);
    },
  },
});

export const listDiskLabels = defineCommand({
  name: 'list-disk-labels', args: [], ret: 'hash',
  shortdesc: 'mapping of disk labels to devices',
  longdesc: 'Drive labels (libguestfs\'s add-drive label:) to devices. guestkit\'s add-drive takes no labels, so the mapping is empty.',
  examples: ['list-disk-labels'],
  impl: { any: async () => ({}) },
});
