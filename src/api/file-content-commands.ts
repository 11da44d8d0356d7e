/**
 * Reading file contents: lines, counts, grep, strings, hexdump, comparisons,
 * base64 and offset reads and writes. Most are computed on the host from the
 * bytes read-file (or pread) returns, so every backend gives the same answer
 * and the wasm backend answers without a guest.
 */
import { createHash } from 'node:crypto';
import { readFile as readHostFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { ErrnoError } from '../errors/index.js';
import { cksumCrc } from '../util/cksum.js';
import { hexdumpCanonical } from '../util/hexdump.js';
import { grepMatcher, type GrepOptions } from '../util/posix-regex.js';
import { scanStrings, STRING_ENCODINGS } from '../util/strings-scan.js';
import { readHostChunks } from '../util/host-chunks.js';
import { applianceOp } from './appliance-access.js';
import { checkPreadArgs } from './device-read-commands.js';
import { toLocal } from './read-commands.js';
import { withSyscall } from './syscall-errors.js';
import { defineCommand, type CallContext } from './types.js';
import { wasm, workerOp } from './wasm-access.js';

const text = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');

async function bytesOf(ctx: CallContext, path: string): Promise<Uint8Array> {
  return (await ctx.call('read-file', [path])) as Uint8Array;
}

/** Lines split at LF; a final line without LF counts; a trailing CR is dropped (read-lines). */
function splitLines(data: string, dropCr: boolean): string[] {
  if (data === '') return [];
  const parts = data.split('\n');
  if (data.endsWith('\n')) parts.pop();
  return dropCr ? parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)) : parts;
}

export const readLines = defineCommand({
  name: 'read-lines',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'strings',
  shortdesc: 'read file as lines',
  longdesc: `Returns the file's lines. Lines end at LF or CRLF (the CR is removed); a last line
without a newline is still a line; an empty file gives an empty list. Meant for text files.`,
  examples: ['read-lines /etc/fstab'],
  impl: { any: async (ctx, [path]) => splitLines(text(await bytesOf(ctx, path)), true) },
});

