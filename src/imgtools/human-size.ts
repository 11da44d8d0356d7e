/** Sizes as the virt tools print them. */

/** libguestfs's human_size: bytes, then K, M, G with one decimal (each step from the truncated previous one). */
export function humanSize(n: number): string {
  const sign = n < 0 ? '-' : '';
  let i = Math.abs(n);
  if (i < 1024) return `${sign}${i}`;
  for (const unit of ['K', 'M']) {
    const f = i / 1024;
    i = Math.floor(i / 1024);
    if (i < 1024) return `${sign}${f.toFixed(1)}${unit}`;
  }
  return `${sign}${(i / 1024).toFixed(1)}G`;
}
