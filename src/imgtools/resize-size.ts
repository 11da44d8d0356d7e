/** Sizes as virt-resize reads them. */
import { ErrnoError } from '../errors/index.js';

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