function countWords(data: Uint8Array): number {
  let n = 0, inWord = false;
  for (const b of data) {
    const space = b === 0x20 || (b >= 0x09 && b <= 0x0d);
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

const wcCommand = <N extends string>(name: N, what: string, count: (d: Uint8Array) => number) =>
  defineCommand({
    name,
    args: [{ name: 'path', kind: 'Pathname' }] as const,
    ret: 'int' as const,
    shortdesc: `count ${what} in a file`,
    longdesc: `Returns the number of ${what} in the file, as wc(1) counts them.`,
    examples: [`${name} /etc/passwd`],
    impl: { any: async (ctx, [path]) => count(await bytesOf(ctx, path)) },
  });

export const wcL = wcCommand('wc-l', 'lines', (d) => d.reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0));
export const wcW = wcCommand('wc-w', 'words', countWords);
export const wcC = wcCommand('wc-c', 'characters', (d) => d.length);

interface GrepFlags extends GrepOptions {
  compressed?: boolean;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** grep over the file's lines; no match is an empty list, not an error. */
async function grepFile(ctx: CallContext, regex: string, path: string, f: GrepFlags): Promise<string[]> {
  if (f.extended && f.fixed) throw new ErrnoError('EINVAL', "can't use 'extended' and 'fixed' flags at the same time");
  let matcher: RegExp;
  try {
    matcher = grepMatcher(regex, f);
  } catch (e) {
    throw new ErrnoError('EINVAL', `${regex}: grep: ${(e as Error).message}`);
  }
  let data = await bytesOf(ctx, path);
  // zgrep decompresses gzip data and passes anything else through (gzip -cdf).
  if (f.compressed && data[0] === GZIP_MAGIC[0] && data[1] === GZIP_MAGIC[1]) data = gunzipSync(data);
  const matches = splitLines(text(data), false).filter((l) => matcher.test(l));
  // GNU grep reports a binary file (one holding NUL) on stderr only: no lines come back.
  return data.includes(0) ? [] : matches;
}

function grepVariant<N extends string>(name: N, flags: GrepFlags, how: string) {
  return defineCommand({
    name,
    args: [{ name: 'regex', kind: 'String' }, { name: 'path', kind: 'Pathname' }] as const,
    ret: 'strings' as const,
    shortdesc: `return lines matching a pattern (${how})`,
    longdesc: `Returns the lines of the file that match regex, like grep with ${how}. Equivalent to grep with
the optional arguments ${Object.keys(flags).map((k) => `${k}:true`).join(' ')}.`,
    examples: [`${name} root /etc/passwd`],
    deprecatedBy: 'grep',
    impl: { any: async (ctx, [regex, path]) => grepFile(ctx, regex, path, flags) },
  });
}

export const grep = defineCommand({
  name: 'grep',
  args: [{ name: 'regex', kind: 'String' }, { name: 'path', kind: 'Pathname' }],
  optargs: [{ name: 'extended', kind: 'Bool' }, { name: 'fixed', kind: 'Bool' }, { name: 'insensitive', kind: 'Bool' }, { name: 'compressed', kind: 'Bool' }],
  ret: 'strings',
  shortdesc: 'return lines matching a pattern',
  longdesc: `Returns the lines of the file that match regex, a POSIX basic regular expression (GNU
extensions included), or an extended one with extended:true, or a fixed string with fixed:true (not
both). insensitive:true ignores case; compressed:true reads gzip-compressed files too (as zgrep).
No match gives an empty list.`,
  examples: ['grep root /etc/passwd', 'grep "^[a-z]+:" /etc/group extended:true'],
  impl: { any: async (ctx, [regex, path], o) => grepFile(ctx, regex, path, o) },
});

export const egrep = grepVariant('egrep', { extended: true }, 'an extended regular expression');
export const fgrep = grepVariant('fgrep', { fixed: true }, 'a fixed string');
export const grepi = grepVariant('grepi', { insensitive: true }, 'case ignored');
export const egrepi = grepVariant('egrepi', { extended: true, insensitive: true }, 'an extended regular expression, case ignored');
export const fgrepi = grepVariant('fgrepi', { fixed: true, insensitive: true }, 'a fixed string, case ignored');
export const zgrep = grepVariant('zgrep', { compressed: true }, 'gzip-compressed files read too');
export const zegrep = grepVariant('zegrep', { extended: true, compressed: true }, 'an extended regular expression, compressed files read too');
export const zfgrep = grepVariant('zfgrep', { fixed: true, compressed: true }, 'a fixed string, compressed files read too');
export const zgrepi = grepVariant('zgrepi', { insensitive: true, compressed: true }, 'case ignored, compressed files read too');
export const zegrepi = grepVariant('zegrepi', { extended: true, insensitive: true, compressed: true }, 'an extended regular expression, case ignored, compressed files read too');
export const zfgrepi = grepVariant('zfgrepi', { fixed: true, insensitive: true, compressed: true }, 'a fixed string, case ignored, compressed files read too');

export const stringsE = defineCommand({
  name: 'strings-e',
  args: [{ name: 'encoding', kind: 'String' }, { name: 'path', kind: 'Pathname' }],
  ret: 'strings',
  shortdesc: 'print the printable strings in a file',
  longdesc: `Returns the runs of at least 4 printable characters in the file, as strings -a -e encoding:
s 7-bit ASCII, S 8-bit, b/l 16-bit big/little endian, B/L 32-bit big/little endian.`,
  examples: ['strings-e l /Windows/System32/notepad.exe'],
  impl: {
    any: async (ctx, [encoding, path]) => {
      if (encoding.length !== 1 || !STRING_ENCODINGS.includes(encoding)) throw new ErrnoError('EINVAL', `${encoding}: invalid encoding`);
      return scanStrings(await bytesOf(ctx, path), encoding);
    },
  },
});

export const strings = defineCommand({
  name: 'strings',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'strings',
  shortdesc: 'print the printable strings in a file',
  longdesc: 'Returns the runs of at least 4 printable 7-bit characters in the file (strings-e s).',
  examples: ['strings /bin/ls'],
  impl: { any: async (ctx, [path]) => ctx.call('strings-e', ['s', path]) },
});

export const hexdump = defineCommand({
  name: 'hexdump',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'string',
  shortdesc: 'dump a file in hexadecimal',
  longdesc: 'Returns the file as hexdump -C prints it: offsets, 16 bytes per line in hex and as ASCII, repeats as "*".',
  examples: ['hexdump /etc/hostname'],
  impl: { any: async (ctx, [path]) => hexdumpCanonical(await bytesOf(ctx, path)) },
});

export const equal = defineCommand({
  name: 'equal',
  args: [{ name: 'file1', kind: 'Pathname' }, { name: 'file2', kind: 'Pathname' }],
  ret: 'bool',
  shortdesc: 'test if two files have equal contents',
  longdesc: 'True when the two files have the same bytes; names and metadata are not compared.',
  examples: ['equal /etc/hosts /etc/hosts.bak'],
  impl: { any: async (ctx, [a, b]) => Buffer.from(await bytesOf(ctx, a)).equals(await bytesOf(ctx, b)) },
});

/** A streaming digest for one of checksum's types. */
export function digestFor(csumtype: string): { update(d: Uint8Array): void; hex(): string } {
  if (csumtype === 'crc') {
    const c = cksumCrc();
    return { update: (d) => c.update(d), hex: () => String(c.digest()) };
  }
  if (!['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'].includes(csumtype)) {
    throw new ErrnoError('EINVAL', `unknown checksum type, expecting crc|md5|sha1|sha224|sha256|sha384|sha512`);
  }
  const h = createHash(csumtype);
  return { update: (d) => h.update(d), hex: () => h.digest('hex') };
}

const DEVICE_CHUNK = 2 << 20;

export const checksumDevice = defineCommand({
  name: 'checksum-device',
  args: [{ name: 'csumtype', kind: 'String' }, { name: 'device', kind: 'Device' }],
  ret: 'string',
  shortdesc: 'compute MD5, SHAx or CRC checksum of the contents of a device',
  longdesc: 'Computes the checksum of a whole device or partition, with the types checksum takes.',
  examples: ['checksum-device md5 /dev/sda1'],
  impl: {
    any: async (ctx, [type, device]) => {
      const digest = digestFor(type);
      const size = (await ctx.call('blockdev-getsize64', [device])) as number;
      for (let off = 0; off < size; off += DEVICE_CHUNK) {
        digest.update((await ctx.call('pread-device', [device, Math.min(DEVICE_CHUNK, size - off), off])) as Uint8Array);
      }
      return digest.hex();
    },
  },
});

export const checksumsOut = defineCommand({
  name: 'checksums-out',
  args: [{ name: 'csumtype', kind: 'String' }, { name: 'directory', kind: 'Pathname' }, { name: 'sumsfile', kind: 'FileOut' }],
  ret: 'void',
  shortdesc: 'compute MD5, SHAx or CRC checksum of files in a directory',
  longdesc: `Writes one line per regular file below the directory, recursively, to sumsfile on the host:
the checksum, two spaces and the path relative to the directory ("./etc/passwd"), as md5sum prints.
For crc the line is "CRC SIZE ./path", as cksum prints.`,
  examples: ['checksums-out sha256 /etc sums.txt'],
  impl: {
    any: async (ctx, [type, dir, local]) => {
      digestFor(type);
      const found = (await ctx.call('find', [dir])) as string[];
      const lines: string[] = [];
      for (const rel of found) {
        const full = dir === '/' ? `/${rel}` : `${dir}${rel}`;
        if (!(await ctx.call('is-file', [full]))) continue;
        const sum = (await ctx.call('checksum', [type, full])) as string;
        const shown = `.${dir === '/' ? '/' : ''}${rel}`;
        lines.push(type === 'crc' ? `${sum} ${(await ctx.call('statns', [full]) as Record<string, number>).st_size} ${shown}` : `${sum}  ${shown}`);
      }
      await toLocal(ctx, local, async (out) => { out.write(lines.map((l) => `${l}\n`).join('')); });
    },
  },
});

export const base64Out = defineCommand({
  name: 'base64-out',
  args: [{ name: 'filename', kind: 'Pathname' }, { name: 'base64file', kind: 'FileOut' }],
  ret: 'void',
  shortdesc: 'download file and encode as base64',
  longdesc: 'Writes the guest file to the host file base64-encoded, in lines of 76 characters as base64(1) does.',
  examples: ['base64-out /etc/passwd passwd.b64'],
  impl: {
    any: async (ctx, [path, local]) => {
      const b64 = Buffer.from(await bytesOf(ctx, path)).toString('base64');
      const wrapped = b64.replace(/.{76}/g, '$&\n');
      await toLocal(ctx, local, async (out) => { out.write(wrapped && !wrapped.endsWith('\n') ? `${wrapped}\n` : wrapped); });
    },
  },
});

export const base64In = defineCommand({
  name: 'base64-in',
  args: [{ name: 'base64file', kind: 'FileIn' }, { name: 'filename', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'upload base64-encoded data to file',
  longdesc: 'Decodes the base64 text of the host file (newlines ignored) and writes the bytes to the guest file.',
  examples: ['base64-in passwd.b64 /etc/passwd'],
  impl: {
    any: async (ctx, [local, path]) => {
      const raw = (await readHostFile(local === '-' ? '/dev/stdin' : local, 'latin1')).replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw) || raw.length % 4 === 1) throw new ErrnoError('EINVAL', `${local}: invalid base64 input`);
      await ctx.call('write', [path, Buffer.from(raw, 'base64')]);
    },
  },
});

export const pread = defineCommand({
  name: 'pread',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'count', kind: 'Int' }, { name: 'offset', kind: 'Int64' }],
  ret: 'buffer',
  shortdesc: 'read part of a file',
  longdesc: `Reads count bytes of the file starting at byte offset. Fewer bytes come back at the end of
the file, none past it (as pread(2)). count must be below 4 MiB.`,
  examples: ['pread /etc/passwd 10 0'],
  impl: {
    wasm: async (ctx, [path, count, offset]) => {
      checkPreadArgs(path, count, offset);
      return wasm(ctx).rpc('read', path, offset, count);
    },
    appliance: async (ctx, args, o) => {
      checkPreadArgs(args[0], args[1], args[2]);
      return applianceOp('pread')(ctx, args, o);
    },
  },
});

