/**
 * fish's `hexedit`: a byte range of a guest file or device copied to a private host
 * file, edited with $HEXEDITOR (hexedit(1) when unset), and written back at the same
 * offset when it changed. Without a range the whole file, up to 1 MiB, as guestfish.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FishCommand, FishContext } from './fish-commands.js';
import { runProgramOn } from './host-command.js';
import { parseSize } from './local-disk.js';
import { UsageError } from './usage-error.js';

const MAX_WHOLE = 1024 * 1024;
/** pread and pread-device answer at most 2 MiB a call. */
const CHUNK = 2 << 20;

async function readRange(ctx: FishContext, what: string, device: boolean, start: number, max: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for (let got = 0; got < max;) {
    const b = (await ctx.g.call(device ? 'pread-device' : 'pread', [what, Math.min(CHUNK, max - got), start + got])) as Uint8Array;
    if (b.length === 0) break;
    parts.push(b);
    got += b.length;
  }
  return Buffer.concat(parts);
}

async function writeRange(ctx: FishContext, what: string, device: boolean, start: number, data: Buffer): Promise<void> {
  for (let done = 0; done < data.length;) {
    const n = (await ctx.g.call(device ? 'pwrite-device' : 'pwrite', [what, data.subarray(done, done + CHUNK), start + done])) as number;
    done += n;
  }
}

export const hexedit: FishCommand = {
  name: 'hexedit',
  usage: 'hexedit <filename|device> [[<start>] <max>]',
  shortdesc: 'edit with a hex editor',
  longdesc: `Copies all or part of a guest file or device to a private host file, runs the hex editor named
by $HEXEDITOR (hexedit when unset) on it, and writes it back at the same offset if it changed. With one
argument the whole file (at most 1M); "max" limits the bytes, "start" moves the first one; both take size
suffixes (1M, 0x400 in bytes...): hexedit /dev/sda1 0x400 0x400 edits an ext2 superblock.`,
  arity: [1, 3],
  arityMessage: "hexedit (device|filename) [max | start max]\n",
  run: async (ctx, [what, a, b]) => {
    const device = what!.startsWith('/dev/');
    let start = 0;
    let max: number;
    if (a === undefined) {
      const size = (await ctx.g.call(device ? 'blockdev-getsize64' : 'filesize', [what!])) as number;
      if (size > MAX_WHOLE) {
        throw new UsageError(`hexedit: ${what} is larger than 1M. You must supply a limit using\n  'hexedit ${what} <max>' (eg. 'hexedit ${what} 1M') or a range using\n  'hexedit ${what} <start> <max>'.\nSee the guestfish manual page for more information.\n`);
      }
      max = size;
    } else if (b === undefined) max = sizeArg(a);
    else {
      start = sizeArg(a);
      max = sizeArg(b);
    }
    const before = await readRange(ctx, what!, device, start, max);
    const dir = await mkdtemp(join(tmpdir(), 'guestkit-hexedit-'));
    try {
      const file = join(dir, 'hexedit');
      await writeFile(file, before, { mode: 0o600 });
      await runProgramOn(ctx, ctx.env.HEXEDITOR || 'hexedit', file, 'hex editor');
      const after = await readFile(file);
      if (!after.equals(before)) await writeRange(ctx, what!, device, start, after);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** A size or offset: decimal or 0x hex, with parse_size's suffixes. */
function sizeArg(text: string): number {
  return /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : parseSize(text);
}
