/**
 * Reading a filesystem by inode, without mounting it: filesystem-walk, find-inode
 * and download-inode (libguestfs: sleuthkit in the appliance). guestkit reads
 * ext2/3/4 in process with its libext2fs build, walking the directories (see
 * src/backend/wasm/inode-ops.ts); deleted entries sleuthkit might recover are not
 * reported. The appliance carries no sleuthkit: with auto these run in process.
 */
import { ErrnoError } from '../errors/index.js';
import { TSK_FIELDS, type TskDirent } from '../backend/wasm/inode-ops.js';
import { readExtBlockMap } from '../fs/ext2/ext-block-map.js';
import { toLocal } from './read-commands.js';
import { defineCommand } from './types.js';
import { wasm, type WasmContext } from './wasm-access.js';

const EXT = ['ext2', 'ext3', 'ext4'];

const walk = (ctx: WasmContext, device: string): Promise<TskDirent[]> =>
  wasm(ctx).withDeviceRequest(device, EXT, (req) => wasm(ctx).rpc('walkFs', req));

/** The bytes of one inode (ext) or MFT record's file (ntfs), written to the host file. */
async function inodeOut(ctx: WasmContext, device: string, types: readonly string[], inode: number, local: string): Promise<void> {
  if (!Number.isSafeInteger(inode) || inode < 0) throw new ErrnoError('EINVAL', `${inode}: invalid inode number`);
  // One libntfs-3g instance serves the worker: a mounted NTFS is not opened a second time (ntfscat -i refuses too).
  if (types.includes('ntfs') && (await wasm(ctx).rpc('mounts')).some((m) => m.device === device)) {
    throw new ErrnoError('EBUSY', `${device}: the filesystem is mounted: unmount it first`);
  }
  const data = await wasm(ctx).withDeviceRequest(device, types, (req) => wasm(ctx).rpc('readInode', req, inode));
  await toLocal(ctx, local, (out) => new Promise<void>((res, rej) => out.write(data, (e) => (e ? rej(e) : res()))));
}

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
  impl: { wasm: async (ctx, [device, inode, local]) => inodeOut(ctx, device, EXT, inode, local) },
});

export const ntfscatI = defineCommand({
  name: 'ntfscat-i',
  args: [{ name: 'device', kind: 'Mountable' }, { name: 'inode', kind: 'Int64' }, { name: 'filename', kind: 'FileOut' }],
  ret: 'void',
  shortdesc: 'download a file to the local machine given its inode',
  longdesc: `Writes the file whose MFT record number is inode, on the NTFS filesystem of the device, to the host file
("-" for standard output), as ntfscat -i does: files no path reaches too. Read in process by guestkit's
libntfs-3g build; the filesystem need not be unmounted.`,
  examples: ['ntfscat-i /dev/sda2 64 file.bin'],
  impl: { wasm: async (ctx, [device, inode, local]) => inodeOut(ctx, device, ['ntfs'], inode, local) },
});

export const downloadBlocks = defineCommand({
  name: 'download-blocks',
  args: [{ name: 'device', kind: 'Mountable' }, { name: 'start', kind: 'Int64' }, { name: 'stop', kind: 'Int64' }, { name: 'filename', kind: 'FileOut' }],
  optargs: [{ name: 'unallocated', kind: 'Bool' }],
  ret: 'void',
  shortdesc: 'download the given data units from the disk',
  longdesc: `Writes the filesystem's data units (ext2/3/4 blocks) start to stop, both included, to the host file
("-" for standard output); with unallocated:true only the ones the block bitmap marks free (where deleted
data may remain). Read from the device by both backends; the filesystem need not be mounted.`,
  examples: ['download-blocks /dev/sda1 0 7 first-blocks.bin', 'download-blocks /dev/sda1 0 100000 free.bin unallocated:true'],
  impl: {
    any: async (ctx, [device, start, stop, local], o) => {
      const read = async (offset: number, length: number) => (await ctx.call('pread-device', [device, length, offset])) as Uint8Array;
      const map = await readExtBlockMap(read);
      if (!map) throw new ErrnoError('ENOTSUP', `${device}: download-blocks reads ext2/3/4 filesystems only`);
      if (start < 0 || stop < start || stop >= map.blocksCount) throw new ErrnoError('EINVAL', `${start}-${stop}: blocks out of the range 0-${map.blocksCount - 1}`);
      // Consecutive blocks to copy are read as one run (pread-device answers at most 2 MiB).
      const runMax = Math.max(1, Math.floor((2 << 20) / map.blockSize));
      await toLocal(ctx, local, async (out) => {
        const emit = async (from: number, count: number) => {
          const data = await read(from * map.blockSize, count * map.blockSize);
          await new Promise<void>((res, rej) => out.write(data, (e) => (e ? rej(e) : res())));
        };
        let runStart = -1;
        for (let b = start; b <= stop + 1; b++) {
          const take = b <= stop && !(o.unallocated && (await map.isAllocated(b)));
          if (take && runStart < 0) runStart = b;
          if (runStart >= 0 && (!take || b - runStart === runMax)) {
            await emit(runStart, b - runStart);
            runStart = take ? b : -1;
          }
        }
      });
    },
  },
});

export const INODE_COMMANDS = [filesystemWalk, findInode, downloadInode, ntfscatI, downloadBlocks] as const;