export const pwrite = defineCommand({
  name: 'pwrite',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'content', kind: 'BufferIn' }, { name: 'offset', kind: 'Int64' }],
  ret: 'int',
  shortdesc: 'write to part of a file',
  longdesc: `Writes content into the existing file at byte offset, without truncating it, and returns the
number of bytes written. The file is not created if it is missing.`,
  examples: ['pwrite /etc/hostname "new" 0'],
  impl: {
    wasm: async (ctx, [path, content, offset]) => {
      if (offset < 0) throw new ErrnoError('EINVAL', 'offset is negative');
      const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      await withSyscall('open', () => wasm(ctx).rpc('pwrite', path, offset, data));
      return data.length;
    },
    appliance: async (ctx, args, o) => {
      if (args[2] < 0) throw new ErrnoError('EINVAL', 'offset is negative');
      return withSyscall('open', () => applianceOp('pwrite')(ctx, args, o));
    },
  },
});

const OFFSET_CHUNK = 2 << 20;

export const downloadOffset = defineCommand({
  name: 'download-offset',
  args: [{ name: 'remotefilename', kind: 'Pathname' }, { name: 'filename', kind: 'FileOut' }, { name: 'offset', kind: 'Int64' }, { name: 'size', kind: 'Int64' }],
  ret: 'void',
  shortdesc: 'download a file to the local machine with offset and size',
  longdesc: 'Copies size bytes of the guest file, starting at offset, to the host file (fewer at the end of the file).',
  examples: ['download-offset /var/log/messages part.txt 1000 500'],
  impl: {
    any: async (ctx, [remote, local, offset, size]) => {
      if (offset < 0) throw new ErrnoError('EINVAL', 'offset is negative');
      if (size < 0) throw new ErrnoError('EINVAL', 'size is negative');
      await toLocal(ctx, local, async (out) => {
        for (let done = 0; done < size; ) {
          const chunk = (await ctx.call('pread', [remote, Math.min(OFFSET_CHUNK, size - done), offset + done])) as Uint8Array;
          if (chunk.length === 0) break;
          if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
          done += chunk.length;
        }
      });
    },
  },
});

