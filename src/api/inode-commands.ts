/**
 * Reading a filesystem by inode, without mounting it: filesystem-walk, find-inode
 * and download-inode (libguestfs: sleuthkit in the appliance). guestkit reads
 * ext2/3/4 in process with its libext2fs build, walking the directories (see
 * src/backend/wasm/inode-ops.ts); deleted entries sleuthkit might recover are not
 * reported. The appliance carries no sleuthkit: with auto these run in process.
 */
import { ErrnoError } from '../errors/index.js';
import { TSK_FIELDS, type TskDirent } from '../backend/wasm/inode-ops.js';
import { toLocal } from './read-commands.js';
import { defineCommand } from './types.js';
import { wasm, type WasmContext } from './wasm-access.js';

const walk = (ctx: WasmContext, device: string): Promise<TskDirent[]> =>
  wasm(ctx).withDeviceRequest(device, (req) => wasm(ctx).rpc('walkFs', req));

export const filesystemWalk = defineCommand({
  name: 'filesystem-walk',
  args: [{ name: 'device', kind: 'Mountable' }],
  ret: 'structs',
  fields: TSK_FIELDS,
  shortdesc: 'walk through the filesystem content',
  longdesc: `Lists every file and directory of the filesystem on the device (mounted or not) as sleuthkit's
tsk_dirent: tsk_inode, tsk_type (r regular, d directory, l symlink, c/b character/block device, f FIFO,
s socket, u unknown), tsk_size, tsk_name (relative to the root, which is "."), tsk_flags (1: allocated),
the access, modification, change and creation times (seconds and nanoseconds), tsk_nlink, tsk_link (a
symlink's target) and tsk_spare1. Entries come in on-disk directory order, each directory followed by
its contents, then sleuthkit's virtual "$OrphanFiles". ext2/3/4 only; deleted entries are not found.`,
  examples: ['filesystem-walk /dev/sda1'],
  impl: { wasm: async (ctx, [device]) => walk(ctx, device) },
});

export const findInode = defineCommand({
  name: 'find-inode',
  args: [{ name: 'device', kind: 'Mountable' }, { name: 'inode', kind: 'Int64' }],
  ret: 'structs',
  fields: TSK_FIELDS,
  shortdesc: 'search the entries associated to the given inode',
  longdesc: 'The filesystem-walk entries whose tsk_inode is inode (a file with several hard links has several).',
  examples: ['find-inode /dev/sda1 12'],
  impl: { wasm: async (ctx, [device, inode]) => (await walk(ctx, device)).filter((e) => e.tsk_inode === inode) },
});

export const downloadInode = defineCommand({
  name: 'download-inode',
  args: [{ name: 'device', kind: 'Mountable' }, { name: 'inode', kind: 'Int64' }, { name: 'filename', kind: 'FileOut' }],
  ret: 'void',
  shortdesc: 'download a file to the local machine given its inode',
  longdesc: `Writes the contents of the inode of the filesystem on the device (which need not be mounted) to the
host file ("-" for standard output): files that no path reaches too. ext2/3/4 only.`,
  examples: ['download-inode /dev/sda1 12 file.bin'],
  impl: {
    wasm: async (ctx, [device, inode, local]) => {
      if (!Number.isSafeInteger(inode) || inode < 1) throw new ErrnoError('EINVAL', `${inode}: invalid inode number`);
      const data = await wasm(ctx).withDeviceRequest(device, (req) => wasm(ctx).rpc('readInode', req, inode));
      await toLocal(ctx, local, (out) => new Promise<void>((res, rej) => out.write(data, (e) => (e ? rej(e) : res()))));
    },
  },
});

export const INODE_COMMANDS = [filesystemWalk, findInode, downloadInode] as const;
