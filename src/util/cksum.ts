/** The CRC of POSIX cksum(1) (polynomial 0x04C11DB7, length appended), as guestfs `checksum crc` returns. */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function cksumCrc() {
  let crc = 0;
  let length = 0;
  const step = (byte: number) => {
    crc = ((crc << 8) ^ TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  };
  return {
    update(data: Uint8Array) {
      for (let i = 0; i < data.length; i++) step(data[i]!);
      length += data.length;
    },
    digest(): number {
      for (let n = length; n > 0; n = Math.floor(n / 256)) step(n & 0xff);
      return (~crc) >>> 0;
    },
  };
}