export const uploadOffset = defineCommand({
  name: 'upload-offset',
  args: [{ name: 'filename', kind: 'FileIn' }, { name: 'remotefilename', kind: 'Pathname' }, { name: 'offset', kind: 'Int64' }],
  ret: 'void',
  shortdesc: 'upload a file from the local machine with offset',
  longdesc: 'Writes the host file into the guest file starting at byte offset; the guest file is created if missing and not truncated.',
  examples: ['upload-offset patch.bin /boot/grub/core.img 512'],
  impl: {
    any: async (ctx, [local, remote, offset]) => {
      if (offset < 0) throw new ErrnoError('EINVAL', 'offset is negative');
      if (!(await ctx.call('exists', [remote]))) await ctx.call('touch', [remote]);
      await readHostChunks(local, OFFSET_CHUNK, async (chunk, at) => { await ctx.call('pwrite', [remote, chunk, offset + at]); });
    },
  },
});

export const du = defineCommand({
  name: 'du',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'int64',
  shortdesc: 'estimate file space usage',
  longdesc: 'Returns the space the file or directory tree uses, in KiB of allocated blocks, as du -s (hard links counted once).',
  examples: ['du /var'],
  impl: { appliance: applianceOp('du'), wasm: workerOp('du') },
});

/** NUL-terminated names to a host file (find0, ls0). */
async function nulList(ctx: CallContext, names: string[], local: string): Promise<void> {
  await toLocal(ctx, local, async (out) => { out.write(names.map((n) => `${n}\0`).join('')); });
}

