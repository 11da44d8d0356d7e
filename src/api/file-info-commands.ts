/**
 * Read-only questions about guest files, built on the commands both backends have
 * (statns, lstatns, pread, read-file), so they answer the same way on either:
 * is-blockdev, is-chardev, is-fifo, is-socket, filesize, is-zero, initrd-list, initrd-cat.
 */
import { posix } from 'node:path';
import { isRegular, readCpio, uncompressedCpio } from '../archive/cpio-reader.js';
import { ErrnoError } from '../errors/index.js';
import { defineCommand, type CallContext } from './types.js';

const S_IFMT = 0o170000;
const PATH = { name: 'path', kind: 'Pathname' } as const;

async function stat(ctx: CallContext, path: string, follow: boolean): Promise<Record<string, number>> {
  return (await ctx.call(follow ? 'statns' : 'lstatns', [path])) as Record<string, number>;
}

/** A file-type test: false (not an error) when the path does not exist, as libguestfs answers. */
function typeTest<N extends string>(name: N, type: number, what: string) {
  return defineCommand({
    name,
    args: [PATH],
    optargs: [{ name: 'followsymlinks', kind: 'Bool' }],
    ret: 'bool',
    shortdesc: `test if ${what}`,
    longdesc: `True when the path exists and is ${what}. Symlinks are not followed unless followsymlinks:true.`,
    examples: [`${name} /dev/${type === 0o010000 ? 'fifo' : 'null'}`],
    impl: {
      any: async (ctx, [path], o) => {
        try {
          return ((await stat(ctx, path, !!o.followsymlinks)).st_mode! & S_IFMT) === type;
        } catch (e) {
          if (e instanceof ErrnoError && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return false;
          throw e;
        }
      },
    },
  });
}

export const isBlockdev = typeTest('is-blockdev', 0o060000, 'a block device');
export const isChardev = typeTest('is-chardev', 0o020000, 'a character device');
export const isFifo = typeTest('is-fifo', 0o010000, 'a FIFO (named pipe)');
export const isSocket = typeTest('is-socket', 0o140000, 'a socket');

export const filesize = defineCommand({
  name: 'filesize',
  args: [{ name: 'file', kind: 'Pathname' }],
  ret: 'int64',
  shortdesc: 'return the size of the file in bytes',
  longdesc: 'Returns the size of the file in bytes (following symlinks, as stat does).',
  examples: ['filesize /etc/passwd'],
  impl: { any: async (ctx, [file]) => (await stat(ctx, file, true)).st_size! },
});

/** pread's largest request is below 4 MiB. */
const CHUNK = 2 * 1024 * 1024;

export const isZero = defineCommand({
  name: 'is-zero',
  args: [PATH],
  ret: 'bool',
  shortdesc: 'test if a file contains all zero bytes',
  longdesc: 'True when every byte of the file is zero (an empty file too). Symlinks are followed.',
  examples: ['is-zero /var/lib/empty.img'],
  impl: {
    any: async (ctx, [path]) => {
      for (let offset = 0; ; offset += CHUNK) {
        const b = (await ctx.call('pread', [path, CHUNK, offset])) as Uint8Array;
        if (b.some((x) => x !== 0)) return false;
        if (b.length < CHUNK) return true;
      }
    },
  },
});

async function initrdMembers(ctx: CallContext, path: string) {
  const bytes = (await ctx.call('read-file', [path])) as Uint8Array;
  return readCpio(uncompressedCpio(bytes, path), path);
}

export const initrdList = defineCommand({
  name: 'initrd-list',
  args: [PATH],
  ret: 'strings',
  shortdesc: 'list files in an initrd',
  longdesc: `Lists the names in the initrd (a gzip-compressed or plain newc cpio archive) in archive order,
as cpio -t prints them. Other compressions (xz, zstd, lz4, bzip2) are refused by name.`,
  examples: ['initrd-list /boot/initrd.img'],
  impl: { any: async (ctx, [path]) => (await initrdMembers(ctx, path)).map((m) => m.name) },
});

export const initrdCat = defineCommand({
  name: 'initrd-cat',
  args: [{ name: 'initrdpath', kind: 'Pathname' }, { name: 'filename', kind: 'String' }],
  ret: 'buffer',
  shortdesc: 'list the contents of a single file in an initrd',
  longdesc: `Returns the contents of the regular file filename (a name as initrd-list prints it) of the
initrd at initrdpath.`,
  examples: ['initrd-cat /boot/initrd.img etc/hostname'],
  impl: {
    any: async (ctx, [path, filename]) => {
      const members = await initrdMembers(ctx, path);
      // libguestfs unpacks the archive and opens the file, so a symlink is followed inside it.
      let name = filename;
      for (let hops = 0; hops < 40; hops++) {
        const m = members.find((x) => x.name === name);
        if (!m) break;
        if (isRegular(m)) return m.data;
        if ((m.mode & S_IFMT) === 0o040000) throw new ErrnoError('EISDIR', `${path}:${filename}: Is a directory`);
        if ((m.mode & S_IFMT) !== 0o120000) throw new ErrnoError('EINVAL', `${path}:${filename}: not a regular file`);
        const target = Buffer.from(m.data).toString('utf8');
        name = posix.normalize(target.startsWith('/') ? target.slice(1) : posix.join(posix.dirname(name), target));
      }
      throw new ErrnoError('ENOENT', `${path}:${filename}: No such file or directory`);
    },
  },
});

export const FILE_INFO_COMMANDS = [isBlockdev, isChardev, isFifo, isSocket, filesize, isZero, initrdList, initrdCat] as const;
