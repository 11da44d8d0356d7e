/**
 * libguestfs's older spellings of things guestkit does already: stat/lstat/lstatlist
 * (statns without nanoseconds), mke2journal*, mke2fs-J*, mkfs-b, ntfsresize-size,
 * write-file, tgz/txz-in/out, plus findfs-label/-uuid and echo-daemon. Each is built on
 * the command it stands for, so it runs wherever that one does.
 */
import { ErrnoError } from '../errors/index.js';
import { defineCommand, type CallContext } from './types.js';

const STAT_FIELDS = ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blksize', 'blocks', 'atime', 'mtime', 'ctime'] as const;

/** A statns struct as the older stat struct: no st_ prefix, whole seconds. */
function oldStat(s: Record<string, number>): Record<string, number> {
  return Object.fromEntries(STAT_FIELDS.map((f) => [f, f.endsWith('time') ? s[`st_${f}_sec`]! : s[`st_${f}`]!]));
}

export const stat = defineCommand({
  name: 'stat',
  deprecatedBy: 'statns',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'struct',
  fields: STAT_FIELDS,
  shortdesc: 'get file information',
  longdesc: 'Returns the stat(2) of the file, following symlinks; times in whole seconds.',
  examples: ['stat /etc/passwd'],
  impl: { any: async (ctx, [path]) => oldStat((await ctx.call('statns', [path])) as Record<string, number>) },
});

export const lstat = defineCommand({
  name: 'lstat',
  deprecatedBy: 'lstatns',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'struct',
  fields: STAT_FIELDS,
  shortdesc: 'get file information for a symbolic link',
  longdesc: 'Like stat, but a symlink describes itself.',
  examples: ['lstat /bin'],
  impl: { any: async (ctx, [path]) => oldStat((await ctx.call('lstatns', [path])) as Record<string, number>) },
});

export const lstatlist = defineCommand({
  name: 'lstatlist',
  deprecatedBy: 'lstatnslist',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'names', kind: 'FilenameList' }],
  ret: 'structs',
  fields: STAT_FIELDS,
  shortdesc: 'lstat on multiple files',
  longdesc: `lstat on each of the names, entries of the directory path, in order (a failed one has ino -1).`,
  examples: ['lstatlist /etc "passwd group"'],
  impl: {
    any: async (ctx, [path, names]) => ((await ctx.call('lstatnslist', [path, names])) as Record<string, number>[]).map(oldStat),
  },
});

/** The device whose filesystem has this LABEL or UUID, as findfs(8) finds it. */
async function findfs(ctx: CallContext, tag: 'LABEL' | 'UUID', value: string): Promise<string> {
  const fss = (await ctx.call('list-filesystems', [])) as Record<string, string>;
  for (const dev of Object.keys(fss)) {
    const v = (await ctx.call(tag === 'LABEL' ? 'vfs-label' : 'vfs-uuid', [dev]).catch(() => '')) as string;
    if (v !== '' && v === value) return dev;
  }
  throw new ErrnoError('ENOENT', `findfs: unable to resolve '${tag}=${value}'`);
}

export const findfsLabel = defineCommand({
  name: 'findfs-label',
  args: [{ name: 'label', kind: 'String' }],
  ret: 'string',
  shortdesc: 'find a filesystem by label',
  longdesc: 'Returns the device holding the filesystem labelled label (the first, in list-filesystems order); an error when none is.',
  examples: ['findfs-label root'],
  impl: { any: (ctx, [label]) => findfs(ctx, 'LABEL', label) },
});

export const findfsUuid = defineCommand({
  name: 'findfs-uuid',
  args: [{ name: 'uuid', kind: 'String' }],
  ret: 'string',
  shortdesc: 'find a filesystem by UUID',
  longdesc: 'Returns the device holding the filesystem with this UUID; an error when none has it.',
  examples: ['findfs-uuid 01234567-89ab-cdef-0123-456789abcdef'],
  impl: { any: (ctx, [uuid]) => findfs(ctx, 'UUID', uuid) },
});

export const echoDaemon = defineCommand({
  name: 'echo-daemon',
  args: [{ name: 'words', kind: 'StringList' }],
  ret: 'string',
  shortdesc: 'echo arguments back to the client',
  longdesc: 'Returns the words joined by single spaces (libguestfs uses it to test the daemon round trip).',
  examples: ['echo-daemon "hello world"'],
  impl: { any: async (_ctx, [words]) => words.join(' ') },
});