export const find0 = defineCommand({
  name: 'find0',
  args: [{ name: 'directory', kind: 'Pathname' }, { name: 'files', kind: 'FileOut' }],
  ret: 'void',
  shortdesc: 'find all files and directories, returning NUL-separated list',
  longdesc: 'Writes what find returns to the host file, each name followed by a NUL byte (as find -print0).',
  examples: ['find0 /etc files.lst'],
  impl: { any: async (ctx, [dir, local]) => nulList(ctx, (await ctx.call('find', [dir])) as string[], local) },
});

export const ls0 = defineCommand({
  name: 'ls0',
  args: [{ name: 'dir', kind: 'Pathname' }, { name: 'filenames', kind: 'FileOut' }],
  ret: 'void',
  shortdesc: 'list the files in a directory (and put them in a file)',
  longdesc: 'Writes what ls returns to the host file, each name followed by a NUL byte.',
  examples: ['ls0 /etc names.lst'],
  impl: { any: async (ctx, [dir, local]) => nulList(ctx, (await ctx.call('ls', [dir])) as string[], local) },
});

export const realpath = defineCommand({
  name: 'realpath',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'string',
  shortdesc: 'canonicalized absolute pathname',
  longdesc: 'Returns the path with symlinks, "." and ".." resolved inside the guest. The path must exist.',
  examples: ['realpath /etc/../bin'],
  impl: {
    appliance: async (ctx, args, o) => withSyscall('realpath', () => applianceOp('realpath')(ctx, args, o)),
    wasm: async (ctx, args, o) => withSyscall('realpath', () => workerOp('realpath')(ctx, args, o)),
  },
});

/** /dev/mapper/VG-LV → [VG, LV], undoing device-mapper's doubling of dashes. */
function splitDmName(name: string): [string, string] | undefined {
  const m = /^((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(name);
  return m ? [m[1]!.replace(/--/g, '-'), m[2]!.replace(/--/g, '-')] : undefined;
}

export const canonicalDeviceName = defineCommand({
  name: 'canonical-device-name',
  args: [{ name: 'device', kind: 'String' }],
  ret: 'string',
  shortdesc: 'return canonical device name',
  longdesc: `Returns the name libguestfs uses for a device: /dev/hda1, /dev/vda1 and /dev/xvda1 become
/dev/sda1; /dev/mapper/VG-LV becomes /dev/VG/LV when it is a logical volume. Anything else is
returned unchanged.`,
  examples: ['canonical-device-name /dev/vda1'],
  impl: {
    any: async (ctx, [device]) => {
      const disk = /^\/dev\/(?:h|s|v|xv)d([a-z]+\d*)$/.exec(device);
      if (disk) return `/dev/sd${disk[1]}`;
      const dm = /^\/dev\/mapper\/(.+)$/.exec(device);
      const parts = dm && splitDmName(dm[1]!);
      if (parts && ((await ctx.call('lvs', [])) as string[]).includes(`/dev/${parts[0]}/${parts[1]}`)) return `/dev/${parts[0]}/${parts[1]}`;
      return device;
    },
  },
});

export const FILE_CONTENT_COMMANDS = [
  readLines, wcL, wcW, wcC, grep, egrep, fgrep, grepi, egrepi, fgrepi, zgrep, zegrep, zfgrep, zgrepi, zegrepi, zfgrepi,
  strings, stringsE, hexdump, equal, checksumDevice, checksumsOut, base64Out, base64In, pread, pwrite, downloadOffset,
  uploadOffset, du, find0, ls0, realpath, canonicalDeviceName,
] as const;
