/**
 * Augeas (guestfish's aug-* commands): augeas built to WebAssembly (src/augeas) runs
 * on the host over an in-memory copy of the guest files its lenses cover, copied in
 * at aug-init/aug-load and written back at aug-save through the command table, so it
 * works the same on every backend.
 */
import { ErrnoError } from '../errors/index.js';
import type { Augeas } from '../augeas/augeas.js';
import { expandGlob, type GuestFileAccess } from '../augeas/guest-files.js';
import { appliance, applianceOps, type ApplianceContext } from './appliance-access.js';
import { defineCommand, type CallContext } from './types.js';

interface AugSession {
  aug: Augeas;
  root: string;
  flags: number;
}

const SESSION = 'augeas';
let module: Promise<Augeas> | undefined;

function session(ctx: CallContext): AugSession {
  const s = ctx.handle.sessions.get(SESSION) as AugSession | undefined;
  if (!s) throw new ErrnoError('EINVAL', 'no augeas handle open: call aug-init first');
  return s;
}
const aug = (ctx: CallContext) => session(ctx).aug;

const inRoot = (root: string, p: string) => (root === '/' ? p : root.replace(/\/+$/, '') + p);

/**
 * Appliance: every call is an agent round trip, so each directory is listed once
 * with its entries' types, and is-dir/is-file are answered from those listings.
 */
async function applianceAccess(ctx: ApplianceContext, root: string): Promise<GuestFileAccess> {
  const ops = await applianceOps();
  const listings = new Map<string, Promise<Map<string, 'd' | 'f' | 'o'>>>();
  const list = (dir: string) => {
    let l = listings.get(dir);
    if (!l) listings.set(dir, (l = ops.lsTypes(appliance(ctx), inRoot(root, dir))));
    return l;
  };
  const typeOf = async (p: string) => {
    const slash = p.lastIndexOf('/');
    if (slash < 0 || p === '/') return 'd';
    return (await list(p.slice(0, slash) || '/')).get(p.slice(slash + 1));
  };
  return {
    ls: async (dir) => [...(await list(dir)).keys()],
    isDir: async (p) => (await typeOf(p)) === 'd',
    isFile: async (p) => (await typeOf(p)) === 'f',
  };
}

/** In process every call is cheap: the table's ls, is-dir and is-file serve as they are. */
function tableAccess(ctx: CallContext, root: string): GuestFileAccess {
  return {
    ls: async (dir: string) => (await ctx.call('ls', [inRoot(root, dir)])) as string[],
    isDir: async (p: string) => (await ctx.call('is-dir', [inRoot(root, p)], { followsymlinks: true })) as boolean,
    isFile: async (p: string) => (await ctx.call('is-file', [inRoot(root, p)], { followsymlinks: true })) as boolean,
  };
}

/** Copies every guest file the lenses include into augeas's filesystem. */
async function importGuestFiles(ctx: CallContext, s: AugSession, access: GuestFileAccess): Promise<void> {
  const patterns = s.aug.match('/augeas/load/*/incl').map((p) => s.aug.get(p)).filter((p): p is string => !!p && p.startsWith('/'));
  const files = new Set<string>();
  for (const pattern of patterns) for (const f of await expandGlob(pattern, access)) files.add(f);
  for (const f of files) {
    const bytes = (await ctx.call('read-file', [inRoot(s.root, f)])) as Uint8Array;
    s.aug.putFile(inRoot(s.root, f), bytes);
  }
  s.aug.markClean();
}

/** aug-init on either backend, given how that backend lists the guest's files. */
async function augStart(ctx: CallContext, root: string, flags: number, access: GuestFileAccess): Promise<void> {
  // Loaded on first use: most runs never start augeas.
  const { loadAugeas, AUG_NO_LOAD } = await import('../augeas/augeas.js');
  const a = await (module ??= loadAugeas());
  a.init(root, flags | AUG_NO_LOAD);
  const s: AugSession = { aug: a, root, flags };
  ctx.handle.sessions.set(SESSION, s);
  await importGuestFiles(ctx, s, access);
  if (!(flags & AUG_NO_LOAD)) a.load();
}

