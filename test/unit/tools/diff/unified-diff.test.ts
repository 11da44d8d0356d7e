/**
 * The unified diff body matches GNU diff's `diff -u A B | tail -n +3` (what virt-diff
 * prints): checked here on fixed cases, with the expected text written out, and against
 * the host's GNU diff when it is installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiffBody } from '../../../../tools/diff/unified-diff.js';

const body = (a: string, b: string) => unifiedDiffBody(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));

describe('unifiedDiffBody', () => {
  it('one changed line in the middle: three lines of context each side', () => {
    const a = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\n';
    const b = 'l1\nl2\nl3\nl4\nL5\nl6\nl7\nl8\nl9\n';
    expect(body(a, b)).toBe('@@ -2,7 +2,7 @@\n l2\n l3\n l4\n-l5\n+L5\n l6\n l7\n l8\n');
  });

  it('changes 7 lines apart make two hunks, 6 apart one', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `x${i}\n`);
    const edit = (gap: number) => lines.map((l, i) => (i === 2 || i === 3 + gap ? `y${i}\n` : l)).join('');
    expect(body(lines.join(''), edit(7)).match(/^@@/gm)).toHaveLength(2);
    expect(body(lines.join(''), edit(6)).match(/^@@/gm)).toHaveLength(1);
  });

  it('a missing final newline is marked, on either side', () => {
    expect(body('a\nb', 'a\nb\n')).toBe('@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n');
  });

  it('from and to an empty file: the empty side is numbered 0,0', () => {
    expect(body('', 'new\n')).toBe('@@ -0,0 +1 @@\n+new\n');
    expect(body('old\nold2\n', '')).toBe('@@ -1,2 +0,0 @@\n-old\n-old2\n');
  });

  it('equal contents and binary contents print nothing', () => {
    expect(body('same\n', 'same\n')).toBe('');
    expect(body('bin\0a', 'bin\0b')).toBe('');
  });

  it('bytes that are not UTF-8 pass through unchanged', () => {
    expect(body('\xff\xfe\n', '\xfe\xff\n')).toBe('@@ -1 +1 @@\n-\xff\xfe\n+\xfe\xff\n');
  });

  const gnuDiff = spawnSync('diff', ['--version']).stdout?.toString().includes('GNU diffutils');
  // Known gap (test/golden/diff/NOTES.md): where a change can be placed in several equally
  // good spots among repeated lines, GNU diff sometimes picks another spot; lines here repeat rarely.
  it.runIf(gnuDiff)('agrees with GNU diff on generated edits of config-like text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'guestkit-udiff-'));
    try {
      let seed = 7;
      const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
      for (let t = 0; t < 60; t++) {
        // Config-file-like lines: distinct keys, an occasional blank line.
        const a = Array.from({ length: 5 + rnd(60) }, (_, i) => (rnd(25) === 0 ? '' : `key${i} = ${rnd(1000)}`));
        const b = a.slice();
        for (let e = 1 + rnd(5); e > 0; e--) {
          const p = rnd(b.length + 1);
          if (rnd(3) === 0) b.splice(p, 1);
          else if (rnd(2)) b.splice(p, 0, `added ${rnd(100)}`);
          else b[p] = `changed ${rnd(100)}`;
        }
        const ta = a.join('\n') + '\n', tb = b.join('\n') + (rnd(5) ? '\n' : '');
        writeFileSync(join(dir, 'a'), ta);
        writeFileSync(join(dir, 'b'), tb);
        const want = spawnSync('sh', ['-c', `diff -u '${dir}/a' '${dir}/b' | tail -n +3`]).stdout.toString('latin1');
        expect(body(ta, tb)).toBe(want);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
