/** True when every byte of `b` is zero (eight bytes at a time where aligned). */
export function isAllZero(b: Uint8Array): boolean {
  const words = b.length >>> 3;
  if (b.byteOffset % 8 === 0) {
    const w = new BigUint64Array(b.buffer, b.byteOffset, words);
    for (let i = 0; i < words; i++) if (w[i] !== 0n) return false;
  } else {
    for (let i = 0; i < words << 3; i++) if (b[i] !== 0) return false;
  }
  for (let i = words << 3; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}