export const writeFile = defineCommand({
  name: 'write-file',
  deprecatedBy: 'write',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'content', kind: 'String' }, { name: 'size', kind: 'Int' }],
  ret: 'void',
  shortdesc: 'create a file',
  longdesc: `Writes the first size bytes of content to the file (all of it when size is 0), creating or
truncating it.`,
  examples: ['write-file /etc/hostname "guest\\n" 0'],
  impl: {
    any: async (ctx, [path, content, size]) => {
      const b = Buffer.from(content, 'utf8');
      if (size < 0 || size > b.length) throw new ErrnoError('EINVAL', `size: ${size}: outside the content's ${b.length} bytes`);
      await ctx.call('write', [path, size === 0 ? b : b.subarray(0, size)]);
    },
  },
});

/** A journal device or a filesystem using one, through mke2fs's optional arguments. */
function mke2fsVia<N extends string>(name: N, args: readonly { name: string; kind: 'String' | 'Int' | 'Device' }[], shortdesc: string,
  longdesc: string, example: string, opts: (a: any[]) => [string, Record<string, unknown>]) {
  return defineCommand({
    name,
    args,
    ret: 'void',
    shortdesc,
    longdesc: `${longdesc} Needs the appliance backend.`,
    examples: [example],
    deprecatedBy: 'mke2fs',
    impl: { any: async (ctx, a) => { const [dev, o] = opts(a); await ctx.call('mke2fs', [dev], o); } },
  });
}

const BLOCKSIZE = { name: 'blocksize', kind: 'Int' } as const;
const DEVICE = { name: 'device', kind: 'Device' } as const;

export const mke2journal = mke2fsVia('mke2journal', [BLOCKSIZE, DEVICE], 'make ext2/3/4 external journal',
  'Makes an external ext journal on the device (mke2fs -O journal_dev).', 'mke2journal 4096 /dev/sda1',
  ([bs, dev]) => [dev, { blocksize: bs, journaldev: true }]);
export const mke2journalL = mke2fsVia('mke2journal-L', [BLOCKSIZE, { name: 'label', kind: 'String' }, DEVICE],
  'make ext2/3/4 external journal with label', 'Makes an external ext journal with a label.', 'mke2journal-L 4096 journal /dev/sda1',
  ([bs, label, dev]) => [dev, { blocksize: bs, journaldev: true, label }]);
export const mke2journalU = mke2fsVia('mke2journal-U', [BLOCKSIZE, { name: 'uuid', kind: 'String' }, DEVICE],
  'make ext2/3/4 external journal with UUID', 'Makes an external ext journal with a UUID.',
  'mke2journal-U 4096 01234567-89ab-cdef-0123-456789abcdef /dev/sda1', ([bs, uuid, dev]) => [dev, { blocksize: bs, journaldev: true, uuid }]);
export const mke2fsJ = mke2fsVia('mke2fs-J', [{ name: 'fstype', kind: 'String' }, BLOCKSIZE, DEVICE, { name: 'journal', kind: 'Device' }],
  'make ext2/3/4 filesystem with external journal', 'Makes an ext filesystem whose journal is the external journal device.',
  'mke2fs-J ext4 4096 /dev/sda2 /dev/sda1', ([t, bs, dev, j]) => [dev, { fstype: t, blocksize: bs, journaldevice: j }]);
export const mke2fsJL = mke2fsVia('mke2fs-JL', [{ name: 'fstype', kind: 'String' }, BLOCKSIZE, DEVICE, { name: 'label', kind: 'String' }],
  'make ext2/3/4 filesystem with external journal', 'Makes an ext filesystem whose journal is the external journal labelled label.',
  'mke2fs-JL ext4 4096 /dev/sda2 journal', ([t, bs, dev, label]) => [dev, { fstype: t, blocksize: bs, journaldevice: `LABEL=${label}` }]);
export const mke2fsJU = mke2fsVia('mke2fs-JU', [{ name: 'fstype', kind: 'String' }, BLOCKSIZE, DEVICE, { name: 'uuid', kind: 'String' }],
  'make ext2/3/4 filesystem with external journal', 'Makes an ext filesystem whose journal is the external journal with this UUID.',
  'mke2fs-JU ext4 4096 /dev/sda2 01234567-89ab-cdef-0123-456789abcdef', ([t, bs, dev, uuid]) => [dev, { fstype: t, blocksize: bs, journaldevice: `UUID=${uuid}` }]);

