/**
 * Extended attributes, POSIX ACLs, file capabilities and ext2 inode flags. They run
 * in the appliance (attr, acl, libcap and e2fsprogs tools); the wasm backend reads
 * extended attributes where its driver does (btrfs, see xattr-read.ts) and
 * otherwise gives the one-line "not supported" error.
 */
import { ErrnoError } from '../errors/index.js';
import { applianceOp } from './appliance-access.js';
import { wasmGetxattr, wasmXattrs, wasmXattrStructs } from './xattr-read.js';
import { defineCommand, type Impl } from './types.js';
import type { ApplianceBackend } from '../backend/appliance/appliance-backend.js';

const XATTR_FIELDS = ['attrname', 'attrval'] as const;

/** setxattr's value: the first vallen bytes of val. */
function valueBytes(val: string | Uint8Array, vallen: number): Uint8Array {
  const bytes = typeof val === 'string' ? Buffer.from(val, 'utf8') : val;
  if (vallen < 0 || vallen > bytes.length) throw new ErrnoError('EINVAL', `vallen ${vallen}: must be between 0 and the length of val (${bytes.length})`);
  return bytes.subarray(0, vallen);
}

const setImpl = (op: 'setxattr' | 'lsetxattr'): Impl<ApplianceBackend> => async (ctx, [xattr, val, vallen, path], o) =>
  applianceOp(op)(ctx, [xattr, valueBytes(val, vallen), path], o);

export const getxattr = defineCommand({
  name: 'getxattr',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'name', kind: 'String' }],
  ret: 'buffer',
  shortdesc: 'get a single extended attribute',
  longdesc: 'Returns the value of one extended attribute of the file (symlinks followed). A missing attribute is an ENODATA error. The appliance backend; the wasm backend on btrfs.',
  examples: ['getxattr /usr/bin/ping security.capability'],
  impl: { appliance: applianceOp('getxattr'), wasm: wasmGetxattr(true) },
});

export const lgetxattr = defineCommand({
  name: 'lgetxattr',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'name', kind: 'String' }],
  ret: 'buffer',
  shortdesc: 'get a single extended attribute',
  longdesc: 'The same as getxattr, but of a symlink itself, not its target. The appliance backend; the wasm backend on btrfs.',
  examples: ['lgetxattr /etc/localtime user.note'],
  impl: { appliance: applianceOp('lgetxattr'), wasm: wasmGetxattr(false) },
});

export const getxattrs = defineCommand({
  name: 'getxattrs',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'structs',
  fields: XATTR_FIELDS,
  shortdesc: 'list extended attributes of a file or directory',
  longdesc: 'Lists every extended attribute of the file (symlinks followed) with its value. The appliance backend; the wasm backend on btrfs.',
  examples: ['getxattrs /etc/passwd'],
  impl: { appliance: applianceOp('getxattrs'), wasm: async (ctx, [path]) => wasmXattrStructs(await wasmXattrs(ctx.backend, path, true)) },
});

