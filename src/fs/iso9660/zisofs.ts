/**
 * zisofs (Rock Ridge "ZF" entry, algorithm "pz"): a file stored as a header, a
 * table of block pointers and zlib-compressed blocks of 2^blockLog2 bytes each
 * (a zero-length block is all zeroes), read back as Linux's isofs does.
 */
import { inflateSync } from 'node:zlib';
import { corrupt } from './dir-record.js';

export interface ZisofsParams {
  /** Header size in bytes (the ZF entry gives it in 4-byte units). */
  headerBytes: number;
  blockLog2: number;
  realSize: number;
}

/** Reads `length` bytes at `offset` of the uncompressed file; `raw` reads the stored (compressed) bytes. */
export function readZisofs(raw: (offset: number, length: number) => Uint8Array, rawSize: number, zf: ZisofsParams, offset: number, length: number, what: string): Uint8Array {
  if (zf.blockLog2 < 15 || zf.blockLog2 > 17) throw corrupt(`${what}: zisofs block size 2^${zf.blockLog2} is not 32, 64 or 128 KiB`);
  const block = 2 ** zf.blockLog2;
  const want = Math.max(0, Math.min(length, zf.realSize - offset));
  const out = new Uint8Array(want);
  if (want === 0) return out;
  const first = Math.floor(offset / block), last = Math.floor((offset + want - 1) / block);
  const tableAt = zf.headerBytes + first * 4;
  if (tableAt + (last - first + 2) * 4 > rawSize) throw corrupt(`${what}: the zisofs block table lies past the end of the file`);
  const table = raw(tableAt, (last - first + 2) * 4);
  const dv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  for (let b = first; b <= last; b++) {
    const start = dv.getUint32((b - first) * 4, true), end = dv.getUint32((b - first + 1) * 4, true);
    if (end < start || end > rawSize || end - start > block * 2) throw corrupt(`${what}: zisofs block ${b} has a bad extent (${start}-${end})`);
    if (end === start) continue; // a block of zeroes
    let data: Uint8Array;
    try {
      data = inflateSync(raw(start, end - start), { maxOutputLength: block });
    } catch (e) {
      throw corrupt(`${what}: zisofs block ${b} does not inflate (${(e as Error).message})`);
    }
    const blockAt = b * block;
    const from = Math.max(offset, blockAt), to = Math.min(offset + want, blockAt + data.length);
    if (to > from) out.set(data.subarray(from - blockAt, to - blockAt), from - offset);
  }
  return out;
}
