/**
 * What a file is: `file` (file(1)'s words) and `file-architecture` (the machine a
 * binary, library or initrd is built for). The kind of a non-regular file comes
 * from lstat on either backend; a regular file's description from libmagic in
 * WebAssembly (wasm backend; the kinds it cannot describe as file(1) 5.44 does go to
 * the appliance) or file(1) in the appliance. Architectures are read from ELF and PE
 * headers in TypeScript, inside compressed files and initrd cpio archives too.
 */
import { gunzipSync } from 'node:zlib';
import { readCpio } from '../archive/cpio-reader.js';
import { ErrnoError, GuestkitError, NotSupportedError } from '../errors/index.js';
import { elfArchitecture } from '../inspect/linux/elf-arch.js';
import { peArch } from '../inspect/windows/pe-arch.js';
import { describeBytes, MAGIC_BYTES_MAX, refusedByHead } from '../magic/libmagic.js';
import { applianceOp } from './appliance-access.js';
import { withSyscall } from './syscall-errors.js';
import { defineCommand, type CallContext } from './types.js';

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/** file(1)'s words for what is not a regular file (libguestfs answers these from lstat). */
const KIND_WORDS: Record<number, string> = {
  0o040000: 'directory',
  0o020000: 'character device',
  0o060000: 'block device',
  0o010000: 'FIFO',
  0o120000: 'symbolic link',
  0o140000: 'socket',
};

/** A Dev_or_Path argument names a device when it is one of the handle's block devices. */
async function isDevice(ctx: CallContext, path: string): Promise<boolean> {
  if (!path.startsWith('/dev/')) return false;
  try {
    await ctx.call('blockdev-getsize64', [path]);
    return true;
  } catch (e) {
    if (e instanceof GuestkitError) return false;
    throw e;
  }
}

/** The lstat mode, with libguestfs's "lstat: PATH: ..." wording for a missing file. */
async function lstatMode(ctx: CallContext, path: string): Promise<number> {
  const st = (await withSyscall('lstat', () => ctx.call('lstatns', [path]))) as { st_mode: number };
  return st.st_mode;
}

async function readHead(ctx: CallContext, call: 'pread' | 'pread-device', what: string): Promise<Uint8Array> {
  // A binary is refused from its first bytes: no need to read 7 MiB of it first.
  const first = (await ctx.call(call, [what, 64, 0])) as Uint8Array;
  if (refusedByHead(first)) return first;
  const parts: Uint8Array[] = [];
  let got = 0;
  // pread answers at most 2 MiB a call on both backends.
  while (got < MAGIC_BYTES_MAX) {
    const chunk = (await ctx.call(call, [what, Math.min(2 << 20, MAGIC_BYTES_MAX - got), got])) as Uint8Array;
    if (chunk.length === 0) break;
    parts.push(chunk);
    got += chunk.length;
  }
  return Buffer.concat(parts);
}

async function describeOrRefuse(bytes: Uint8Array, what: string): Promise<string> {
  const d = await describeBytes(bytes);
  if (d === undefined) throw new NotSupportedError(`${what}: ELF, PE and compressed data`, 'wasm');
  return d;
}

export const file = defineCommand({
  name: 'file',
  args: [{ name: 'path', kind: 'Dev_or_Path' }],
  ret: 'string',
  shortdesc: 'determine file type',
  longdesc: `Says what the file is, in file(1)'s words: "directory", "symbolic link", "character device",
"block device", "FIFO", "socket" (symlinks are not followed), or for a regular file what \`file -zb\` says
("ASCII text", "ELF 64-bit LSB executable, x86-64, ...", compressed files described inside and out).
For a device, what its contents are ("Linux rev 1.0 ext4 filesystem data, ..."). The wasm backend reads
the bytes with libmagic compiled to WebAssembly; ELF and PE binaries and compressed files are described
by the appliance's file(1) (auto moves there).`,
  examples: ['file /bin/ls', 'file /dev/sda1'],
  impl: {
    wasm: async (ctx, [path]) => {
      if (await isDevice(ctx, path)) return describeOrRefuse(await readHead(ctx, 'pread-device', path), path);
      const mode = await lstatMode(ctx, path);
      if ((mode & S_IFMT) !== S_IFREG) return KIND_WORDS[mode & S_IFMT] ?? 'unknown, not regular file';
      return describeOrRefuse(await readHead(ctx, 'pread', path), path);
    },
    appliance: async (ctx, [path]) => {
      if (await isDevice(ctx, path)) return applianceOp('fileDevice')(ctx, [path], {});
      const mode = await lstatMode(ctx, path);
      if ((mode & S_IFMT) !== S_IFREG) return KIND_WORDS[mode & S_IFMT] ?? 'unknown, not regular file';
      return applianceOp('fileRegular')(ctx, [path], {});
    },
  },
});

