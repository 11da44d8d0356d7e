/** Zero bytes to compare against: memcmp in native code beats any loop in JavaScript. */
const ZEROES = Buffer.alloc(64 * 1024);

/** True when every byte of `b` is zero. */
export function isAllZero(b: Uint8Array): boolean {
  // Data mostly shows at either end: answered without a native call (a 1 GiB copy asks 32768 times).
  if (b.length > 0 && (b[0] !== 0 || b[b.length - 1] !== 0)) return false;
  for (let at = 0; at < b.length; at += ZEROES.length) {
    const n = Math.min(ZEROES.length, b.length - at);
    if (Buffer.compare(b.subarray(at, at + n), ZEROES.subarray(0, n)) !== 0) return false;
  }
  return true;
}

/** isAllZero of `b`'s bytes [start, end), without making a view of them when an end byte answers (a copy asks per 64 KiB of data). */
export function isAllZeroRange(b: Uint8Array, start: number, end: number): boolean {
  if (end > start && (b[start] !== 0 || b[end - 1] !== 0)) return false;
  return isAllZero(b.subarray(start, end));
}
