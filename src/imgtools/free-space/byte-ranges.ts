/** Sorted, non-overlapping [start, end) byte ranges, the unit free-space discovery works in. */
export type ByteRange = readonly [start: number, end: number];

/** Sorts and merges touching or overlapping ranges, dropping empty ones. */
export function mergeRanges(ranges: Iterable<ByteRange>): ByteRange[] {
  const sorted = [...ranges].filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

export function shiftRanges(ranges: readonly ByteRange[], by: number): ByteRange[] {
  return ranges.map(([s, e]) => [s + by, e + by] as const);
}

/** Total bytes covered. */
export function rangesBytes(ranges: readonly ByteRange[]): number {
  return ranges.reduce((n, [s, e]) => n + (e - s), 0);
}
