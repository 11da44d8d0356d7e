/** Moving directory trees in and out of the guest as tar archives (appliance: GNU tar in the VM). */
import { appliance, applianceOps } from './appliance-access.js';
import { ErrnoError } from '../errors/index.js';
import { toLocal } from './read-commands.js';
import { defineCommand } from './types.js';
import type { WasmContext } from './wasm-access.js';

/** In process, the archive is read and written here, the guest side through the table's file commands. */
const inProcess = {
  tarIn: async (ctx: WasmContext, [local, dir]: string[], o: { compress?: string }) => {
    const [{ openArchive }, { unpackIntoGuest }] = await Promise.all([import('../tar/host-archive.js'), import('../tar/guest-tar-in.js')]);
    const archive = await openArchive(local!, o.compress);
    try {
      await unpackIntoGuest(ctx.call.bind(ctx), archive.fh, archive.size, dir!, (done, total) => ctx.handle.progress(done, total));
    } finally {
      await archive.close();
    }
  },
  tarOut: async (ctx: WasmContext, [dir, local]: string[], o: { compress?: string; numericowner?: boolean; excludes?: string[] }) => {
    const [{ compressingSink }, { packGuestDir }] = await Promise.all([import('../tar/host-archive.js'), import('../tar/guest-tar-out.js')]);
    await toLocal(ctx, local!, async (out) => {
      const { sink, finish } = compressingSink(out, o.compress);
      await packGuestDir(ctx.call.bind(ctx), dir!, sink, { numericowner: o.numericowner, excludes: o.excludes, progress: (done, total) => ctx.handle.progress(done, total) });
      await finish();
    });
  },
};

/** xattrs, selinux and acls need the guest's tar. */
function plainOnly(name: string, o: { xattrs?: boolean; selinux?: boolean; acls?: boolean }): void {
  for (const k of ['xattrs', 'selinux', 'acls'] as const) {
    if (o[k]) throw new ErrnoError('ENOTSUP', `${name}: ${k}:true is not supported by the wasm backend: use --backend=appliance`);
  }
}

export const tarIn = defineCommand({
  name: 'tar-in',
  args: [{ name: 'tarfile', kind: 'FileIn' }, { name: 'directory', kind: 'Pathname' }],
  optargs: [{ name: 'compress', kind: 'String' }, { name: 'xattrs', kind: 'Bool' }, { name: 'selinux', kind: 'Bool' }, { name: 'acls', kind: 'Bool' }],
  ret: 'void',
  shortdesc: 'unpack tarfile to directory',
  longdesc: `Unpacks the host tar file (or standard input for "-") into the guest directory, which must exist.
compress names its compression: gzip, bzip2, xz, lzop, zstd or compress (none when not given).
xattrs, selinux and acls restore those too (appliance only). An archive with a ".." member is refused.`,
  examples: ['tar-in etc.tar /etc', 'tar-in data.tar.gz /srv compress:gzip'],
  impl: {
    appliance: async (ctx, [local, dir], o) =>
      (await applianceOps()).tarIn(appliance(ctx), local, dir, { compress: o.compress, xattrs: o.xattrs, selinux: o.selinux, acls: o.acls }),
    wasm: async (ctx, args, o) => {
      plainOnly('tar-in', o);
      await inProcess.tarIn(ctx, args, o);
    },
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
is a list of patterns to leave out; xattrs, selinux and acls store those too (appliance only).`,
  examples: ['tar-out /etc etc.tar', 'tar-out /home home.tar.xz compress:xz excludes:"*.cache"'],
  impl: {
    appliance: async (ctx, [dir, local], o) =>
      toLocal(ctx, local, async (out) => {
        await (await applianceOps()).tarOut(appliance(ctx), dir, out, {
          compress: o.compress, numericowner: o.numericowner, excludes: o.excludes, xattrs: o.xattrs, selinux: o.selinux, acls: o.acls,
        });
      }),
    wasm: async (ctx, args, o) => {
      plainOnly('tar-out', o);
      await inProcess.tarOut(ctx, args, o);
    },
  },
});
