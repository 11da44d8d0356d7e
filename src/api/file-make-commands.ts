/**
 * Making and changing files: directories with a mode, temporary names, special
 * files, rename, recursive copies, truncation, preallocation, times, owners of
 * symlinks, forced links and filled files. Where libguestfs's daemon applies its
 * umask (022) to a new object's mode, so do these.
 */
import { randomBytes } from 'node:crypto';
import { ErrnoError } from '../errors/index.js';
import { applianceOp } from './appliance-access.js';
import { withSyscall } from './syscall-errors.js';
import { defineCommand, type CallContext, type Impl } from './types.js';
import type { Backend } from '../backend/backend.js';
import type { WasmBackend } from '../backend/wasm/wasm-backend.js';
import type { ApplianceBackend } from '../backend/appliance/appliance-backend.js';
import { GuestkitError } from '../errors/index.js';
import { wasm, workerOp } from './wasm-access.js';

/** The daemon's umask in force (022 unless the `umask` command changed it). */
async function umaskOf(ctx: CallContext): Promise<number> {
  return (await ctx.call('get-umask', [])) as number;
}

const TEMPLATE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Replaces the template's trailing XXXXXX (before `suffix`) with random characters, as mkstemps(3). */
function fillTemplate(template: string, suffix = ''): string {
  const base = template.slice(0, template.length - suffix.length);
  if (!base.endsWith('XXXXXX')) throw new ErrnoError('EINVAL', `${template}: Invalid argument`);
  const rnd = [...randomBytes(6)].map((b) => TEMPLATE_CHARS[b % TEMPLATE_CHARS.length]).join('');
  return `${base.slice(0, -6)}${rnd}${suffix}`;
}

/** Tries fresh names until one is created (an EEXIST means: another name). */
async function createUnique(ctx: CallContext, template: string, suffix: string, make: (name: string) => Promise<void>): Promise<string> {
  for (let tries = 0; tries < 100; tries++) {
    const name = fillTemplate(template, suffix);
    if (await ctx.call('exists', [name])) continue;
    await make(name);
    return name;
  }
  throw new ErrnoError('EEXIST', `${template}: File exists`);
}

export const mkdirMode = defineCommand({
  name: 'mkdir-mode',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'mode', kind: 'Int' }],
  ret: 'void',
  shortdesc: 'create a directory with a particular mode',
  longdesc: 'Creates a directory with the permission bits mode, less the umask (022 unless `umask` changed it). The parent must exist; the name must not.',
  examples: ['mkdir-mode /srv/private 0700'],
  impl: {
    wasm: async (ctx, [path, mode]) => wasm(ctx).rpc('mkdir', path, mode & 0o7777 & ~(await umaskOf(ctx))),
    appliance: async (ctx, [path, mode]) => applianceOp('mkdirMode')(ctx, [path, mode & 0o7777 & ~(await umaskOf(ctx))], {}),
  },
});

export const mkdtemp = defineCommand({
  name: 'mkdtemp',
  args: [{ name: 'tmpl', kind: 'Pathname' }],
  ret: 'string',
  shortdesc: 'create a temporary directory',
  longdesc: 'Creates a new directory (mode 0700) named by the template, whose last six characters must be XXXXXX, and returns its name.',
  examples: ['mkdtemp /tmp/tmpXXXXXX'],
  impl: { any: async (ctx, [tmpl]) => createUnique(ctx, tmpl, '', async (n) => { await ctx.call('mkdir-mode', [n, 0o700]); }) },
});

export const mktemp = defineCommand({
  name: 'mktemp',
  args: [{ name: 'tmpl', kind: 'Pathname' }],
  optargs: [{ name: 'suffix', kind: 'String' }],
  ret: 'string',
  shortdesc: 'create a temporary file',
  longdesc: `Creates a new empty file (mode 0600) named by the template, whose last six characters must
be XXXXXX, with suffix appended when given, and returns its name.`,
  examples: ['mktemp /tmp/tmpXXXXXX', 'mktemp /tmp/tmpXXXXXX suffix:.txt'],
  impl: {
    any: async (ctx, [tmpl], o) => {
      const suffix = (o.suffix as string | undefined) ?? '';
      if (suffix && !tmpl.endsWith('X')) throw new ErrnoError('EINVAL', `template ${tmpl} must end in X`);
      return createUnique(ctx, tmpl + suffix, suffix, async (n) => {
        await ctx.call('write', [n, '']);
        await ctx.call('chmod', [0o600, n]);
      });
    },
  },
});

