/**
 * The CRC LVM2 stores in its label, metadata area header and raw metadata
 * locations: the usual reflected CRC-32 (polynomial 0xEDB88320) but started
 * from 0xf597a6cf and without the final inversion.
 */
export const LVM_INITIAL_CRC = 0xf597a6cf;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** LVM's crc32 of `data`, continuing from `crc` (default: LVM's initial value). */
export function lvmCrc(data: Uint8Array, crc: number = LVM_INITIAL_CRC): number {
  let c = crc >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}
