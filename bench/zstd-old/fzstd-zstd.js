// The zstd entry points of src/compress/zstd.ts served by fzstd (the pure-JS decoder guestkit
// used before wasm/zstd): bench/btrfs.js loads it in place of dist/src/compress/zstd.js
// (through hooks.js) to time the old path beside the new one in the same run.
import { decompress } from 'fzstd';

const ZSTD_MAGIC = 0xfd2fb528;
const le32 = (b, o) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

/** The first frame's length from its header and block headers (as btrfs's reader did before). */
function frameLength(src) {
  if (src.length < 6 || le32(src, 0) !== ZSTD_MAGIC) throw new Error('zstd frame is malformed');
  const fhd = src[4];
  const single = (fhd >> 5) & 1, checksum = (fhd >> 2) & 1, fcs = fhd >> 6;
  let p = 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3] + [single, 2, 4, 8][fcs];
  for (let last = 0; !last;) {
    if (p + 3 > src.length) throw new Error('zstd frame is malformed');
    const h = src[p] | (src[p + 1] << 8) | (src[p + 2] << 16);
    last = h & 1;
    const type = (h >> 1) & 3, size = h >>> 3;
    p += 3 + (type === 1 ? 1 : size);
  }
  return p + checksum * 4;
}

export class ZstdError extends Error {}
export function zstdDecompressFirstFrameInto(out, input, capacity) {
  const d = decompress(input.subarray(0, frameLength(input)));
  if (d.length > capacity) throw new ZstdError(`zstd: data decodes to more than ${capacity} bytes`);
  out.set(d.subarray(0, out.length));
  return d.length;
}
export function zstdDecompressExactly(input, size) {
  return decompress(input.subarray(0, frameLength(input)), new Uint8Array(size));
}