const S_IFIFO = 0o010000, S_IFCHR = 0o020000, S_IFBLK = 0o060000;

/** mkfifo, mknod-b and mknod-c take permission bits only; the type is theirs to add. */
function permissionBits(mode: number): number {
  if ((mode & ~0o7777) !== 0) throw new ErrnoError('EINVAL', `${(mode >>> 0).toString(8)}: mode must specify only file permission bits`);
  return mode;
}

export const mknod = defineCommand({
  name: 'mknod',
  args: [{ name: 'mode', kind: 'Int' }, { name: 'devmajor', kind: 'Int' }, { name: 'devminor', kind: 'Int' }, { name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'make block, character or FIFO devices',
  longdesc: `Creates a special file. mode holds the type (S_IFBLK 0060000, S_IFCHR 0020000, S_IFIFO
0010000; none or S_IFREG 0100000 makes an empty regular file) and the permissions (less the umask);
devmajor/devminor apply to devices.`,
  examples: ['mknod 0020666 1 3 /dev/null'],
  impl: {
    appliance: async (ctx, [mode, major, minor, path]) => {
      if (mode < 0) throw new ErrnoError('EINVAL', `${path}: mode is negative`);
      return applianceOp('mknod')(ctx, [mode & ~(await umaskOf(ctx)), major, minor, path], {});
    },
  },
});

function mknodVariant<N extends string>(name: N, type: number, what: string, example: string) {
  return defineCommand({
    name,
    args: [{ name: 'mode', kind: 'Int' }, { name: 'devmajor', kind: 'Int' }, { name: 'devminor', kind: 'Int' }, { name: 'path', kind: 'Pathname' }] as const,
    ret: 'void' as const,
    shortdesc: `make ${what} device node`,
    longdesc: `Creates a ${what} device: mknod with the file type set for you (permissions less the umask).`,
    examples: [example],
    impl: { appliance: async (ctx, [mode, major, minor, path]) => ctx.call('mknod', [permissionBits(mode) | type, major, minor, path]) },
  });
}

export const mknodB = mknodVariant('mknod-b', S_IFBLK, 'block', 'mknod-b 0660 8 0 /dev/sda');
export const mknodC = mknodVariant('mknod-c', S_IFCHR, 'char', 'mknod-c 0666 1 3 /dev/null');

export const mkfifo = defineCommand({
  name: 'mkfifo',
  args: [{ name: 'mode', kind: 'Int' }, { name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'make FIFO (named pipe)',
  longdesc: 'Creates a named pipe: mknod with S_IFIFO and device numbers 0 (permissions less the umask).',
  examples: ['mkfifo 0600 /run/pipe'],
  impl: { appliance: async (ctx, [mode, path]) => ctx.call('mknod', [permissionBits(mode) | S_IFIFO, 0, 0, path]) },
});

/** rename's errors name both paths, as libguestfs's: "rename: OLD: NEW: No such file or directory". */
function renameErrors<B extends Backend>(impl: Impl<B>): Impl<B> {
  return async (ctx, args, o) => {
    try {
      return await impl(ctx, args, o);
    } catch (e) {
      if (!(e instanceof GuestkitError)) throw e;
      const reason = e.message.slice(e.message.lastIndexOf(': ') + 2);
      throw new ErrnoError(e.code, `rename: ${args[0]}: ${args[1]}: ${reason}`, { cause: e });
    }
  };
}

export const rename = defineCommand({
  name: 'rename',
  args: [{ name: 'oldpath', kind: 'Pathname' }, { name: 'newpath', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'rename a file on the same filesystem',
  longdesc: `Renames oldpath to newpath as rename(2): an existing newpath is replaced (a directory only by
a directory, which must be empty), never entered as mv does.`,
  examples: ['rename /etc/motd /etc/motd.old'],
  impl: { wasm: renameErrors(workerOp('rename')), appliance: renameErrors(applianceOp('rename')) },
});

function copyTreeCommand<N extends string>(name: N, archive: boolean, how: string) {
  return defineCommand({
    name,
    args: [{ name: 'src', kind: 'Pathname' }, { name: 'dest', kind: 'Pathname' }] as const,
    ret: 'void' as const,
    shortdesc: `copy a file or directory recursively${archive ? ' (cp -a)' : ''}`,
    longdesc: `Copies src to dest recursively ${how}. When dest is an existing directory the copy goes inside it.`,
    examples: [`${name} /etc /etc.bak`],
    impl: {
      wasm: async (ctx, [src, dest]) => wasm(ctx).rpc('copyTree', src, dest, archive),
      appliance: applianceOp(archive ? 'cpA' : 'cpR'),
    },
  });
}

export const cpA = copyTreeCommand('cp-a', true, 'keeping modes, owners and times (cp -a)');
export const cpR = copyTreeCommand('cp-r', false, 'keeping modes; symlinks are copied as symlinks (cp -rP)');

export const copyAttributes = defineCommand({
  name: 'copy-attributes',
  args: [{ name: 'src', kind: 'Pathname' }, { name: 'dest', kind: 'Pathname' }],
  optargs: [{ name: 'all', kind: 'Bool' }, { name: 'mode', kind: 'Bool' }, { name: 'xattributes', kind: 'Bool' }, { name: 'ownership', kind: 'Bool' }],
  ret: 'void',
  shortdesc: 'copy the attributes of a path to another',
  longdesc: `Copies attributes of src onto dest: mode:true the permission bits, ownership:true the owner
and group, xattributes:true the extended attributes (the appliance backend), all:true all of them.
Without optional arguments nothing is copied.`,
  examples: ['copy-attributes /etc/passwd /etc/passwd.new all:true'],
  impl: {
    any: async (ctx, [src, dest], o) => {
      const st = (await ctx.call('statns', [src])) as Record<string, number>;
      // Extended attributes first: a backend without them fails before anything is changed.
      const xattrs = o.all || o.xattributes ? ((await ctx.call('getxattrs', [src])) as { attrname: string; attrval: string }[]) : [];
      if (o.all || o.mode) await ctx.call('chmod', [st.st_mode! & 0o7777, dest]);
      if (o.all || o.ownership) await ctx.call('chown', [st.st_uid, st.st_gid, dest]);
      for (const x of xattrs) {
        const val = Buffer.from(x.attrval, 'latin1');
        await ctx.call('setxattr', [x.attrname, val, val.length, dest]);
      }
    },
  },
});

/** truncate-size's implementations; truncate shares them with a size of 0. Errors read as open(2)'s, as libguestfs's. */
const truncateImpl = {
  wasm: async (ctx: CallContext<WasmBackend>, [path, size]: any[]) =>
    withSyscall('open', async () => {
      if (size < 0) throw new ErrnoError('EINVAL', `${path}: Invalid argument`);
      const b = wasm(ctx);
      if (((await b.rpc('stat', path)).mode & 0o170000) === 0o040000) throw new ErrnoError('EISDIR', `${path}: Is a directory`);
      await b.rpc('truncate', path, size);
    }),
  appliance: async (ctx: CallContext<ApplianceBackend>, [path, size]: any[]) =>
    withSyscall('open', async () => {
      if (size < 0) throw new ErrnoError('EINVAL', `${path}: Invalid argument`);
      return applianceOp('truncateSize')(ctx, [path, size], {});
    }),
};

export const truncateSize = defineCommand({
  name: 'truncate-size',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'size', kind: 'Int64' }],
  ret: 'void',
  shortdesc: 'truncate a file to a particular size',
  longdesc: 'Changes the size of an existing file: shortened, or extended with zero bytes (a hole). The file is not created.',
  examples: ['truncate-size /var/log/big.log 1000'],
  impl: truncateImpl,
});

export const truncate = defineCommand({
  name: 'truncate',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'truncate a file to zero size',
  longdesc: 'Empties an existing file (truncate-size 0). The file is not created.',
  examples: ['truncate /var/log/messages'],
  impl: {
    wasm: async (ctx, [path]) => truncateImpl.wasm(ctx, [path, 0]),
    appliance: async (ctx, [path]) => truncateImpl.appliance(ctx, [path, 0]),
  },
});

const ZERO_CHUNK = 1 << 20;

export const fallocate64 = defineCommand({
  name: 'fallocate64',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'len', kind: 'Int64' }],
  ret: 'void',
  shortdesc: 'preallocate a file in the guest filesystem',
  longdesc: 'Creates (or empties) the file and allocates len bytes of zeroes in it: blocks are allocated, not left as a hole.',
  examples: ['fallocate64 /swapfile 1073741824'],
  impl: {
    wasm: async (ctx, [path, len]) => {
      if (len < 0) throw new ErrnoError('EINVAL', `${path}: Invalid argument`);
      const b = wasm(ctx);
      await b.rpc('writeFile', path, new Uint8Array(0), false);
      for (let off = 0; off < len; off += ZERO_CHUNK) await b.rpc('writeAt', path, off, new Uint8Array(Math.min(ZERO_CHUNK, len - off)));
    },
    appliance: applianceOp('fallocate64'),
  },
});

/** utimens's special nanosecond values. */
const UTIME_NOW = -1, UTIME_OMIT = -2;

export const utimens = defineCommand({
  name: 'utimens',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'atsecs', kind: 'Int64' }, { name: 'atnsecs', kind: 'Int64' }, { name: 'mtsecs', kind: 'Int64' }, { name: 'mtnsecs', kind: 'Int64' }],
  ret: 'void',
  shortdesc: 'set timestamp of a file with nanosecond precision',
  longdesc: `Sets the access and modification times. A symlink's own times are set (not its target's).
A nanoseconds value of -1 means "now", -2 leaves that time unchanged.`,
  examples: ['utimens /etc/motd 1700000000 0 1700000000 0'],
  impl: {
    wasm: async (ctx, [path, as, ans, ms, mns]) => {
      const b = wasm(ctx);
      const cur = await b.rpc('stat', path, false);
      const nowMs = Date.now();
      const now = { sec: Math.floor(nowMs / 1000), nsec: (nowMs % 1000) * 1e6 };
      const pick = (sec: number, nsec: number, old: { sec: number; nsec: number }) =>
        nsec === UTIME_NOW ? now : nsec === UTIME_OMIT ? old : { sec, nsec };
      for (const n of [ans, mns]) if (n < UTIME_OMIT || n > 999_999_999) throw new ErrnoError('EINVAL', `utimensat: ${path}: Invalid argument`);
      await b.rpc('setTimes', path, pick(as, ans, cur.atime), pick(ms, mns, cur.mtime), false);
    },
    appliance: applianceOp('utimens'),
  },
});

