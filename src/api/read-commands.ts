/** Reading files and metadata from mounted filesystems. */
import { createWriteStream, open as openFd } from 'node:fs';
import { rm } from 'node:fs/promises';
import { ErrnoError, codeOfError } from '../errors/index.js';
import type { StatResult } from '../fs/vfs.js';
import type { StatVfs } from '../fs/fs-driver.js';
import { byteOrder } from '../util/byte-order.js';
import { formatLsColumns, formatLsLa } from '../util/ls-la.js';
import { unpackListing } from '../backend/wasm/packed-listing.js';
import { sdDevNumber } from '../util/linux-dev.js';
import { appliance, applianceOp, applianceOps } from './appliance-access.js';
import type { Writable } from 'node:stream';
import { defineCommand, type CallContext } from './types.js';
import { wasm, workerOp, type WasmContext } from './wasm-access.js';

const STATNS_FIELDS = [
  'st_dev', 'st_ino', 'st_mode', 'st_nlink', 'st_uid', 'st_gid', 'st_rdev', 'st_size', 'st_blksize', 'st_blocks',
  'st_atime_sec', 'st_atime_nsec', 'st_mtime_sec', 'st_mtime_nsec', 'st_ctime_sec', 'st_ctime_nsec',
  'st_spare1', 'st_spare2', 'st_spare3', 'st_spare4', 'st_spare5', 'st_spare6',
] as const;

export function statnsStruct(s: StatResult): Record<string, number> {
  return {
    st_dev: s.dev, st_ino: s.ino, st_mode: s.mode, st_nlink: s.nlink, st_uid: s.uid, st_gid: s.gid,
    st_rdev: s.rdev, st_size: s.size, st_blksize: s.blksize, st_blocks: s.blocks,
    st_atime_sec: s.atime.sec, st_atime_nsec: s.atime.nsec, st_mtime_sec: s.mtime.sec, st_mtime_nsec: s.mtime.nsec,
    st_ctime_sec: s.ctime.sec, st_ctime_nsec: s.ctime.nsec,
    st_spare1: 0, st_spare2: 0, st_spare3: 0, st_spare4: 0, st_spare5: 0, st_spare6: 0,
  };
}

const decoder = new TextDecoder();
const CHUNK = 4 << 20;

/** Reads a whole guest file through the backend, in chunks. */
async function readWhole(ctx: WasmContext, path: string): Promise<Uint8Array> {
  const b = wasm(ctx);
  const st = await b.rpc('stat', path);
  if ((st.mode & 0o170000) === 0o040000) throw new ErrnoError('EISDIR', `${path}: Is a directory`);
  if (st.size <= CHUNK) return b.rpc('read', path, 0, st.size);
  const out = new Uint8Array(st.size);
  for (let off = 0; off < st.size; off += CHUNK) out.set(await b.rpc('read', path, off, CHUNK), off);
  return out;
}