export const augInit = defineCommand({
  name: 'aug-init',
  args: [{ name: 'root', kind: 'Pathname' }, { name: 'flags', kind: 'Int' }],
  ret: 'void',
  shortdesc: 'create a new Augeas handle',
  longdesc: `Starts augeas on the guest's files below root (usually /). flags as aug_init: 1 save backups
(.augsave), 2 save to .augnew, 4 type-check lenses, 8 no standard lens path, 16 save nothing,
32 do not load files, 64 do not autoload modules, 128 enable spans. The files the lenses cover are
copied from the guest; aug-save writes the changed ones back.`,
  examples: ['aug-init / 0', 'aug-init / 32'],
  impl: {
    wasm: (ctx, [root, flags]) => augStart(ctx, root, flags, tableAccess(ctx, root)),
    appliance: async (ctx, [root, flags]) => augStart(ctx, root, flags, await applianceAccess(ctx, root)),
  },
});

export const augClose = defineCommand({
  name: 'aug-close',
  args: [],
  ret: 'void',
  shortdesc: 'close the current Augeas handle',
  longdesc: 'Closes augeas, discarding unsaved changes.',
  examples: ['aug-close'],
  impl: { any: async (ctx) => { aug(ctx).close(); ctx.handle.sessions.delete(SESSION); } },
});

export const augGet = defineCommand({
  name: 'aug-get',
  args: [{ name: 'augpath', kind: 'String' }],
  ret: 'string',
  shortdesc: 'look up the value of an Augeas path',
  longdesc: 'Returns the value at the path, which must match exactly one node.',
  examples: ['aug-get /files/etc/hostname/hostname'],
  impl: { any: async (ctx, [p]) => aug(ctx).get(p) ?? '' },
});

export const augSet = defineCommand({
  name: 'aug-set',
  args: [{ name: 'augpath', kind: 'String' }, { name: 'val', kind: 'String' }],
  ret: 'void',
  shortdesc: 'set Augeas path to value',
  longdesc: 'Sets the value of the node at the path, creating it if needed.',
  examples: ['aug-set /files/etc/hosts/1/canonical myhost'],
  impl: { any: async (ctx, [p, v]) => aug(ctx).set(p, v) },
});

export const augSetm = defineCommand({
  name: 'aug-setm',
  args: [{ name: 'base', kind: 'String' }, { name: 'sub', kind: 'OptString' }, { name: 'val', kind: 'String' }],
  ret: 'int',
  shortdesc: 'set multiple Augeas nodes',
  longdesc: 'Sets the value of every node matching sub below each node matching base; returns how many were changed.',
  examples: ['aug-setm /files/etc/hosts/* alias[1] localhost'],
  impl: { any: async (ctx, [b, s, v]) => aug(ctx).setm(b, s, v) },
});

export const augRm = defineCommand({
  name: 'aug-rm',
  args: [{ name: 'augpath', kind: 'String' }],
  ret: 'int',
  shortdesc: 'remove an Augeas path',
  longdesc: 'Removes every node matching the path and their children; returns how many were removed.',
  examples: ['aug-rm /files/etc/hosts/3'],
  impl: { any: async (ctx, [p]) => aug(ctx).rm(p) },
});

export const augMatch = defineCommand({
  name: 'aug-match',
  args: [{ name: 'augpath', kind: 'String' }],
  ret: 'strings',
  shortdesc: 'return Augeas nodes which match augpath',
  longdesc: 'Returns the paths of every node matching the path expression.',
  examples: ['aug-match /files/etc/passwd/*'],
  impl: { any: async (ctx, [p]) => aug(ctx).match(p) },
});

export const augLs = defineCommand({
  name: 'aug-ls',
  args: [{ name: 'augpath', kind: 'String' }],
  ret: 'strings',
  shortdesc: 'list Augeas nodes under augpath',
  longdesc: 'Returns the children of the node, sorted (aug-match PATH/* then sorted).',
  examples: ['aug-ls /files/etc'],
  impl: { any: async (ctx, [p]) => aug(ctx).ls(p) },
});

export const augInsert = defineCommand({
  name: 'aug-insert',
  args: [{ name: 'augpath', kind: 'String' }, { name: 'label', kind: 'String' }, { name: 'before', kind: 'Bool' }],
  ret: 'void',
  shortdesc: 'insert a sibling Augeas node',
  longdesc: 'Inserts a new node labelled label before (true) or after (false) the node at the path.',
  examples: ['aug-insert /files/etc/hosts/1 01 false'],
  impl: { any: async (ctx, [p, l, b]) => aug(ctx).insert(p, l, b) },
});

