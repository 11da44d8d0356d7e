/**
 * Raw reads of block devices and case-insensitive path lookup: what Windows
 * inspection needs beyond the filesystem commands (the MBR disk signature for
 * drive letters; paths as stored on an NTFS volume).
 */
import { ErrnoError } from '../errors/index.js';
import { applianceOp } from './appliance-access.js';
import { defineCommand, type CallContext } from './types.js';
import { wasm, type WasmContext } from './wasm-access.js';

/** libguestfs's protocol limit on one message (GUESTFS_MESSAGE_MAX). */
export const PREAD_MAX = 4 * 1024 * 1024;

/** Checks pread-device's count and offset as libguestfs's daemon does. */
export function checkPreadArgs(device: string, count: number, offset: number): void {
  if (count < 0) throw new ErrnoError('EINVAL', 'count is negative');
  if (offset < 0) throw new ErrnoError('EINVAL', 'offset is negative');
  if (count >= PREAD_MAX) throw new ErrnoError('EINVAL', `${device}: count is too large for the protocol, use smaller reads`);
}

async function preadWasm(ctx: WasmContext, device: string, count: number, offset: number): Promise<Uint8Array> {
  checkPreadArgs(device, count, offset);
  const dev = wasm(ctx).device(device).dev;
  // pread(2) semantics: a read at or past the end returns what is there (maybe nothing).
  const n = Math.max(0, Math.min(count, dev.size - offset));
  return n === 0 ? new Uint8Array(0) : dev.read(offset, n);
}

export const preadDevice = defineCommand({
  name: 'pread-device',
  args: [{ name: 'device', kind: 'Device' }, { name: 'count', kind: 'Int' }, { name: 'offset', kind: 'Int64' }],
  ret: 'buffer',
  shortdesc: 'read part of a device',
  longdesc: `Reads count bytes of the device (a whole drive, a partition or a logical volume) starting
at byte offset. Fewer bytes come back when the read reaches the end of the device, none at or past
it (as pread(2)). count must be below 4 MiB.`,
  examples: ['pread-device /dev/sda 4 440'],
  impl: {
    wasm: async (ctx, [device, count, offset]) => preadWasm(ctx, device, count, offset),
    appliance: async (ctx, args, opt) => {
      checkPreadArgs(args[0], args[1], args[2]);
      return applianceOp('preadDevice')(ctx, args, opt);
    },
  },
});

/** One path component as stored in `dir`: an exact match first, then the first case-insensitive one. */
async function findComponent(ctx: CallContext, dir: string, name: string): Promise<string | undefined> {
  const entries = (await ctx.call('ls', [dir])) as string[];
  const lc = name.toLowerCase();
  return entries.find((e) => e === name) ?? entries.find((e) => e.toLowerCase() === lc);
}

export const caseSensitivePath = defineCommand({
  name: 'case-sensitive-path',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'string',
  shortdesc: 'return true path on case-insensitive filesystem',
  longdesc: `Finds a path whose components may differ in case from what is stored (Windows guests on
NTFS or FAT) and returns it spelled as stored, e.g. /windows/system32 → /Windows/System32. Every
directory on the way must exist; the last component may be missing, and is then returned as given
(so the result can name a file to create).`,
  examples: ['case-sensitive-path /windows/system32/config/software'],
  impl: {
    any: async (ctx, [path]) => {
      const parts = (path as string).split('/').filter((p) => p !== '');
      if (parts.some((p) => p === '.' || p === '..')) throw new ErrnoError('EINVAL', `${path}: path contains "." or ".." elements`);
      let cur = '';
      for (let i = 0; i < parts.length; i++) {
        const hit = await findComponent(ctx, cur || '/', parts[i]!);
        const last = i === parts.length - 1;
        // A trailing slash asks for a directory, as a following component does.
        const mustBeDir = !last || (path as string).endsWith('/');
        if (hit === undefined && !last) throw new ErrnoError('ENOENT', `${parts[i]}: not found`);
        if (hit !== undefined && mustBeDir && !(await ctx.call('is-dir', [`${cur}/${hit}`]))) throw new ErrnoError('ENOTDIR', `${cur}/${hit}: Not a directory`);
        cur = `${cur}/${hit ?? parts[i]}`;
      }
      return cur || '/';
    },
  },
});
