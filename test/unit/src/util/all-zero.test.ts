/** isAllZero: true exactly when every byte is zero, wherever the one that is not lies. */
import { describe, expect, it } from 'vitest';
import { isAllZero } from '../../../../src/util/all-zero.js';

describe('isAllZero', () => {
  it('zero buffers of any length, the empty one included', () => {
    for (const n of [0, 1, 4095, 65536, 65537, 200_000]) expect(isAllZero(new Uint8Array(n)), String(n)).toBe(true);
  });

  it('one non-zero byte anywhere: first, last, middle, either side of a 64 KiB step, in a subarray', () => {
    const n = 200_000;
    for (const at of [0, n - 1, 1000, 65535, 65536, 131072, 199_998]) {
      const b = new Uint8Array(n);
      b[at] = 0x80;
      expect(isAllZero(b), String(at)).toBe(false);
    }
    const big = new Uint8Array(3 * 65536);
    big[65536 + 10] = 1;
    expect(isAllZero(big.subarray(65536, 2 * 65536))).toBe(false);
    expect(isAllZero(big.subarray(0, 65536 + 10))).toBe(true);
  });
});
