/**
 * src/util/partition-point.ts against a linear scan: every prefix length of
 * every small array, and the "last at or before" form the block maps use.
 */
import { describe, expect, it } from 'vitest';
import { partitionPoint } from '../../../../src/util/partition-point.js';

describe('partitionPoint', () => {
  it('finds where a prefix predicate stops holding, for every split of arrays up to 9 long', () => {
    for (let n = 0; n <= 9; n++) {
      for (let split = 0; split <= n; split++) {
        let calls = 0;
        const got = partitionPoint(n, (i) => {
          calls++;
          expect(i).toBeGreaterThanOrEqual(0);
          expect(i).toBeLessThan(n);
          return i < split;
        });
        expect(got).toBe(split);
        expect(calls).toBeLessThanOrEqual(Math.ceil(Math.log2(n + 1)));
      }
    }
  });

  it('minus one is the last entry starting at or before a position', () => {
    const starts = [0, 10, 10, 25, 40];
    const last = (at: number) => partitionPoint(starts.length, (i) => starts[i]! <= at) - 1;
    expect([-1, 0, 9, 10, 24, 25, 39, 40, 1000].map(last)).toEqual([-1, 0, 0, 2, 2, 3, 3, 4, 4]);
  });
});
