/**
 * Decoding compressed extents: zlib (one zlib stream), LZO (btrfs's own
 * segmented framing around LZO1X, segments never straddling a sector), zstd
 * (one zstd frame, then zeroes to a sector's end). The result is exactly `ramBytes` long; a stream
 * that decodes to less leaves zeroes, as the kernel does for the tail.
 */
import { constants, inflateSync } from 'node:zlib';
import { zstdDecompressFirstFrameInto } from '../../compress/zstd.js';
import { FsError } from '../fs-driver.js';
import { COMPRESS_LZO, COMPRESS_ZLIB, COMPRESS_ZSTD } from './items.js';
import { lzo1xDecompress } from './lzo.js';
import { corrupt } from './superblock.js';

/** btrfs compresses at most 128 KiB of file data per extent. */
const MAX_UNCOMPRESSED = 128 * 1024;
const LZO_LEN = 4;

export function decompress(kind: number, src: Uint8Array, ramBytes: number, sectorSize: number, what: string): Uint8Array {
  if (ramBytes > MAX_UNCOMPRESSED + sectorSize) throw corrupt(`${what}: compressed extent claims ${ramBytes} bytes`);
  const out = new Uint8Array(ramBytes);
  switch (kind) {
    case COMPRESS_ZLIB: {
      let d: Uint8Array;
      try {
        d = inflateSync(src, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: ramBytes + sectorSize });
      } catch (e) {
        throw corrupt(`${what}: zlib data does not decode (${(e as Error).message})`);
      }
      out.set(d.subarray(0, ramBytes));
      return out;
    }
    case COMPRESS_LZO:
      lzoSegments(src, out, sectorSize, what);
      return out;
    case COMPRESS_ZSTD:
      try {
        // the frame's length comes from its header and block headers: the padding is never parsed
        zstdDecompressFirstFrameInto(out, src, ramBytes + sectorSize);
      } catch (e) {
        throw corrupt(`${what}: zstd data does not decode (${(e as Error).message})`);
      }
      return out;
    default:
      throw new FsError('ENOTSUP', `btrfs: ${what}: compression type ${kind} is not supported`);
  }
}

function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function lzoSegments(src: Uint8Array, out: Uint8Array, sectorSize: number, what: string): void {
  if (src.length < LZO_LEN) throw corrupt(`${what}: LZO extent is truncated`);
  const total = le32(src, 0);
  if (total > src.length || total < LZO_LEN) throw corrupt(`${what}: LZO extent length ${total} is invalid`);
  let ip = LZO_LEN, op = 0;
  const page = new Uint8Array(sectorSize);
  while (ip < total && op < out.length) {
    // a segment header never straddles a sector: skip the padding at a sector's end
    const left = sectorSize - (ip % sectorSize);
    if (left < LZO_LEN) ip += left;
    if (ip + LZO_LEN > total) break;
    const segLen = le32(src, ip);
    ip += LZO_LEN;
    if (segLen === 0 || ip + segLen > total) throw corrupt(`${what}: LZO segment length ${segLen} is invalid`);
    const n = lzo1xDecompress(src.subarray(ip, ip + segLen), page, what);
    const take = Math.min(n, out.length - op);
    out.set(page.subarray(0, take), op);
    op += take;
    ip += segLen;
  }
}
