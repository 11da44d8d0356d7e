/**
 * virt-filesystems' table and CSV. The table is aligned on the widest cell of each
 * column (an empty cell prints as "-"); a column no row fills is dropped; columns are
 * two spaces apart unless that takes the line past 72 characters, then one.
 */
import { csvField } from '../../src/util/csv.js';
import { humanReadable } from '../../src/util/human.js';
import type { Columns, Row } from './filesystems-compute.js';

export interface OutputFormat extends Columns {
  csv: boolean;
  human: boolean;
  title: boolean;
}

/** A cell: undefined means absent (blank in CSV, "-" in the table), as a NULL is in virt-filesystems. */
type Cell = string | undefined;

/** virt-filesystems 1.48 sizes its spacing for 8 columns, whether shown or not. */
const ALL_COLUMNS = 8;

function headings(f: OutputFormat): string[] {
  if (!f.long) return ['Name'];
  return ['Name', 'Type', ...(f.vfs ? ['VFS', 'Label'] : []), ...(f.mbr ? ['MBR'] : []), 'Size', 'Parent', ...(f.uuid ? ['UUID'] : [])];
}

function cells(row: Row, f: OutputFormat): Cell[] {
  if (!f.long) return [row.name];
  const size = row.size === undefined ? undefined : f.human ? humanReadable(row.size) : String(row.size);
  return [
    row.name,
    row.type,
    ...(f.vfs ? [row.vfsType, row.label] : []),
    ...(f.mbr ? [row.mbrId === undefined ? undefined : row.mbrId.toString(16).padStart(2, '0')] : []),
    size,
    row.parents.join(','),
    ...(f.uuid ? [row.uuid] : []),
  ];
}

export function formatRows(rows: Row[], f: OutputFormat): string {
  const table: Cell[][] = [...(f.title ? [headings(f)] : []), ...rows.map((r) => cells(r, f))];
  if (f.csv) return table.map((r) => r.map((c) => (c === undefined ? '' : csvField(c))).join(',') + '\n').join('');
  const width: number[] = [];
  for (const r of table) {
    r.forEach((c, i) => {
      if (c !== undefined) width[i] = Math.max(width[i] ?? 0, Buffer.byteLength(c) || 1);
    });
  }
  const shown = width.reduce((n, w) => n + (w ?? 0), 0);
  const gap = shown + 2 * ALL_COLUMNS > 72 ? 1 : 2;
  return table
    .map((r) => {
      let line = '';
      let pad = 0;
      r.forEach((c, i) => {
        if (!width[i]) return;
        const text = c === undefined || c === '' ? '-' : c;
        line += ' '.repeat(pad) + text;
        pad = width[i]! - Buffer.byteLength(text) + gap;
      });
      return line + '\n';
    })
    .join('');
}
