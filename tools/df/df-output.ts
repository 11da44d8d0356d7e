/** virt-df's table and CSV, column for column. */
import { csvField } from '../../src/util/csv.js';
import { humanReadable } from '../../src/util/human.js';
import type { DfRow } from './df-compute.js';

export interface DfFormat {
  csv: boolean;
  human: boolean;
  inodes: boolean;
}

export function dfTitle(f: DfFormat): string {
  const cols = f.inodes ? ['Inodes', 'IUsed', 'IFree', 'IUse%'] : [f.human ? 'Size' : '1K-blocks', 'Used', 'Available', 'Use%'];
  if (f.csv) return ['VirtualMachine', 'Filesystem', ...cols].map(csvField).join(',') + '\n';
  return `${'Filesystem'.padEnd(36)}${cols[0]!.padStart(10)} ${cols[1]!.padStart(10)} ${cols[2]!.padStart(10)} ${cols[3]!.padStart(5)}\n`;
}

/** n blocks of `from` bytes in units of `to` bytes, as virt-df scales (integer steps). */
function scale(n: number, from: number, to: number): number {
  return from >= to ? n * Math.floor(from / to) : Math.floor(n / Math.floor(to / from));
}

export function dfLine(name: string, row: DfRow, f: DfFormat): string {
  const s = row.stat as Record<'bsize' | 'blocks' | 'bfree' | 'bavail' | 'files' | 'ffree', number>;
  let cols: string[];
  let percent: number;
  if (!f.inodes) {
    cols = f.human
      ? [s.blocks, s.blocks - s.bfree, s.bavail].map((n) => humanReadable(n * s.bsize))
      : [scale(s.blocks, s.bsize, 1024), scale(s.blocks - s.bfree, s.bsize, 1024), scale(s.bavail, s.bsize, 1024)].map(String);
    percent = s.blocks !== 0 ? 100 - (100 * s.bfree) / s.blocks : 0;
  } else {
    cols = [s.files, s.files - s.ffree, s.ffree].map(String);
    percent = s.files !== 0 ? 100 - (100 * s.ffree) / s.files : 0;
  }
  // virt-df keeps the percentage in a C float.
  percent = Math.fround(percent);
  if (f.csv) {
    return [name, row.device, ...cols, percent.toFixed(1)].map(csvField).join(',') + '\n';
  }
  const label = `${name}:${row.device}`;
  const head = label.length <= 36 ? label.padEnd(36) : `${label}\n${' '.repeat(36)}`;
  const pct = `${String(Math.ceil(percent)).padStart(3)}%`;
  return `${head}${cols[0]!.padStart(10)} ${cols[1]!.padStart(10)} ${cols[2]!.padStart(10)} ${pct.padStart(5)}\n`;
}