function lines(buf: Uint8Array): string[] {
  const text = decoder.decode(buf);
  const parts = text.split('\n');
  if (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export const ls = defineCommand({
  name: 'ls',
  args: [{ name: 'directory', kind: 'Pathname' }],
  ret: 'strings',
  shortdesc: 'list the files in a directory',
  longdesc: 'Lists the names in the directory, hidden ones included ("." and ".." excluded), sorted. Use ll for details.',
  examples: ['ls /etc'],
  impl: { appliance: applianceOp('ls'), wasm: async (ctx, [dir]) => (await wasm(ctx).rpc('readdir', dir)).sort(byteOrder) },
});


export const ll = defineCommand({
  name: 'll',
  args: [{ name: 'directory', kind: 'Pathname' }],
  ret: 'string',
  shortdesc: 'list the files in a directory (long format)',
  longdesc: 'Lists the directory in the format of "ls -la" as the guest would print it in the C locale, UTC.',
  examples: ['ll /etc'],
  impl: {
    appliance: applianceOp('ll'),
    wasm: async (ctx, [dir]) => {
      const b = wasm(ctx);
      const own = await b.rpc('stat', dir, false);
      if ((own.mode & 0o170000) !== 0o040000) {
        // ls -la of a single file names it by its path as the appliance sees it,
        // under /sysroot; byte-compatible with guestfish's ll.
        const link = (own.mode & 0o170000) === 0o120000 ? await b.rpc('readlink', dir) : undefined;
        return formatLsLa([{ name: `/sysroot${dir}`, attr: own, link }], Date.now() / 1000, false);
      }
      return formatLsColumns(unpackListing(await b.rpc('lsLong', dir)), Date.now() / 1000);
    },
  },
});

export const cat = defineCommand({
  name: 'cat',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'string',
  shortdesc: 'list the contents of a file',
  longdesc: 'Returns the contents of the file as a string. For files with binary content use read-file or download.',
  examples: ['cat /etc/hostname'],
  impl: { appliance: applianceOp('cat'), wasm: async (ctx, [path]) => decoder.decode(await readWhole(ctx, path)) },
});

export const readFile = defineCommand({
  name: 'read-file',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'buffer',
  shortdesc: 'read a file',
  longdesc: 'Returns the contents of the file as bytes, unlike cat which returns a string.',
  examples: ['read-file /etc/hostname'],
  impl: { appliance: applianceOp('readFile'), wasm: async (ctx, [path]) => readWhole(ctx, path) },
});

export const head = defineCommand({
  name: 'head',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'strings',
  shortdesc: 'return first 10 lines of a file',
  longdesc: 'Returns the first 10 lines of the file as a list of strings.',
  examples: ['head /etc/passwd'],
  impl: { any: async (ctx, [path]) => ctx.call('head-n', [10, path]) },
});

export const headN = defineCommand({
  name: 'head-n',
  args: [{ name: 'nrlines', kind: 'Int' }, { name: 'path', kind: 'Pathname' }],
  ret: 'strings',
  shortdesc: 'return first N lines of a file',
  longdesc: `Returns the first nrlines lines of the file. A negative nrlines returns every line
except the last -nrlines; 0 returns nothing.`,
  examples: ['head-n 3 /etc/passwd', 'head-n -1 /etc/passwd'],
  impl: {
    any: async (ctx, [n, path]) => {
      const all = lines((await ctx.call('read-file', [path])) as Uint8Array);
      return n >= 0 ? all.slice(0, n) : all.slice(0, Math.max(0, all.length + n));
    },
  },
});

export const tail = defineCommand({
  name: 'tail',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'strings',
  shortdesc: 'return last 10 lines of a file',
  longdesc: 'Returns the last 10 lines of the file as a list of strings.',
  examples: ['tail /var/log/messages'],
  impl: { any: async (ctx, [path]) => ctx.call('tail-n', [10, path]) },
});

export const tailN = defineCommand({
  name: 'tail-n',
  args: [{ name: 'nrlines', kind: 'Int' }, { name: 'path', kind: 'Pathname' }],
  ret: 'strings',
  shortdesc: 'return last N lines of a file',
  longdesc: `Returns the last nrlines lines of the file. A negative nrlines returns the lines
starting from line -nrlines (as tail -n +N does); 0 returns nothing.`,
  examples: ['tail-n 3 /etc/passwd', 'tail-n -2 /etc/passwd'],
  impl: {
    any: async (ctx, [n, path]) => {
      const all = lines((await ctx.call('read-file', [path])) as Uint8Array);
      if (n > 0) return all.slice(Math.max(0, all.length - n));
      if (n < 0) return all.slice(-n - 1);
      return [];
    },
  },
});

export const statns = defineCommand({
  name: 'statns',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'struct',
  fields: STATNS_FIELDS,
  shortdesc: 'get file information',
  longdesc: 'Returns the stat(2) information of the file, following symlinks, with nanosecond times.',
  examples: ['statns /etc/passwd'],
  impl: { appliance: applianceOp('statns'), wasm: async (ctx, [path]) => statnsStruct(await wasm(ctx).rpc('stat', path, true)) },
});

export const lstatns = defineCommand({
  name: 'lstatns',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'struct',
  fields: STATNS_FIELDS,
  shortdesc: 'get file information for a symbolic link',
  longdesc: 'The same as statns, except that a symbolic link itself is described, not its target.',
  examples: ['lstatns /bin'],
  impl: { appliance: applianceOp('lstatns'), wasm: async (ctx, [path]) => statnsStruct(await wasm(ctx).rpc('stat', path, false)) },
});

async function typeTest(ctx: WasmContext, path: string, follow: boolean, type: number): Promise<boolean> {
  try {
    const st = await wasm(ctx).rpc('stat', path, follow);
    return (st.mode & 0o170000) === type;
  } catch (e) {
    if (e instanceof ErrnoError && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return false;
    throw e;
  }
}

export const isFile = defineCommand({
  name: 'is-file',
  args: [{ name: 'path', kind: 'Pathname' }],
  optargs: [{ name: 'followsymlinks', kind: 'Bool' }],
  ret: 'bool',
  shortdesc: 'test if a regular file',
  longdesc: 'True when the path exists and is a regular file. Symlinks are not followed unless followsymlinks:true.',
  examples: ['is-file /etc/passwd'],
  impl: { appliance: applianceOp('isFile', ['followsymlinks']), wasm: async (ctx, [path], o) => typeTest(ctx, path, !!o.followsymlinks, 0o100000) },
});

export const isDir = defineCommand({
  name: 'is-dir',
  args: [{ name: 'path', kind: 'Pathname' }],
  optargs: [{ name: 'followsymlinks', kind: 'Bool' }],
  ret: 'bool',
  shortdesc: 'test if a directory',
  longdesc: 'True when the path exists and is a directory. Symlinks are not followed unless followsymlinks:true.',
  examples: ['is-dir /etc'],
  impl: { appliance: applianceOp('isDir', ['followsymlinks']), wasm: async (ctx, [path], o) => typeTest(ctx, path, !!o.followsymlinks, 0o040000) },
});

export const isSymlink = defineCommand({
  name: 'is-symlink',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'bool',
  shortdesc: 'test if a symbolic link',
  longdesc: 'True when the path exists and is a symbolic link.',
  examples: ['is-symlink /bin'],
  impl: { appliance: applianceOp('isSymlink'), wasm: async (ctx, [path]) => typeTest(ctx, path, false, 0o120000) },
});

export const exists = defineCommand({
  name: 'exists',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'bool',
  shortdesc: 'test if a file or directory exists',
  longdesc: 'True when the path exists (following symlinks: a dangling symlink does not exist).',
  examples: ['exists /etc/passwd'],
  impl: { appliance: applianceOp('exists'), wasm: workerOp('exists') },
});

export const readlink = defineCommand({
  name: 'readlink',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'string',
  shortdesc: 'read the target of a symbolic link',
  longdesc: 'Returns the target of the symbolic link, as stored (it is not resolved).',
  examples: ['readlink /bin'],
  impl: { appliance: applianceOp('readlink'), wasm: workerOp('readlink') },
});

export const find = defineCommand({
  name: 'find',
  args: [{ name: 'directory', kind: 'Pathname' }],
  ret: 'strings',
  shortdesc: 'find all files and directories',
  longdesc: `Lists every file and directory below the directory, recursively, sorted, with the
directory's own path cut off the front of each: find / gives "etc/hostname", find /etc gives "/hostname".`,
  examples: ['find /etc'],
  impl: { appliance: applianceOp('find'), wasm: workerOp('find') },
});

export const checksum = defineCommand({
  name: 'checksum',
  args: [{ name: 'csumtype', kind: 'String' }, { name: 'path', kind: 'Pathname' }],
  ret: 'string',
  shortdesc: 'compute MD5, SHAx or CRC checksum of file',
  longdesc: 'Computes a checksum of the file. csumtype is crc (as cksum prints it), md5, sha1, sha224, sha256, sha384 or sha512.',
  examples: ['checksum sha256 /etc/passwd'],
  impl: { appliance: applianceOp('checksum'), wasm: async (ctx, [type, path]) => wasm(ctx).rpc('checksum', type, path) },
});

export const statvfs = defineCommand({
  name: 'statvfs',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'struct',
  fields: ['bsize', 'frsize', 'blocks', 'bfree', 'bavail', 'files', 'ffree', 'favail', 'fsid', 'flag', 'namemax'],
  shortdesc: 'get file system statistics',
  longdesc: 'Returns the statvfs(2) figures of the filesystem the path is on.',
  examples: ['statvfs /'],
  impl: {
    appliance: applianceOp('statvfs'),
    wasm: async (ctx, [path]) => {
      const { device, ...st } = await wasm(ctx).rpc('statvfs', path);
      const probe = await wasm(ctx).probe(device);
      const subvolume = probe.type === 'btrfs' ? (await wasm(ctx).btrfsInfo(path)).mountedId : undefined;
      return { ...st, fsid: linuxFsid(probe.type, probe.uuid, device, subvolume) };
    },
  },
});

/**
 * f_fsid as Linux reports it, as a decimal string (it does not fit a double):
 * ext2/3/4 fold the UUID's two 64-bit halves together; btrfs folds its big-endian
 * 32-bit words and mixes in the subvolume id; most other filesystems use the device number.
 */
export function linuxFsid(type: string, uuid: string, device: string, subvolume?: number): string {
  if (/^ext[234]$/.test(type) && /^[0-9a-f-]{36}$/i.test(uuid)) {
    const bytes = Buffer.from(uuid.replace(/-/g, ''), 'hex');
    return (bytes.readBigUInt64LE(0) ^ bytes.readBigUInt64LE(8)).toString();
  }
  if (type === 'btrfs' && subvolume !== undefined && /^[0-9a-f-]{36}$/i.test(uuid)) {
    const b = Buffer.from(uuid.replace(/-/g, ''), 'hex');
    const root = BigInt(subvolume);
    const lo = BigInt(b.readUInt32BE(0) ^ b.readUInt32BE(8)) ^ (root >> 32n);
    const hi = BigInt(b.readUInt32BE(4) ^ b.readUInt32BE(12)) ^ (root & 0xffffffffn);
    return ((BigInt.asUintN(32, hi) << 32n) | BigInt.asUintN(32, lo)).toString();
  }
  return String(sdDevNumber(device));
}

/**
 * Runs `produce` with the FileOut sink: the handle's stdout for "-", else the host file,
 * which is removed again if producing fails, so no partial download is left behind.
 */
export async function toLocal(ctx: CallContext, local: string, produce: (out: Writable) => Promise<void>): Promise<void> {
  if (local === '-') return produce(ctx.handle.stdout as Writable);
  // Opened first, so a host path that cannot be written is one ErrnoError, not a stream 'error' event.
  const fd = await new Promise<number>((res, rej) => openFd(local, 'w', (e, fd) => (e ? rej(e) : res(fd)))).catch((e: NodeJS.ErrnoException) => {
    throw new ErrnoError(codeOfError(e), `${local}: ${e.code === 'ENOENT' ? 'No such file or directory' : e.code === 'EISDIR' ? 'Is a directory' : e.code === 'EACCES' ? 'Permission denied' : e.message}`, { cause: e });
  });
  const out = createWriteStream('', { fd });
  let ok = false;
  try {
    await produce(out);
    ok = true;
  } finally {
    await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
    if (!ok) await rm(local, { force: true });
  }
}

export const download = defineCommand({
  name: 'download',
  args: [{ name: 'remotefilename', kind: 'Pathname' }, { name: 'filename', kind: 'FileOut' }],
  ret: 'void',
  shortdesc: 'download a file to the local machine',
  longdesc: 'Copies the guest file to the host file (use "-" for standard output), in chunks.',
  examples: ['download /etc/passwd passwd.txt', 'download /etc/passwd -'],
  impl: {
    appliance: async (ctx, [remote, local]) =>
      toLocal(ctx, local, async (out) => { await (await applianceOps()).download(appliance(ctx), remote, out); }),
    wasm: async (ctx, [remote, local]) => {
      const b = wasm(ctx);
      const st = await b.rpc('stat', remote);
      if ((st.mode & 0o170000) === 0o040000) throw new ErrnoError('EISDIR', `${remote}: Is a directory`);
      await toLocal(ctx, local, async (out) => {
        for (let off = 0; off < st.size; off += CHUNK) {
          const chunk = await b.rpc('read', remote, off, CHUNK);
          if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
        }
      });
    },
  },
});
