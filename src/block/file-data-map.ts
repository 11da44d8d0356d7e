/**
 * Where a sparse regular file holds data, from the filesystem's extent map
 * (the FIEMAP ioctl, read through e2fsprogs' `filefrag`): the fallback where
 * the fd-ops helper (src/util/fd-ops.ts) cannot ask lseek(SEEK_DATA/SEEK_HOLE),
 * which Node has no call for. Without a map, a copy of a sparse raw image
 * reads every hole as zeroes, where qemu-img convert reads only the data.
 *
 * The map is trusted only when filefrag used FIEMAP (which reports extents
 * whose data is still in the page cache, "delalloc", as well as written ones);
 * its FIBMAP fallback cannot see those, so its answer is not used. Any
 * failure (no filefrag, a filesystem without FIEMAP) gives null: the caller
 * then treats the whole file as data, as before.
 */
import { execFile } from 'node:child_process';

/** [start, end) byte ranges that hold data (or may: unwritten extents count as data), in order. */
export type DataRanges = Array<[number, number]>;

const FILEFRAG_TIMEOUT_MS = 10_000;

/**
 * `noBlocks`: the file has no blocks at all (st_blocks is 0, and counts delayed allocations
 * too): FIEMAP's listing of such a file has no extent table, only "0 extents found".
 */
export function fileDataRanges(path: string, size: number, noBlocks = false): Promise<DataRanges | null> {
  return new Promise((resolve) => {
    // -b1: offsets in bytes; -v: one line per extent ("N: start.. end: phys.. end: length: ...").
    // filefrag lives in /usr/sbin, which a user's PATH often leaves out (FIEMAP itself needs no privilege).
    const env = { ...process.env, LC_ALL: 'C', PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };
    execFile('filefrag', ['-v', '-b1', '--', path], { timeout: FILEFRAG_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, env }, (err, stdout) => {
      resolve(err ? null : parseFilefrag(stdout, size, noBlocks));
    });
  });
}

/**
 * filefrag -v -b1 output as data ranges clipped to `size`; null unless it is FIEMAP's extent
 * listing, or (for a file with `noBlocks`) its count of no extents at all.
 */
export function parseFilefrag(text: string, size: number, noBlocks = false): DataRanges | null {
  if (!/^\s*ext:\s+logical_offset:/m.test(text)) {
    // FIEMAP prints its table only from the first extent on; FIBMAP's listing ("Discontinuity: ...") is never trusted.
    const empty = noBlocks && /^File size of .* is \d+ /m.test(text) && /: 0 extents found\s*$/.test(text) && !/Discontinuity/.test(text);
    return empty ? [] : null;
  }
  const out: DataRanges = [];
  for (const m of text.matchAll(/^\s*\d+:\s+(\d+)\.\.\s*(\d+):/gm)) {
    const start = Number(m[1]);
    const end = Math.min(size, Number(m[2]) + 1);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return null;
    if (start >= end) continue;
    const last = out[out.length - 1];
    if (last && start < last[0]) return null; // not in order: not an output this parser knows
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}
