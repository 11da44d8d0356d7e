/**
 * Streaming guest data out compressed or archived: compress-out, compress-device-out
 * and cpio-out. Built on pread/pread-device, find, lstatns and readlink, so both
 * backends write the same output; compression runs as tar-out's does (zlib for gzip,
 * the compressor program for the others), the cpio archive is written here.
 */
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { ErrnoError } from '../errors/index.js';
import { toLocal } from './read-commands.js';
import { withSyscall } from './syscall-errors.js';
import { defineCommand, type CallContext } from './types.js';

/** libguestfs 1.48's compression types and the levels each takes (compress takes none). */
const CTYPES: Record<string, { program: string; levels?: [number, number] }> = {
  compress: { program: 'compress' },
  gzip: { program: 'gzip', levels: [1, 9] },
  bzip2: { program: 'bzip2', levels: [1, 9] },
  xz: { program: 'xz', levels: [0, 9] },
  lzop: { program: 'lzop', levels: [1, 9] },
};

/** pread and pread-device answer at most 2 MiB a call. */
const CHUNK = 2 << 20;

function checkCtype(ctype: string, level: number | undefined): void {
  const t = CTYPES[ctype];
  if (!t) throw new ErrnoError('EINVAL', 'unknown compression type');
  if (level === undefined) return;
  if (!t.levels) throw new ErrnoError('EINVAL', `${ctype}: compression type does not support the level parameter`);
  if (level < t.levels[0] || level > t.levels[1]) throw new ErrnoError('EINVAL', `${ctype}: incorrect value for level parameter`);
}