export const lchown = defineCommand({
  name: 'lchown',
  args: [{ name: 'owner', kind: 'Int' }, { name: 'group', kind: 'Int' }, { name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'change file owner and group',
  longdesc: 'Changes the numeric owner and group of the path; a symlink itself is changed, not its target. -1 leaves that id unchanged.',
  examples: ['lchown 1000 1000 /home/user/link'],
  impl: {
    wasm: async (ctx, [owner, group, path]) => wasm(ctx).rpc('chown', path, owner, group, false),
    appliance: applianceOp('lchown'),
  },
});

/** linkname as ln -f sees it: inside it when it is a directory. */
async function linkDestination(ctx: CallContext, target: string, linkname: string): Promise<string> {
  if (await ctx.call('is-dir', [linkname, ], { followsymlinks: true })) {
    const base = target.split('/').filter(Boolean).pop() ?? '';
    return `${linkname.replace(/\/+$/, '')}/${base}`;
  }
  return linkname;
}

export const lnF = defineCommand({
  name: 'ln-f',
  args: [{ name: 'target', kind: 'String' }, { name: 'linkname', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'create a hard link (replacing an existing name)',
  longdesc: 'Like ln, but an existing linkname is removed first.',
  examples: ['ln-f /etc/hosts /etc/hosts.link'],
  impl: {
    any: async (ctx, [target, linkname]) => {
      const dest = await linkDestination(ctx, target, linkname);
      await ctx.call('rm-f', [dest]);
      await ctx.call('ln', [target, dest]);
    },
  },
});

export const lnSf = defineCommand({
  name: 'ln-sf',
  args: [{ name: 'target', kind: 'String' }, { name: 'linkname', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'create a symbolic link (replacing an existing name)',
  longdesc: 'Like ln-s, but an existing linkname (not a directory) is removed first.',
  examples: ['ln-sf /usr/share/zoneinfo/UTC /etc/localtime'],
  impl: {
    any: async (ctx, [target, linkname]) => {
      const dest = (await ctx.call('is-symlink', [linkname])) ? linkname : await linkDestination(ctx, target, linkname);
      await ctx.call('rm-f', [dest]);
      await ctx.call('ln-s', [target, dest]);
    },
  },
});

const FILL_CHUNK = 1 << 20;

/** Writes `len` bytes of a repeated pattern from offset 0, creating the file (0644) but not truncating it. */
async function fillFile(ctx: CallContext, pattern: Uint8Array, len: number, path: string): Promise<void> {
  if (len < 0) throw new ErrnoError('EINVAL', `${len}: length is < 0`);
  if (!(await ctx.call('exists', [path]))) await ctx.call('write', [path, '']);
  const chunkLen = Math.max(pattern.length, Math.floor(FILL_CHUNK / pattern.length) * pattern.length);
  const chunk = new Uint8Array(chunkLen);
  for (let i = 0; i < chunkLen; i++) chunk[i] = pattern[i % pattern.length]!;
  for (let off = 0; off < len; off += chunkLen) {
    await ctx.call('pwrite', [path, chunk.subarray(0, Math.min(chunkLen, len - off)), off]);
  }
}

export const fill = defineCommand({
  name: 'fill',
  args: [{ name: 'c', kind: 'Int' }, { name: 'len', kind: 'Int' }, { name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'fill a file with octets',
  longdesc: 'Writes len bytes of value c (0..255) at the start of the file, creating it if missing.',
  examples: ['fill 0 1048576 /zeroes'],
  impl: {
    any: async (ctx, [c, len, path]) => {
      if (c < 0 || c > 255) throw new ErrnoError('EINVAL', `${c}: byte number must be in range 0..255`);
      await fillFile(ctx, Uint8Array.of(c), len, path);
    },
  },
});

export const fillPattern = defineCommand({
  name: 'fill-pattern',
  args: [{ name: 'pattern', kind: 'String' }, { name: 'len', kind: 'Int' }, { name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'fill a file with a repeating pattern of bytes',
  longdesc: 'Writes len bytes made of the pattern repeated (the last copy cut short) at the start of the file, creating it if missing.',
  examples: ['fill-pattern abcdefgh 1000 /pattern'],
  impl: {
    any: async (ctx, [pattern, len, path]) => {
      if (pattern === '') throw new ErrnoError('EINVAL', 'pattern string must be non-empty');
      await fillFile(ctx, Buffer.from(pattern, 'utf8'), len, path);
    },
  },
});

export const fillDir = defineCommand({
  name: 'fill-dir',
  args: [{ name: 'dir', kind: 'Pathname' }, { name: 'nr', kind: 'Int' }],
  ret: 'void',
  shortdesc: 'fill a directory with empty files',
  longdesc: 'Creates nr empty files in the directory, named 00000000, 00000001, ... (eight digits).',
  examples: ['fill-dir /tmp/many 1000'],
  impl: {
    any: async (ctx, [dir, nr]) => {
      for (let i = 0; i < nr; i++) {
        const name = `${dir.replace(/\/+$/, '')}/${String(i).padStart(8, '0')}`;
        if (!(await ctx.call('exists', [name]))) await ctx.call('write', [name, '']);
      }
    },
  },
});

export const FILE_MAKE_COMMANDS = [
  mkdirMode, mkdtemp, mktemp, mknod, mknodB, mknodC, mkfifo, rename, cpA, cpR, copyAttributes, truncate, truncateSize,
  fallocate64, utimens, lchown, lnF, lnSf, fill, fillPattern, fillDir,
] as const;
