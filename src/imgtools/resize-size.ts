/** Sizes as virt-resize reads and prints them. */
import { ErrnoError } from '../errors/index.js';

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

const SCALE: Record<string, number> = { b: 512, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/**
 * --resize's size field relative to the old size: N[bKMG], +N[bKMG], -N[bKMG],
 * N%, +N%, -N% (percentages in tenths, as virt-resize computes them).
 */
export function parseResize(oldSize: number, field: string): number {
  const m = /^([+-]?)([.0-9]+)([bKMG%])$/.exec(field);
  const v = m ? Number(m[2]) : NaN;
  if (!m || !Number.isFinite(v)) throw new ErrnoError('EINVAL', `${field}: cannot parse resize field`);
  const amount = m[3] === '%' ? Math.floor((oldSize * Math.trunc(10 * v)) / 1000) : Math.trunc(v * SCALE[m[3]!]!);
  return m[1] === '+' ? oldSize + amount : m[1] === '-' ? oldSize - amount : amount;
}