/** Writes what `feed` produces into `out`, compressed as ctype at the level. */
async function compressInto(out: Writable, ctype: string, level: number | undefined, feed: (write: (b: Uint8Array) => Promise<void>) => Promise<void>): Promise<void> {
  if (ctype === 'gzip') {
    const gz = createGzip(level === undefined ? {} : { level });
    gz.on('data', (c: Buffer) => out.write(c));
    const done = new Promise<void>((res, rej) => { gz.on('end', res); gz.on('error', rej); });
    await feed((b) => new Promise((res) => { if (gz.write(b)) res(); else gz.once('drain', res); }));
    gz.end();
    return done;
  }
  const program = CTYPES[ctype]!.program;
  const child = spawn(program, ['-c', ...(level === undefined ? [] : [`-${level}`])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((res, rej) => {
    child.on('error', (e: NodeJS.ErrnoException) => rej(e.code === 'ENOENT'
      ? new ErrnoError('ENOTSUP', `compression type ${ctype} is not supported, because external program '${program}' is not available`)
      : e));
    child.on('close', (status) => (status === 0 ? res() : rej(new ErrnoError('EIO', `${program} failed with status ${status}`))));
  });
  child.stdout!.on('data', (c: Buffer) => out.write(c));
  child.stdin!.on('error', () => undefined); // a compressor that died is reported by its exit
  const feeding = feed((b) => new Promise((res) => { if (child.stdin!.write(b)) res(); else child.stdin!.once('drain', res); }));
  // A compressor that cannot start (or dies) ends the command at once, not when the input is all read.
  await Promise.race([feeding, exited.then(() => { throw new ErrnoError('EIO', `${program} exited before its input ended`); })]);
  child.stdin!.end();
  await exited;
}

/** Reads a file or device from the start, in chunks. */
async function readAll(ctx: CallContext, call: 'pread' | 'pread-device', what: string, write: (b: Uint8Array) => Promise<void>): Promise<void> {
  for (let offset = 0; ; offset += CHUNK) {
    const b = (await ctx.call(call, [what, CHUNK, offset])) as Uint8Array;
    if (b.length) await write(b);
    if (b.length < CHUNK) return;
  }
}

export const compressOut = defineCommand({
  name: 'compress-out',
  args: [{ name: 'ctype', kind: 'String' }, { name: 'file', kind: 'Pathname' }, { name: 'zfile', kind: 'FileOut' }],
  optargs: [{ name: 'level', kind: 'Int' }],
  ret: 'void',
  shortdesc: 'output compressed file',
  longdesc: `Compresses the guest file and writes it to the host file zfile ("-" for standard output). ctype is
compress, gzip, bzip2, xz or lzop (the host's compressor program; gzip by zlib); level is the compressor's
level (gzip, bzip2, lzop 1-9; xz 0-9; compress takes none).`,
  examples: ['compress-out gzip /var/log/messages messages.gz', 'compress-out xz /etc/passwd passwd.xz level:9'],
  impl: {
    any: async (ctx, [ctype, file, zfile], o) => {
      checkCtype(ctype, o.level);
      // Checked before the host file is made: a missing guest file leaves nothing behind.
      const st = (await withSyscall('stat', () => ctx.call('statns', [file]))) as { st_mode: number };
      if ((st.st_mode & 0o170000) === 0o040000) throw new ErrnoError('EISDIR', `${file}: Is a directory`);
      await toLocal(ctx, zfile, (out) => compressInto(out, ctype, o.level, (w) => readAll(ctx, 'pread', file, w)));
    },
  },
});

export const compressDeviceOut = defineCommand({
  name: 'compress-device-out',
  args: [{ name: 'ctype', kind: 'String' }, { name: 'device', kind: 'Device' }, { name: 'zdevice', kind: 'FileOut' }],
  optargs: [{ name: 'level', kind: 'Int' }],
  ret: 'void',
  shortdesc: 'output compressed device',
  longdesc: 'Compresses the whole device and writes it to the host file zdevice; ctype and level as for compress-out.',
  examples: ['compress-device-out gzip /dev/sda1 sda1.gz'],
  impl: {
    any: async (ctx, [ctype, device, zdevice], o) => {
      checkCtype(ctype, o.level);
      await ctx.call('blockdev-getsize64', [device]);
      await toLocal(ctx, zdevice, (out) => compressInto(out, ctype, o.level, (w) => readAll(ctx, 'pread-device', device, w)));
    },
  },
});

interface Stat {
  st_dev: number; st_ino: number; st_mode: number; st_nlink: number; st_uid: number; st_gid: number;
  st_rdev: number; st_size: number; st_mtime_sec: number;
}

const major = (dev: number) => Math.floor(dev / 256) & 0xfff;
const minor = (dev: number) => (dev & 0xff) | (Math.floor(dev / 4096) & 0xfff00);
const hex8 = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);

/** A newc (or crc) header and name, padded. */
function cpioHeader(magic: string, st: Stat, name: string, size: number, check: number): Buffer {
  const nameBytes = Buffer.from(`${name}\0`);
  const fields = [st.st_ino, st.st_mode, st.st_uid, st.st_gid, st.st_nlink, st.st_mtime_sec, size,
    major(st.st_dev), minor(st.st_dev), major(st.st_rdev), minor(st.st_rdev), nameBytes.length, check];
  const head = Buffer.from(magic + fields.map(hex8).join(''), 'latin1');
  return Buffer.concat([head, nameBytes, pad4(head.length + nameBytes.length)]);
}

async function writeCpio(ctx: CallContext, dir: string, format: 'newc' | 'crc', write: (b: Uint8Array) => Promise<void>): Promise<void> {
  const magic = format === 'crc' ? '070702' : '070701';
  const base = dir === '/' ? '' : dir.replace(/\/+$/, '');
  const names = ['.', ...((await ctx.call('find', [dir])) as string[]).map((n) => n.replace(/^\//, ''))];
  let total = 0;
  const emit = async (b: Uint8Array) => { total += b.length; await write(b); };
  for (const name of names) {
    const path = name === '.' ? dir : `${base}/${name}`;
    const st = (await ctx.call('lstatns', [path])) as unknown as Stat;
    const type = st.st_mode & 0o170000;
    let data: Uint8Array = new Uint8Array(0);
    if (type === 0o120000) data = Buffer.from((await ctx.call('readlink', [path])) as string);
    else if (type === 0o100000 && st.st_size > 0) {
      const parts: Uint8Array[] = [];
      await readAll(ctx, 'pread', path, async (b) => { parts.push(b); });
      data = Buffer.concat(parts);
    }
    const check = format === 'crc' ? data.reduce((s, b) => (s + b) >>> 0, 0) : 0;
    await emit(cpioHeader(magic, st, name, data.length, check));
    if (data.length) await emit(Buffer.concat([data, pad4(data.length)]));
  }
  const trailer: Stat = { st_dev: 0, st_ino: 0, st_mode: 0, st_nlink: 1, st_uid: 0, st_gid: 0, st_rdev: 0, st_size: 0, st_mtime_sec: 0 };
  await emit(cpioHeader(magic, trailer, 'TRAILER!!!', 0, 0));
  // cpio writes whole 512-byte blocks.
  await write(Buffer.alloc((512 - (total % 512)) % 512));
}

export const cpioOut = defineCommand({
  name: 'cpio-out',
  args: [{ name: 'directory', kind: 'String' }, { name: 'cpiofile', kind: 'FileOut' }],
  optargs: [{ name: 'format', kind: 'String' }],
  ret: 'void',
  shortdesc: 'pack directory into cpio file',
  longdesc: `Packs the guest directory into a cpio archive on the host ("-" for standard output), members named
relative to it ("." first), padded to 512-byte blocks as cpio(1) writes. format: newc (the default, the
format the Linux kernel reads as an initramfs) or crc (newc with a checksum of each file's bytes).`,
  examples: ['cpio-out /boot/initramfs-root initrd.cpio', 'cpio-out /srv data.cpio format:crc'],
  impl: {
    any: async (ctx, [dir, local], o) => {
      const format = o.format ?? 'newc';
      if (format !== 'newc' && format !== 'crc') throw new ErrnoError('EINVAL', `${format}: format must be 'newc' or 'crc'`);
      const st = (await withSyscall('stat', () => ctx.call('statns', [dir]))) as { st_mode: number };
      if ((st.st_mode & 0o170000) !== 0o040000) throw new ErrnoError('ENOTDIR', `${dir}: Not a directory`);
      await toLocal(ctx, local, (out) => writeCpio(ctx, dir, format, (b) =>
        new Promise((res) => { if (out.write(b)) res(); else out.once('drain', res); })));
    },
  },
});

export const COMPRESS_COMMANDS = [compressOut, compressDeviceOut, cpioOut] as const;
