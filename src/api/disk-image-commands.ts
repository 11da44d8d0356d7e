/** Disk image files on the host (not drives of the handle): probing and creating them with qemu-img. */
import { createImage, imageInfo } from '../block/qemu-img.js';
import { defineCommand } from './types.js';

const file = [{ name: 'filename', kind: 'String' }] as const;

export const diskFormat = defineCommand({
  name: 'disk-format', args: file, ret: 'string', phase: 'any',
  shortdesc: 'detect the disk format of a disk image',
  longdesc: 'The format qemu-img detects for the host file: "raw", "qcow2", "vmdk", ... ("unknown" when it cannot tell). It works before launch and never writes to the file.',
  examples: ['disk-format disk.img'],
  impl: { any: async (_ctx, [f]) => (await imageInfo(f)).format },
});

export const diskVirtualSize = defineCommand({
  name: 'disk-virtual-size', args: file, ret: 'int64', phase: 'any',
  shortdesc: 'return virtual size of a disk',
  longdesc: 'The size in bytes of the disk the host image file holds (for qcow2, the guest-visible size, not the file\'s).',
  examples: ['disk-virtual-size disk.qcow2'],
  impl: { any: async (_ctx, [f]) => (await imageInfo(f)).virtualSize },
});

export const diskHasBackingFile = defineCommand({
  name: 'disk-has-backing-file', args: file, ret: 'bool', phase: 'any',
  shortdesc: 'return whether disk has a backing file',
  longdesc: 'True when the host image file is an overlay on a backing file (qcow2 and the like).',
  examples: ['disk-has-backing-file disk.qcow2'],
  impl: { any: async (_ctx, [f]) => (await imageInfo(f)).backingFile !== undefined },
});

export const diskCreate = defineCommand({
  name: 'disk-create',
  args: [{ name: 'filename', kind: 'String' }, { name: 'format', kind: 'String' }, { name: 'size', kind: 'Int64' }],
  optargs: [
    { name: 'backingfile', kind: 'String' }, { name: 'backingformat', kind: 'String' }, { name: 'preallocation', kind: 'String' },
    { name: 'compat', kind: 'String' }, { name: 'clustersize', kind: 'Int' },
  ],
  ret: 'void', phase: 'any',
  shortdesc: 'create a blank disk image',
  longdesc: `Creates a host image file of size bytes: format "raw" (a sparse file, or written out with
preallocation:full) or "qcow2" (qemu-img create; preallocation off/sparse, metadata or full;
compat "0.10" or "1.1"; clustersize in bytes). backingfile (qcow2) makes an overlay on that file
(backingformat names its format); size -1 then takes the backing file's size.`,
  examples: ['disk-create disk.img raw 1073741824', 'disk-create overlay.qcow2 qcow2 -1 backingfile:base.img backingformat:raw'],
  impl: {
    any: async (_ctx, [f, format, size], o) =>
      createImage(f, format, size, { backingfile: o.backingfile, backingformat: o.backingformat, preallocation: o.preallocation, compat: o.compat, clustersize: o.clustersize }),
  },
});
