/** Moving directory trees in and out of the guest as tar archives (appliance: GNU tar in the VM). */
import { appliance, applianceOps } from './appliance-access.js';
import { toLocal } from './read-commands.js';
import { defineCommand } from './types.js';

export const tarIn = defineCommand({
  name: 'tar-in',
  args: [{ name: 'tarfile', kind: 'FileIn' }, { name: 'directory', kind: 'Pathname' }],
  optargs: [{ name: 'compress', kind: 'String' }, { name: 'xattrs', kind: 'Bool' }, { name: 'selinux', kind: 'Bool' }, { name: 'acls', kind: 'Bool' }],
  ret: 'void',
  shortdesc: 'unpack tarfile to directory',
  longdesc: `Unpacks the host tar file (or standard input for "-") into the guest directory, which must exist.
compress names its compression: gzip, bzip2, xz, lzop, zstd or compress (none when not given).
xattrs, selinux and acls restore those too. Needs the appliance backend.`,
  examples: ['tar-in etc.tar /etc', 'tar-in data.tar.gz /srv compress:gzip'],
  impl: {
    appliance: async (ctx, [local, dir], o) =>
      (await applianceOps()).tarIn(appliance(ctx), local, dir, { compress: o.compress, xattrs: o.xattrs, selinux: o.selinux, acls: o.acls }),
  },
});

export const tarOut = defineCommand({
  name: 'tar-out',
  args: [{ name: 'directory', kind: 'String' }, { name: 'tarfile', kind: 'FileOut' }],
  optargs: [
    { name: 'compress', kind: 'String' }, { name: 'numericowner', kind: 'Bool' }, { name: 'excludes', kind: 'StringList' },
    { name: 'xattrs', kind: 'Bool' }, { name: 'selinux', kind: 'Bool' }, { name: 'acls', kind: 'Bool' },
  ],
  ret: 'void',
  shortdesc: 'pack directory into tarfile',
  longdesc: `Packs the guest directory into a tar file on the host ("-" for standard output), members named
relative to it ("./etc/..."). compress as for tar-in; numericowner stores numeric ids only; excludes
is a list of patterns to leave out; xattrs, selinux and acls store those too. Needs the appliance backend.`,
  examples: ['tar-out /etc etc.tar', 'tar-out /home home.tar.xz compress:xz excludes:"*.cache"'],
  impl: {
    appliance: async (ctx, [dir, local], o) =>
      toLocal(ctx, local, async (out) => {
        await (await applianceOps()).tarOut(appliance(ctx), dir, out, {
          compress: o.compress, numericowner: o.numericowner, excludes: o.excludes, xattrs: o.xattrs, selinux: o.selinux, acls: o.acls,
        });
      }),
  },
});