export const setxattr = defineCommand({
  name: 'setxattr',
  args: [{ name: 'xattr', kind: 'String' }, { name: 'val', kind: 'BufferIn' }, { name: 'vallen', kind: 'Int' }, { name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'set extended attribute of a file or directory',
  longdesc: 'Sets the extended attribute xattr of the file (symlinks followed) to the first vallen bytes of val. The appliance backend.',
  examples: ['setxattr user.comment "hello" 5 /etc/motd'],
  impl: { appliance: setImpl('setxattr') },
});

export const lsetxattr = defineCommand({
  name: 'lsetxattr',
  args: [{ name: 'xattr', kind: 'String' }, { name: 'val', kind: 'BufferIn' }, { name: 'vallen', kind: 'Int' }, { name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'set extended attribute of a file or directory',
  longdesc: 'The same as setxattr, but on a symlink itself, not its target. The appliance backend.',
  examples: ['lsetxattr trusted.note "x" 1 /etc/localtime'],
  impl: { appliance: setImpl('lsetxattr') },
});

export const removexattr = defineCommand({
  name: 'removexattr',
  args: [{ name: 'xattr', kind: 'String' }, { name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'remove extended attribute of a file or directory',
  longdesc: 'Removes the extended attribute xattr of the file (symlinks followed). The appliance backend.',
  examples: ['removexattr user.comment /etc/motd'],
  impl: { appliance: applianceOp('removexattr') },
});

export const lremovexattr = defineCommand({
  name: 'lremovexattr',
  args: [{ name: 'xattr', kind: 'String' }, { name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'remove extended attribute of a file or directory',
  longdesc: 'The same as removexattr, but on a symlink itself, not its target. The appliance backend.',
  examples: ['lremovexattr user.comment /etc/localtime'],
  impl: { appliance: applianceOp('lremovexattr') },
});

function checkAclType(acltype: string): void {
  if (acltype !== 'access' && acltype !== 'default') throw new ErrnoError('EINVAL', `invalid acltype parameter: ${acltype}`);
}

export const aclGetFile = defineCommand({
  name: 'acl-get-file',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'acltype', kind: 'String' }],
  ret: 'string',
  shortdesc: 'get the POSIX ACL attached to a file',
  longdesc: `Returns the POSIX ACL of the file in its long text form (one entry per line, numeric ids):
acltype "access" for the file's own ACL, "default" for a directory's default ACL. The appliance backend.`,
  examples: ['acl-get-file /srv access'],
  impl: {
    appliance: async (ctx, args, o) => {
      checkAclType(args[1]);
      return applianceOp('aclGetFile')(ctx, args, o);
    },
  },
});

export const aclSetFile = defineCommand({
  name: 'acl-set-file',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'acltype', kind: 'String' }, { name: 'acl', kind: 'String' }],
  ret: 'void',
  shortdesc: 'set the POSIX ACL attached to a file',
  longdesc: `Replaces the file's access ACL, or a directory's default ACL, with acl in text form
("user::rwx,group::r-x,other::r-x", entries separated by commas or newlines). The appliance backend.`,
  examples: ['acl-set-file /srv access "user::rwx,user:1000:rwx,group::r-x,mask::rwx,other::r-x"'],
  impl: {
    appliance: async (ctx, args, o) => {
      checkAclType(args[1]);
      return applianceOp('aclSetFile')(ctx, args, o);
    },
  },
});

export const aclDeleteDefFile = defineCommand({
  name: 'acl-delete-def-file',
  args: [{ name: 'dir', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'delete the default POSIX ACL of a directory',
  longdesc: 'Removes the default ACL of the directory. The appliance backend.',
  examples: ['acl-delete-def-file /srv'],
  impl: { appliance: applianceOp('aclDeleteDefFile') },
});

export const capGetFile = defineCommand({
  name: 'cap-get-file',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'string',
  shortdesc: 'get the Linux capabilities attached to a file',
  longdesc: 'Returns the file capabilities in text form ("cap_net_raw=ep"), or "" when the file has none. The appliance backend.',
  examples: ['cap-get-file /usr/bin/ping'],
  impl: { appliance: applianceOp('capGetFile') },
});

export const capSetFile = defineCommand({
  name: 'cap-set-file',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'cap', kind: 'String' }],
  ret: 'void',
  shortdesc: 'set the Linux capabilities attached to a file',
  longdesc: 'Sets the file capabilities from their text form ("cap_net_raw=ep"). The appliance backend.',
  examples: ['cap-set-file /usr/bin/ping cap_net_raw=ep'],
  impl: { appliance: applianceOp('capSetFile') },
});

export const getE2attrs = defineCommand({
  name: 'get-e2attrs',
  args: [{ name: 'file', kind: 'Pathname' }],
  ret: 'string',
  shortdesc: 'get ext2 file attributes of a file',
  longdesc: 'Returns the ext2/3/4 inode flags of the file as lsattr letters without the dashes ("e" for extents, "i" immutable, "a" append only...). The appliance backend.',
  examples: ['get-e2attrs /etc/passwd'],
  impl: { appliance: applianceOp('getE2attrs') },
});

export const setE2attrs = defineCommand({
  name: 'set-e2attrs',
  args: [{ name: 'file', kind: 'Pathname' }, { name: 'attrs', kind: 'String' }],
  optargs: [{ name: 'clear', kind: 'Bool' }],
  ret: 'void',
  shortdesc: 'set ext2 file attributes of a file',
  longdesc: 'Sets the ext2/3/4 inode flags named by the letters in attrs (as chattr +attrs), or clears them with clear:true. The appliance backend.',
  examples: ['set-e2attrs /etc/resolv.conf i', 'set-e2attrs /etc/resolv.conf i clear:true'],
  impl: { appliance: applianceOp('setE2attrs', ['clear']) },
});

export const getE2generation = defineCommand({
  name: 'get-e2generation',
  args: [{ name: 'file', kind: 'Pathname' }],
  ret: 'int64',
  shortdesc: 'get ext2 file generation of a file',
  longdesc: 'Returns the ext2/3/4 generation number of the file (lsattr -v). The appliance backend.',
  examples: ['get-e2generation /etc/passwd'],
  impl: { appliance: applianceOp('getE2generation') },
});

export const setE2generation = defineCommand({
  name: 'set-e2generation',
  args: [{ name: 'file', kind: 'Pathname' }, { name: 'generation', kind: 'Int64' }],
  ret: 'void',
  shortdesc: 'set ext2 file generation of a file',
  longdesc: 'Sets the ext2/3/4 generation number of the file (chattr -v). The appliance backend.',
  examples: ['set-e2generation /etc/passwd 12345'],
  impl: { appliance: applianceOp('setE2generation') },
});

export const XATTR_COMMANDS = [
  getxattr, lgetxattr, getxattrs, setxattr, lsetxattr, removexattr, lremovexattr, aclGetFile, aclSetFile, aclDeleteDefFile,
  capGetFile, capSetFile, getE2attrs, setE2attrs, getE2generation, setE2generation,
] as const;
