/** Zero bytes to compare against: memcmp in native code beats any loop in JavaScript. */
const ZEROES = Buffer.alloc(64 * 1024);

/** True when every byte of `b` is zero. */
export function isAllZero(b: Uint8Array): boolean {
  for (let at = 0; at < b.length; at += ZEROES.length) {
    const n = Math.min(ZEROES.length, b.length - at);
    if (Buffer.compare(b.subarray(at, at + n), ZEROES.subarray(0, n)) !== 0) return false;
  }
  return true;
}
