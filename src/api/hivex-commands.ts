/**
 * Windows registry hives (guestfish's hivex-* commands). The hive file is read from
 * the guest with read-file and written back with upload-style writes on commit, so
 * these work the same on every backend; the format is src/hive (TypeScript).
 */
import { ErrnoError } from '../errors/index.js';
import type { Hive } from '../hive/hive.js';
import { defineCommand, type CallContext } from './types.js';

interface HiveSession {
  hive: Hive;
  path: string;
  write: boolean;
}

const SESSION = 'hivex';

function session(ctx: CallContext): HiveSession {
  const s = ctx.handle.sessions.get(SESSION) as HiveSession | undefined;
  if (!s) throw new ErrnoError('EINVAL', 'no hive is open: call hivex-open first');
  return s;
}

const hive = (ctx: CallContext) => session(ctx).hive;
/** hivex returns 0 for "no such node/value". */
const orZero = (h: number | undefined) => h ?? 0;

export const hivexOpen = defineCommand({
  name: 'hivex-open',
  args: [{ name: 'filename', kind: 'Pathname' }],
  optargs: [{ name: 'verbose', kind: 'Bool' }, { name: 'debug', kind: 'Bool' }, { name: 'write', kind: 'Bool' }, { name: 'unsafe', kind: 'Bool' }],
  ret: 'void',
  shortdesc: 'open a Windows Registry hive file',
  longdesc: `Opens the hive file in the guest (e.g. /Windows/System32/config/SOFTWARE). Only one hive is
open at a time per handle. With write:true, changes can be saved with hivex-commit. A hive whose
two sequence numbers differ (not cleanly written) opens read-only.`,
  examples: ['hivex-open /Windows/System32/config/SOFTWARE', 'hivex-open /Windows/System32/config/SYSTEM write:true'],
  impl: {
    any: async (ctx, [path], o) => {
      const bytes = (await ctx.call('read-file', [path])) as Uint8Array;
      const { Hive } = await import('../hive/hive.js'); // loaded on first use
      const h = Hive.open(bytes, { write: !!o.write, name: path });
      ctx.handle.sessions.set(SESSION, { hive: h, path, write: !!o.write } satisfies HiveSession);
    },
  },
});

export const hivexClose = defineCommand({
  name: 'hivex-close',
  args: [],
  ret: 'void',
  shortdesc: 'close the current hivex handle',
  longdesc: 'Closes the open hive, discarding uncommitted changes.',
  examples: ['hivex-close'],
  impl: { any: async (ctx) => { session(ctx); ctx.handle.sessions.delete(SESSION); } },
});

export const hivexRoot = defineCommand({
  name: 'hivex-root',
  args: [],
  ret: 'int64',
  shortdesc: 'return the root node of the hive',
  longdesc: 'Returns the handle of the root key.',
  examples: ['hivex-root'],
  impl: { any: async (ctx) => hive(ctx).root() },
});

export const hivexNodeName = defineCommand({
  name: 'hivex-node-name',
  args: [{ name: 'nodeh', kind: 'Int64' }],
  ret: 'string',
  shortdesc: 'return the name of the node',
  longdesc: 'Returns the name of the key.',
  examples: ['hivex-node-name 4128'],
  impl: { any: async (ctx, [n]) => hive(ctx).nodeName(n) },
});

export const hivexNodeChildren = defineCommand({
  name: 'hivex-node-children',
  args: [{ name: 'nodeh', kind: 'Int64' }],
  ret: 'structs',
  fields: ['hivex_node_h'],
  shortdesc: 'return list of nodes which are subkeys of node',
  longdesc: 'Returns the handles of the subkeys of the key.',
  examples: ['hivex-node-children 4128'],
  impl: { any: async (ctx, [n]) => hive(ctx).nodeChildren(n).map((c) => ({ hivex_node_h: c })) },
});

export const hivexNodeGetChild = defineCommand({
  name: 'hivex-node-get-child',
  args: [{ name: 'nodeh', kind: 'Int64' }, { name: 'name', kind: 'String' }],
  ret: 'int64',
  shortdesc: 'return the named child of node',
  longdesc: 'Returns the subkey with this name (compared case-insensitively, as Windows does), or 0 when there is none.',
  examples: ['hivex-node-get-child 4128 Microsoft'],
  impl: { any: async (ctx, [n, name]) => orZero(hive(ctx).nodeGetChild(n, name)) },
});

export const hivexNodeParent = defineCommand({
  name: 'hivex-node-parent',
  args: [{ name: 'nodeh', kind: 'Int64' }],
  ret: 'int64',
  shortdesc: 'return the parent of node',
  longdesc: 'Returns the parent key. The root has no parent: that is an error.',
  examples: ['hivex-node-parent 8240'],
  impl: { any: async (ctx, [n]) => hive(ctx).nodeParent(n) },
});

export const hivexNodeValues = defineCommand({
  name: 'hivex-node-values',
  args: [{ name: 'nodeh', kind: 'Int64' }],
  ret: 'structs',
  fields: ['hivex_value_h'],
  shortdesc: 'return list of values attached to node',
  longdesc: 'Returns the handles of the values of the key.',
  examples: ['hivex-node-values 4128'],
  impl: { any: async (ctx, [n]) => hive(ctx).nodeValues(n).map((v) => ({ hivex_value_h: v })) },
});

