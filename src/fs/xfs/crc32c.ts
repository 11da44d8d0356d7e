/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every
 * XFS v5 metadata block. XFS computes it over the whole block with the 4-byte
 * checksum field read as zero and stores it little-endian.
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

function update(crc: number, buf: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) crc = TABLE[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return crc;
}

/** CRC-32C of `buf`. */
export function crc32c(buf: Uint8Array): number {
  return (update(0xffffffff, buf, 0, buf.length) ^ 0xffffffff) >>> 0;
}

/** CRC-32C of `buf` with the 4 bytes at `crcOffset` taken as zero. */
export function crc32cWithHole(buf: Uint8Array, crcOffset: number): number {
  let crc = update(0xffffffff, buf, 0, crcOffset);
  for (let i = 0; i < 4; i++) crc = TABLE[crc & 0xff]! ^ (crc >>> 8);
  crc = update(crc, buf, crcOffset + 4, buf.length);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Whether the little-endian checksum stored at `crcOffset` matches the block. */
export function crcMatches(buf: Uint8Array, crcOffset: number): boolean {
  const stored = (buf[crcOffset]! | (buf[crcOffset + 1]! << 8) | (buf[crcOffset + 2]! << 16) | (buf[crcOffset + 3]! << 24)) >>> 0;
  return stored === crc32cWithHole(buf, crcOffset);
}