/** Where libguestfs looks in an initrd, in its order: the first that is a binary decides. */
const INITRD_BINARIES = ['bin/ls', 'bin/rm', 'bin/modprobe', 'sbin/modprobe', 'bin/bash', 'bin/dash', 'bin/sh', 'usr/bin/ls', 'usr/bin/rm', 'usr/bin/bash', 'usr/bin/dash', 'usr/sbin/modprobe'];

type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd';

function compressionOf(b: Uint8Array): Compression | undefined {
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return 'bzip2';
  if (b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58 && b[4] === 0x5a && b[5] === 0) return 'xz';
  if (b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'zstd';
  return undefined;
}

const isCpio = (b: Uint8Array) => ['070701', '070702'].includes(Buffer.from(b.subarray(0, 6)).toString('latin1'));

/** The architecture in these bytes (a binary, or an initrd), or undefined. */
function architectureIn(bytes: Uint8Array, path: string): string | undefined {
  const arch = elfArchitecture(bytes.subarray(0, 64)) ?? peArch(bytes) ?? undefined;
  if (arch || !isCpio(bytes)) return arch;
  const members = readCpio(bytes, path);
  for (const name of INITRD_BINARIES) {
    const m = members.find((x) => x.name === name || x.name === `./${name}`);
    const a = m && m.data.length ? elfArchitecture(m.data.subarray(0, 64)) : undefined;
    if (a) return a;
  }
  return undefined;
}

/** Decompresses a guest file: gzip here; the others only in the appliance (Node has no xz, bzip2 or zstd). */
type Decompress = (path: string, kind: Compression, bytes: Uint8Array) => Promise<Uint8Array>;

async function fileArchitecture(ctx: CallContext, path: string, decompress: Decompress): Promise<string> {
  await lstatMode(ctx, path);
  const unknown = () => new ErrnoError('EINVAL', `unknown architecture: ${path}`);
  const st = (await ctx.call('statns', [path])) as { st_mode: number };
  if ((st.st_mode & S_IFMT) !== S_IFREG) throw unknown();
  let bytes = (await ctx.call('read-file', [path])) as Uint8Array;
  const kind = compressionOf(bytes);
  if (kind) bytes = kind === 'gzip' ? gunzipSync(bytes) : await decompress(path, kind, bytes);
  const arch = architectureIn(bytes, path);
  if (!arch) throw unknown();
  return arch;
}

export const fileArchitectureCommand = defineCommand({
  name: 'file-architecture',
  args: [{ name: 'filename', kind: 'Pathname' }],
  ret: 'string',
  shortdesc: 'detect the architecture of a binary file',
  longdesc: `Returns the architecture a binary is built for, in libguestfs's names: aarch64, arm, i386,
ia64, MIPS, ppc, ppc64, ppc64le, riscv32, riscv64, s390, s390x, sparc, sparc64, loongarch64, x86_64. It reads
ELF executables, shared libraries and relocatables, Windows PE executables and DLLs, the same compressed
with gzip, bzip2, xz or zstd, and initrds (newc cpio, plain or compressed), where it looks at bin/ls and
the like. Anything else is an "unknown architecture" error. bzip2, xz and zstd are decompressed in the
appliance; gzip on either backend.`,
  examples: ['file-architecture /bin/ls', 'file-architecture /boot/initrd.img'],
  impl: {
    wasm: async (ctx, [path]) => fileArchitecture(ctx, path, async (p, kind) => {
      throw new NotSupportedError(`file-architecture ${p}: ${kind}-compressed files`, 'wasm');
    }),
    appliance: async (ctx, [path]) => fileArchitecture(ctx, path, async (p, kind) =>
      (await applianceOp('decompressFile')(ctx, [p, kind], {})) as Uint8Array),
  },
});

export const FILE_TYPE_COMMANDS = [file, fileArchitectureCommand] as const;
