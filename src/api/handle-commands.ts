/** Commands that configure or drive the handle itself. */
import { defineCommand } from './types.js';

export const addDrive = defineCommand({
  name: 'add-drive',
  aliases: ['add'],
  args: [{ name: 'filename', kind: 'String' }],
  optargs: [
    { name: 'readonly', kind: 'Bool' },
    { name: 'format', kind: 'String' },
  ],
  ret: 'void',
  phase: 'config',
  shortdesc: 'add an image to examine or modify',
  longdesc: `Adds a disk image (a local file of any format qemu-nbd reads, or an NBD URI such as
nbd://host:port/export or nbd+unix:///export?socket=PATH) to the handle. The first drive
added is /dev/sda, the second /dev/sdb, and so on.

format: raw, qcow2, vmdk, vhdx, vdi or vpc. Without it the format is probed from the
file's magic bytes (a file with a known magic is never taken as raw).

readonly: when true the image is opened read-only and every write goes to a
copy-on-write overlay that is thrown away, so the image is never modified.`,
  examples: ['add-drive disk.img', 'add-drive disk.qcow2 readonly:true format:qcow2'],
  impl: {
    any: async (ctx, [filename], opt) => ctx.handle.addDrive(filename, { format: opt.format, readonly: opt.readonly }),
  },
});

export const addDriveRo = defineCommand({
  name: 'add-drive-ro',
  aliases: ['add-ro'],
  args: [{ name: 'filename', kind: 'String' }],
  ret: 'void',
  phase: 'config',
  shortdesc: 'add a drive in snapshot mode (read-only)',
  longdesc: 'The same as add-drive with readonly:true.',
  examples: ['add-drive-ro disk.img'],
  impl: { any: async (ctx, [filename]) => ctx.handle.addDrive(filename, { readonly: true }) },
});

export const launch = defineCommand({
  name: 'launch',
  aliases: ['run'],
  args: [],
  ret: 'void',
  phase: 'config',
  shortdesc: 'launch the backend',
  longdesc: `Opens the drives added so far and starts the backend. Call it after adding drives
and before any command that looks inside them.`,
  examples: ['run'],
  impl: { any: async (ctx) => ctx.handle.launch() },
});

export const shutdown = defineCommand({
  name: 'shutdown',
  args: [],
  ret: 'void',
  phase: 'any',
  shortdesc: 'shut down the backend',
  longdesc: `Syncs and unmounts every filesystem, writes back what was changed (to the image,
or to the overlay for read-only drives), and releases the drives and helpers.`,
  examples: ['shutdown'],
  impl: { any: async (ctx) => ctx.handle.shutdown() },
});
