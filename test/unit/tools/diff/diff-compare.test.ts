/** compareTrees and changeLines on hand-made trees: the cases the fixture pair does not reach. */
import { describe, expect, it } from 'vitest';
import { compareTrees } from '../../../../tools/diff/diff-compare.js';
import { changeLines, type DiffFormat } from '../../../../tools/diff/diff-output.js';
import type { GuestFile } from '../../../../tools/diff/diff-walk.js';

const stat = (mode: number, extra: Record<string, number> = {}) => ({
  st_dev: 2048, st_ino: 12, st_mode: mode, st_nlink: 1, st_uid: 0, st_gid: 0, st_rdev: 0, st_size: 5, st_blksize: 4096,
  st_blocks: 8, st_atime_sec: 0, st_atime_nsec: 0, st_mtime_sec: 1700000000, st_mtime_nsec: 0, st_ctime_sec: 1700000000,
  st_ctime_nsec: 0, ...extra,
});
const file = (path: string, mode = 0o100644, extra: Record<string, number> = {}, more: Partial<GuestFile> = {}): GuestFile =>
  ({ path, stat: stat(mode, extra), xattrs: [], ...more });
const plain: DiffFormat = { csv: false, human: false, uids: false, times: false, atime: false, extraStats: false, xattrs: true, now: 0 };

describe('compareTrees', () => {
  it('merges the visitor order as if it were sorted, as virt-diff does', () => {
    // Pre-order puts "/a/x" before "/a b", strcmp the other way round: "/a b", on both
    // sides, then reads as added and removed too.
    const side = [file('/'), file('/a', 0o40755), file('/a/x'), file('/a b')];
    const other = [file('/'), file('/a', 0o40755), file('/a b')];
    const show = (from: GuestFile[], to: GuestFile[]) => compareTrees(from, to).map((c) => `${c.kind} ${'file' in c ? c.file.path : c.a.path}`);
    expect(show(side, other)).toEqual(['added /a b', 'deleted /a/x', 'deleted /a b']);
    expect(show(side, side)).toEqual([]);
  });

  it('a checksum counts only when the metadata is equal', () => {
    const a = file('/f', 0o100644, {}, { csum: 'aa' });
    expect(compareTrees([a], [file('/f', 0o100644, {}, { csum: 'bb' })])[0]!.kind).toBe('content');
    const moved = compareTrees([a], [file('/f', 0o100644, { st_ino: 13 }, { csum: 'bb' })])[0]!;
    expect(moved).toMatchObject({ kind: 'stats', fields: [] });
  });

  it('names the changed fields, never st_dev or st_ino; xattrs last', () => {
    const c = compareTrees([file('/d', 0o40755)], [file('/d', 0o40700, { st_dev: 2064, st_nlink: 3 }, { xattrs: [{ attrname: 'user.x', attrval: '\x01"' }] })]);
    expect(c).toMatchObject([{ kind: 'stats', fields: ['st_mode', 'st_nlink', 'xattrs'] }]);
    expect(changeLines(c[0]!, plain)).toBe(
      '- d 0755          5 /d\n+ d 0700          5 /d user.x \\x01"\n# changed: st_mode st_nlink xattrs\n');
    expect(changeLines(c[0]!, { ...plain, csv: true })).toBe('-,d,0755,5,/d\n+,d,0700,5,/d,user.x,"\\x 1"""\n#,changed:,st_mode,st_nlink,xattrs\n');
  });

  it('equal trees give no changes', () => {
    const t = [file('/'), file('/etc', 0o40755), file('/etc/x')];
    expect(compareTrees(t, t.map((f) => ({ ...f })))).toEqual([]);
  });
});