export const augMv = defineCommand({
  name: 'aug-mv',
  args: [{ name: 'src', kind: 'String' }, { name: 'dest', kind: 'String' }],
  ret: 'void',
  shortdesc: 'move Augeas node',
  longdesc: 'Moves the node at src to dest (which must not be below src).',
  examples: ['aug-mv /files/etc/hosts/2 /files/etc/hosts/9'],
  impl: { any: async (ctx, [s, d]) => aug(ctx).mv(s, d) },
});

export const augLabel = defineCommand({
  name: 'aug-label',
  args: [{ name: 'augpath', kind: 'String' }],
  ret: 'string',
  shortdesc: 'return the label from an Augeas path expression',
  longdesc: 'Returns the label of the single node matching the path.',
  examples: ['aug-label /files/etc/hosts/1/*[1]'],
  impl: { any: async (ctx, [p]) => aug(ctx).label(p) },
});

export const augClear = defineCommand({
  name: 'aug-clear',
  args: [{ name: 'augpath', kind: 'String' }],
  ret: 'void',
  shortdesc: 'clear Augeas path',
  longdesc: 'Sets the value of the node to NULL (it keeps its children).',
  examples: ['aug-clear /files/etc/hosts/1/alias'],
  impl: { any: async (ctx, [p]) => aug(ctx).clear(p) },
});

export const augDefvar = defineCommand({
  name: 'aug-defvar',
  args: [{ name: 'name', kind: 'String' }, { name: 'expr', kind: 'OptString' }],
  ret: 'int',
  shortdesc: 'define an Augeas variable',
  longdesc: 'Defines $name as the nodes matching expr (NULL removes it); returns how many nodes it holds.',
  examples: ['aug-defvar hosts /files/etc/hosts/*'],
  impl: { any: async (ctx, [n, e]) => aug(ctx).defvar(n, e) },
});

export const augDefnode = defineCommand({
  name: 'aug-defnode',
  args: [{ name: 'name', kind: 'String' }, { name: 'expr', kind: 'String' }, { name: 'val', kind: 'String' }],
  ret: 'struct',
  fields: ['i', 'b'],
  shortdesc: 'define an Augeas node',
  longdesc: 'Defines $name as the nodes matching expr, creating one with value val when none match. Returns the count (i) and whether it was created (b).',
  examples: ['aug-defnode new /files/etc/hosts/01 192.0.2.1'],
  impl: {
    any: async (ctx, [n, e, v]) => {
      const r = aug(ctx).defnode(n, e, v);
      return { i: r.count, b: r.created ? 1 : 0 };
    },
  },
});

async function reload(ctx: CallContext, accessFor: (root: string) => GuestFileAccess | Promise<GuestFileAccess>): Promise<void> {
  const s = session(ctx);
  await importGuestFiles(ctx, s, await accessFor(s.root));
  s.aug.load();
}

export const augLoad = defineCommand({
  name: 'aug-load',
  args: [],
  ret: 'void',
  shortdesc: 'load files into the tree',
  longdesc: "Re-reads the guest's files (copying them from the guest again) and loads them into the tree.",
  examples: ['aug-load'],
  impl: {
    wasm: async (ctx) => reload(ctx, (root) => tableAccess(ctx, root)),
    appliance: async (ctx) => reload(ctx, (root) => applianceAccess(ctx, root)),
  },
});

export const augSave = defineCommand({
  name: 'aug-save',
  args: [],
  ret: 'void',
  shortdesc: 'write all pending Augeas changes to disk',
  longdesc: 'Saves the changed files and writes them (and any .augnew/.augsave files) back into the guest.',
  examples: ['aug-save'],
  impl: {
    any: async (ctx) => {
      const s = session(ctx);
      s.aug.save();
      for (const f of s.aug.changedFiles()) {
        if (f.change === 'removed') await ctx.call('rm-f', [f.path]);
        else await ctx.call('write', [f.path, s.aug.getFile(f.path)]);
      }
      s.aug.markClean();
    },
  },
});

export const augTransform = defineCommand({
  name: 'aug-transform',
  args: [{ name: 'lens', kind: 'String' }, { name: 'file', kind: 'String' }],
  optargs: [{ name: 'remove', kind: 'Bool' }],
  ret: 'void',
  shortdesc: 'add/remove an Augeas lens transformation',
  longdesc: 'Adds (or with remove:true removes) a transform of file by lens; call aug-load afterwards.',
  examples: ['aug-transform Hosts.lns /etc/hosts.custom'],
  impl: { any: async (ctx, [lens, file], o) => aug(ctx).transform(lens, file, !!o.remove) },
});
