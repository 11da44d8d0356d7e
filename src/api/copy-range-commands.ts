/**
 * copy-device-to-device, copy-device-to-file, copy-file-to-device, copy-file-to-file:
 * byte ranges between guest devices and files, in chunks through pread/pread-device and
 * pwrite/pwrite-device, so they run on whichever backend serves those.
 */
import { ErrnoError } from '../errors/index.js';
import { defineCommand, type CallContext } from './types.js';

/** pread's largest request is below 4 MiB. */
const CHUNK = 2 * 1024 * 1024;

interface CopyOptions {
  srcoffset?: number;
  destoffset?: number;
  size?: number;
  sparse?: boolean;
  append?: boolean;
}

async function copyRange(ctx: CallContext, from: 'device' | 'file', src: string, to: 'device' | 'file', dest: string, o: CopyOptions): Promise<void> {
  const srcoffset = o.srcoffset ?? 0;
  let destoffset = o.destoffset ?? 0;
  for (const [k, v] of [['srcoffset', srcoffset], ['destoffset', destoffset], ['size', o.size ?? 0]] as const) {
    if (v < 0) throw new ErrnoError('EINVAL', `${k} < 0`);
  }
  if (o.append && to === 'device') throw new ErrnoError('EINVAL', 'the append flag cannot be set for this call');
  if (to === 'file') {
    // Created if needed; truncated unless appending (then every write lands at the end).
    if (o.append) await ctx.call('write-append', [dest, new Uint8Array(0)]);
    else await ctx.call('write', [dest, new Uint8Array(0)]);
  }
  let left = o.size;
  let pos = srcoffset;
  while (left === undefined || left > 0) {
    const want = left === undefined ? CHUNK : Math.min(CHUNK, left);
    const buf = (await ctx.call(from === 'device' ? 'pread-device' : 'pread', [src, want, pos])) as Uint8Array;
    if (buf.length === 0) {
      if (left !== undefined) throw new ErrnoError('EINVAL', `${src}: unexpected end of file (${left} bytes short)`);
      break;
    }
    const skip = o.sparse && buf.every((x) => x === 0);
    if (!skip) {
      if (to === 'device') await ctx.call('pwrite-device', [dest, buf, destoffset]);
      else if (o.append) await ctx.call('write-append', [dest, buf]);
      else await ctx.call('pwrite', [dest, buf, destoffset]);
    }
    pos += buf.length;
    destoffset += buf.length;
    if (left !== undefined) left -= buf.length;
  }
}

const OPTARGS = [
  { name: 'srcoffset', kind: 'Int64' }, { name: 'destoffset', kind: 'Int64' }, { name: 'size', kind: 'Int64' },
  { name: 'sparse', kind: 'Bool' }, { name: 'append', kind: 'Bool' },
] as const;

function copyCommand<N extends string>(name: N, from: 'device' | 'file', to: 'device' | 'file') {
  return defineCommand({
    name,
    args: [{ name: 'src', kind: from === 'device' ? 'Device' : 'Pathname' }, { name: 'dest', kind: to === 'device' ? 'Device' : 'Pathname' }] as const,
    optargs: OPTARGS,
    ret: 'void',
    shortdesc: `copy from source ${from} to destination ${to}`,
    longdesc: `Copies bytes from the source ${from} to the destination ${to}: from srcoffset to destoffset (both 0 by
default), size bytes or up to the end of the source. A destination file is created if needed and truncated
first unless append:true (then the bytes are appended; not for devices). sparse:true skips writing chunks
that are all zeros (right only when the destination is zeroed already). Not for copying files: see cp.`,
    examples: [`${name} ${from === 'device' ? '/dev/sda1' : '/src.img'} ${to === 'device' ? '/dev/sdb1' : '/dest.img'} size:1048576`],
    impl: { any: (ctx, [src, dest], o) => copyRange(ctx, from, src, to, dest, o) },
  });
}

export const copyDeviceToDevice = copyCommand('copy-device-to-device', 'device', 'device');
export const copyDeviceToFile = copyCommand('copy-device-to-file', 'device', 'file');
export const copyFileToDevice = copyCommand('copy-file-to-device', 'file', 'device');
export const copyFileToFile = copyCommand('copy-file-to-file', 'file', 'file');

export const COPY_RANGE_COMMANDS = [copyDeviceToDevice, copyDeviceToFile, copyFileToDevice, copyFileToFile] as const;
