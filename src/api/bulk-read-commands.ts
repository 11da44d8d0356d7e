/**
 * Bulk listing: a directory's entries, and the lstat, symlink target and extended
 * attributes of many names in one directory, each in one request (libguestfs's readdir,
 * lstatnslist, readlinklist, lxattrlist, lgetxattrs). Tree walks (diff) use these so a
 * walk costs a few requests per directory, whatever the number of files.
 */
import type { StatResult } from '../fs/vfs.js';
import { appliance, stepOf } from './appliance-access.js';
import { lstatns, statnsStruct } from './read-commands.js';
import { defineCommand, type ApplianceImpl } from './types.js';
import { wasm } from './wasm-access.js';
import { unpackStatRows } from '../backend/wasm/packed-listing.js';
import { wasmXattrList, wasmXattrs, wasmXattrStructs } from './xattr-read.js';

const STATNS_FIELDS = lstatns.fields!;

/** What lstatnslist returns for a name whose lstat failed: every field 0 but st_ino -1. */
function failedStat(): Record<string, number> {
  const s: Record<string, number> = Object.fromEntries(STATNS_FIELDS.map((f) => [f, 0]));
  s.st_ino = -1;
  return s;
}

type BulkOps = typeof import('../backend/appliance/ops-bulk.js');

/** An appliance implementation from ops-bulk.ts (loaded on first use, like ops.ts). */
function applianceBulk(name: keyof BulkOps): ApplianceImpl {
  const impl: ApplianceImpl = async (ctx, args) => {
    const op = (await import('../backend/appliance/ops-bulk.js'))[name] as (b: unknown, ...a: unknown[]) => Promise<unknown>;
    return op(appliance(ctx), ...args);
  };
  impl.step = stepOf(name);
  return impl;
}

export const readdir = defineCommand({
  name: 'readdir',
  args: [{ name: 'dir', kind: 'Pathname' }],
  ret: 'structs',
  fields: ['ino', 'ftyp', 'name'],
  shortdesc: 'read directories entries',
  longdesc: `Returns every entry of the directory, "." and ".." included, unsorted, each with its inode
number and a type letter: b block device, c char device, d directory, f FIFO, l symlink, r regular
file, s socket, u unknown, ? anything else. One request for the whole directory.`,
  examples: ['readdir /etc'],
  impl: { appliance: applianceBulk('readdir'), wasm: async (ctx, [dir]) => wasm(ctx).rpc('direntList', dir) },
});

export const lstatnslist = defineCommand({
  name: 'lstatnslist',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'names', kind: 'FilenameList' }],
  ret: 'structs',
  fields: STATNS_FIELDS,
  shortdesc: 'lstat on multiple files',
  longdesc: `Runs lstatns on each of the names, which are entries of the directory path, in one request,
and returns the results in the same order. A name whose lstat fails gets st_ino -1 (and zeroes).`,
  examples: ['lstatnslist /etc "hostname passwd"'],
  impl: {
    appliance: applianceBulk('lstatnslist'),
    wasm: async (ctx, [path, names]) =>
      unpackStatRows(await wasm(ctx).rpc('lstatList', path, names)).map((s) => s ?? failedStat()),
  },
});

export const readlinklist = defineCommand({
  name: 'readlinklist',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'names', kind: 'FilenameList' }],
  ret: 'strings',
  shortdesc: 'readlink on multiple files',
  longdesc: `Reads the target of each of the names, which are entries of the directory path, in one
request; the list has one string per name, in order, and "" where a name is not a symlink or cannot be read.`,
  examples: ['readlinklist /etc "localtime hostname"'],
  impl: { appliance: applianceBulk('readlinklist'), wasm: async (ctx, [path, names]) => wasm(ctx).rpc('readlinkList', path, names) },
});

export const lgetxattrs = defineCommand({
  name: 'lgetxattrs',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'structs',
  fields: ['attrname', 'attrval'],
  shortdesc: 'list extended attributes of a file or directory',
  longdesc: 'Lists the extended attributes of the file (a symlink itself, not its target), with their values.',
  examples: ['lgetxattrs /etc/passwd'],
  // Extended attributes: the wasm backend reads them on btrfs only (auto picks the appliance for others).
  impl: { appliance: applianceBulk('lgetxattrs'), wasm: async (ctx, [path]) => wasmXattrStructs(await wasmXattrs(wasm(ctx), path, false)) },
});

export const lxattrlist = defineCommand({
  name: 'lxattrlist',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'names', kind: 'FilenameList' }],
  ret: 'structs',
  fields: ['attrname', 'attrval'],
  shortdesc: 'lgetxattr on multiple files',
  longdesc: `Lists the extended attributes of each of the names (entries of the directory path) in one
request. For each name the list has a header entry (attrname "", attrval the number of attributes that
follow, as a decimal string), then that many attributes.`,
  examples: ['lxattrlist /etc "hostname passwd"'],
  impl: {
    appliance: applianceBulk('lxattrlist'),
    wasm: async (ctx, [path, names]) =>
      (await wasmXattrList(wasm(ctx), path, names)).flatMap((attrs) => [{ attrname: '', attrval: String(attrs.length) }, ...wasmXattrStructs(attrs)]),
  },
});