export const mkfsB = defineCommand({
  name: 'mkfs-b',
  deprecatedBy: 'mkfs',
  args: [{ name: 'fstype', kind: 'String' }, BLOCKSIZE, DEVICE],
  ret: 'void',
  shortdesc: 'make a filesystem with block size',
  longdesc: 'mkfs with a block size, as mkfs blocksize:N does. Needs the appliance backend.',
  examples: ['mkfs-b ext4 4096 /dev/sda1'],
  impl: { any: async (ctx, [t, bs, dev]) => { await ctx.call('mkfs', [t, dev], { blocksize: bs }); } },
});

export const ntfsresizeSize = defineCommand({
  name: 'ntfsresize-size',
  deprecatedBy: 'ntfsresize',
  args: [DEVICE, { name: 'size', kind: 'Int64' }],
  ret: 'void',
  shortdesc: 'resize an NTFS filesystem (with size)',
  longdesc: 'ntfsresize to size bytes, as ntfsresize size:N does. Needs the appliance backend.',
  examples: ['ntfsresize-size /dev/sda1 1073741824'],
  impl: { any: async (ctx, [dev, size]) => { await ctx.call('ntfsresize', [dev], { size }); } },
});

function tarVia<N extends string>(name: N, dir: 'in' | 'out', compress: 'gzip' | 'xz') {
  const ext = compress === 'gzip' ? 'tgz' : 'txz';
  return defineCommand({
    name,
    args: dir === 'in'
      ? [{ name: 'tarball', kind: 'FileIn' }, { name: 'directory', kind: 'Pathname' }] as const
      : [{ name: 'directory', kind: 'String' }, { name: 'tarball', kind: 'FileOut' }] as const,
    ret: 'void',
    shortdesc: dir === 'in' ? `unpack compressed tarball to directory` : `pack directory into compressed tarball`,
    longdesc: `tar-${dir} with compress:${compress}.`,
    examples: [dir === 'in' ? `${name} data.${ext} /srv` : `${name} /etc etc.${ext}`],
    deprecatedBy: `tar-${dir}`,
    impl: { any: async (ctx, args) => { await ctx.call(`tar-${dir}`, args, { compress }); } },
  });
}

export const tgzIn = tarVia('tgz-in', 'in', 'gzip');
export const tgzOut = tarVia('tgz-out', 'out', 'gzip');
export const txzIn = tarVia('txz-in', 'in', 'xz');
export const txzOut = tarVia('txz-out', 'out', 'xz');


/** The first application struct: applications2 without its arch and spare fields, app2_ → app_. */
const APPLICATION_FIELDS = [
  'app_name', 'app_display_name', 'app_epoch', 'app_version', 'app_release', 'app_install_path', 'app_trans_path',
  'app_publisher', 'app_url', 'app_source_package', 'app_summary', 'app_description',
] as const;

export const inspectListApplications = defineCommand({
  name: 'inspect-list-applications',
  deprecatedBy: 'inspect-list-applications2',
  args: [{ name: 'root', kind: 'Device' }],
  ret: 'structs',
  fields: APPLICATION_FIELDS,
  shortdesc: 'get list of applications installed in the operating system',
  longdesc: `The applications of inspect-list-applications2 in libguestfs's first struct (no app2_arch).`,
  examples: ['inspect-list-applications /dev/sda2'],
  impl: {
    any: async (ctx, [root]) => ((await ctx.call('inspect-list-applications2', [root])) as Record<string, string | number>[])
      .map((a) => Object.fromEntries(APPLICATION_FIELDS.map((f) => [f, a[f.replace(/^app_/, 'app2_')]!]))),
  },
});

export const COMPAT_COMMANDS = [
  stat, lstat, lstatlist, findfsLabel, findfsUuid, echoDaemon, writeFile, mke2journal, mke2journalL, mke2journalU,
  mke2fsJ, mke2fsJL, mke2fsJU, mkfsB, ntfsresizeSize, tgzIn, tgzOut, txzIn, txzOut, inspectListApplications,
] as const;
