/**
 * The hive's record signatures and the shapes the reader and the writer share:
 * internal to src/hive (format.ts holds the public format constants).
 */

export const LEAF_MAX = 500; // entries in one lh leaf (4008-byte cell: fits a 4 KiB hbin)
export const LEAF_SPLIT = 250; // entries a leaf gets when a list is rebuilt as ri
export const SIG_NK = 0x6b6e; // "nk"
export const SIG_VK = 0x6b76;
export const SIG_SK = 0x6b73;
export const SIG_LF = 0x666c;
export const SIG_LH = 0x686c;
export const SIG_LI = 0x696c;
export const SIG_RI = 0x6972;
export const SIG_DB = 0x6264;

/** A subkey list leaf (lf, lh, li) or an ri list. */
export interface Leaf {
  off: number; // absolute cell offset
  sig: number;
  count: number;
  capacity: number; // entries the cell can hold
}

/** A key's subkey list: its leaves, and the ri cell above them when there is one. */
export interface ListShape {
  ri: number | undefined; // absolute offset of the ri cell
  leaves: Leaf[];
}

/** Where a value's data is. */
export type DataLayout =
  | { kind: 'inline'; len: number }
  | { kind: 'cell'; len: number; cell: number }
  | { kind: 'big'; len: number; db: number; list: number; segs: number[] };

export const hex = (n: number): string => `0x${n.toString(16)}`;

export function align8(n: number): number {
  return (n + 7) & ~7;
}
