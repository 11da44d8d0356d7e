/**
 * Comparing two sides as virt-diff does: a merge of the two file lists by path (byte
 * order, over lists in visitor order, exactly as virt-diff walks them), giving one change
 * per path that was removed, added, or differs in content or in metadata.
 */
import { byteOrder } from '../../src/util/byte-order.js';
import { isReg, type GuestFile, type Statns, type Xattr } from './diff-walk.js';

export type Change =
  | { kind: 'deleted'; file: GuestFile }
  | { kind: 'added'; file: GuestFile }
  /** Content changed (size, mtime or ctime of a regular file, or its checksum). */
  | { kind: 'content'; a: GuestFile; b: GuestFile }
  /** Metadata changed: `fields` names what differs among those virt-diff reports. */
  | { kind: 'stats'; a: GuestFile; b: GuestFile; fields: string[] };

/** Every statns field, in the order libguestfs compares them. */
const ALL_FIELDS = [
  'st_dev', 'st_ino', 'st_mode', 'st_nlink', 'st_uid', 'st_gid', 'st_rdev', 'st_size', 'st_blksize', 'st_blocks',
  'st_atime_sec', 'st_atime_nsec', 'st_mtime_sec', 'st_mtime_nsec', 'st_ctime_sec', 'st_ctime_nsec',
  'st_spare1', 'st_spare2', 'st_spare3', 'st_spare4', 'st_spare5', 'st_spare6',
];
/** The fields a "# changed:" line can name (device and inode are compared but never named). */
const REPORTED_FIELDS = [
  'st_mode', 'st_nlink', 'st_uid', 'st_gid', 'st_rdev', 'st_size', 'st_blksize', 'st_blocks',
  'st_atime_sec', 'st_mtime_sec', 'st_ctime_sec',
];

const statsDiffer = (a: Statns, b: Statns) => ALL_FIELDS.some((f) => (a[f] ?? 0) !== (b[f] ?? 0));

function xattrsDiffer(a: Xattr[], b: Xattr[]): boolean {
  return a.length !== b.length || a.some((x, i) => x.attrname !== b[i]!.attrname || x.attrval !== b[i]!.attrval);
}

function compareFile(a: GuestFile, b: GuestFile): Change | undefined {
  const st = statsDiffer(a.stat, b.stat) || xattrsDiffer(a.xattrs, b.xattrs);
  // Checksums count only when the metadata is the same.
  const csumDiffers = !st && a.csum !== undefined && b.csum !== undefined && a.csum !== b.csum;
  const regularChanged = isReg(a.stat.st_mode!) && isReg(b.stat.st_mode!) &&
    (a.stat.st_mtime_sec !== b.stat.st_mtime_sec || a.stat.st_ctime_sec !== b.stat.st_ctime_sec || a.stat.st_size !== b.stat.st_size);
  if (csumDiffers || regularChanged) return { kind: 'content', a, b };
  if (!st) return undefined;
  const fields = REPORTED_FIELDS.filter((f) => a.stat[f] !== b.stat[f]);
  if (xattrsDiffer(a.xattrs, b.xattrs)) fields.push('xattrs');
  return { kind: 'stats', a, b, fields };
}

export function compareTrees(side1: GuestFile[], side2: GuestFile[]): Change[] {
  const changes: Change[] = [];
  let i = 0, j = 0;
  while (i < side1.length || j < side2.length) {
    if (j >= side2.length) {
      changes.push({ kind: 'deleted', file: side1[i++]! });
    } else if (i >= side1.length) {
      changes.push({ kind: 'added', file: side2[j++]! });
    } else {
      const c = byteOrder(side1[i]!.path, side2[j]!.path);
      if (c < 0) changes.push({ kind: 'deleted', file: side1[i++]! });
      else if (c > 0) changes.push({ kind: 'added', file: side2[j++]! });
      else {
        const ch = compareFile(side1[i++]!, side2[j++]!);
        if (ch) changes.push(ch);
      }
    }
  }
  return changes;
}