export const hivexNodeGetValue = defineCommand({
  name: 'hivex-node-get-value',
  args: [{ name: 'nodeh', kind: 'Int64' }, { name: 'key', kind: 'String' }],
  ret: 'int64',
  shortdesc: 'return the named value',
  longdesc: 'Returns the value with this name (case-insensitive; "" is the default value), or 0 when there is none.',
  examples: ['hivex-node-get-value 8240 ProductName'],
  impl: { any: async (ctx, [n, key]) => orZero(hive(ctx).nodeGetValue(n, key)) },
});

export const hivexValueKey = defineCommand({
  name: 'hivex-value-key',
  args: [{ name: 'valueh', kind: 'Int64' }],
  ret: 'string',
  shortdesc: 'return the key field from the (key, datatype, data) tuple',
  longdesc: 'Returns the name of the value ("" for the default value).',
  examples: ['hivex-value-key 9000'],
  impl: { any: async (ctx, [v]) => hive(ctx).valueKey(v) },
});

export const hivexValueType = defineCommand({
  name: 'hivex-value-type',
  args: [{ name: 'valueh', kind: 'Int64' }],
  ret: 'int64',
  shortdesc: 'return the data type from the (key, datatype, data) tuple',
  longdesc: 'Returns the value type: 1 REG_SZ, 2 REG_EXPAND_SZ, 3 REG_BINARY, 4 REG_DWORD, 7 REG_MULTI_SZ, 11 REG_QWORD, ...',
  examples: ['hivex-value-type 9000'],
  impl: { any: async (ctx, [v]) => hive(ctx).valueType(v) },
});

export const hivexValueString = defineCommand({
  name: 'hivex-value-string',
  args: [{ name: 'valueh', kind: 'Int64' }],
  ret: 'string',
  shortdesc: 'return the data field as a UTF-8 string',
  longdesc: 'Returns a REG_SZ, REG_EXPAND_SZ or REG_LINK value decoded from UTF-16 to UTF-8, without its terminating NUL.',
  examples: ['hivex-value-string 9000'],
  impl: { any: async (ctx, [v]) => hive(ctx).valueString(v) },
});

export const hivexValueUtf8 = defineCommand({
  name: 'hivex-value-utf8',
  deprecatedBy: 'hivex-value-string',
  args: [{ name: 'valueh', kind: 'Int64' }],
  ret: 'string',
  shortdesc: 'return the data field as a UTF-8 string',
  longdesc: 'The same as hivex-value-string (its older name).',
  examples: ['hivex-value-utf8 9000'],
  impl: { any: async (ctx, [v]) => hive(ctx).valueUtf8(v) },
});

export const hivexValueValue = defineCommand({
  name: 'hivex-value-value',
  args: [{ name: 'valueh', kind: 'Int64' }],
  ret: 'buffer',
  shortdesc: 'return the data field from the (key, datatype, data) tuple',
  longdesc: 'Returns the raw bytes of the value.',
  examples: ['hivex-value-value 9000'],
  impl: { any: async (ctx, [v]) => hive(ctx).valueValue(v).bytes },
});

export const hivexNodeAddChild = defineCommand({
  name: 'hivex-node-add-child',
  args: [{ name: 'parent', kind: 'Int64' }, { name: 'name', kind: 'String' }],
  ret: 'int64',
  shortdesc: 'add a child node',
  longdesc: 'Adds a subkey and returns its handle. Needs the hive opened with write:true.',
  examples: ['hivex-node-add-child 4128 NewKey'],
  impl: { any: async (ctx, [p, name]) => hive(ctx).nodeAddChild(p, name) },
});

export const hivexNodeDeleteChild = defineCommand({
  name: 'hivex-node-delete-child',
  args: [{ name: 'nodeh', kind: 'Int64' }],
  ret: 'void',
  shortdesc: 'delete a node (recursively)',
  longdesc: 'Deletes the key, its subkeys and their values.',
  examples: ['hivex-node-delete-child 8240'],
  impl: { any: async (ctx, [n]) => { hive(ctx).nodeDeleteChild(n); } },
});

export const hivexNodeSetValue = defineCommand({
  name: 'hivex-node-set-value',
  args: [{ name: 'nodeh', kind: 'Int64' }, { name: 'key', kind: 'String' }, { name: 't', kind: 'Int64' }, { name: 'val', kind: 'BufferIn' }],
  ret: 'void',
  shortdesc: 'set or replace a single value in a node',
  longdesc: 'Sets the value KEY of the key to type T and the raw bytes VAL (replacing a value of the same name).',
  examples: ['hivex-node-set-value 8240 Test 3 "\\x01\\x02"'],
  impl: {
    any: async (ctx, [n, key, t, val]) => {
      const bytes = typeof val === 'string' ? Buffer.from(val, 'latin1') : val;
      hive(ctx).nodeSetValue(n, { key, type: t, value: new Uint8Array(bytes) });
    },
  },
});

export const hivexCommit = defineCommand({
  name: 'hivex-commit',
  args: [{ name: 'filename', kind: 'OptString' }],
  ret: 'void',
  shortdesc: 'commit (write) changes back to the hive',
  longdesc: `Writes the changed hive back to the file it was opened from (filename NULL), or to another
file in the guest. The hive stays open.`,
  examples: ['hivex-commit NULL', 'hivex-commit /Windows/System32/config/SOFTWARE.new'],
  impl: {
    any: async (ctx, [filename]) => {
      const s = session(ctx);
      if (!s.write) throw new ErrnoError('EROFS', `${s.path}: the hive was opened without write:true`);
      await ctx.call('write', [filename ?? s.path, s.hive.commit()]);
    },
  },
});
