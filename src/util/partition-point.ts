/**
 * Binary search over the indexes [0, n): the first one at which `before(i)` is
 * false, for a `before` that holds on a prefix of them and not after it (n when
 * it holds everywhere). "The last entry starting at or before x" is this minus one.
 */
export function partitionPoint(n: number, before: (i: number) => boolean): number {
  let lo = 0, hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
