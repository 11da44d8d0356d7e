import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { parsePerlEdit } from '../../../../src/customize/perl-subst.js';

/** What virt-customize's canned Perl loop makes of CONTENT with EXPR. */
function perl(expr: string, content: string): string {
  return execFileSync('perl', ['-e', '$lineno = 0; $expr = $ENV{virt_edit_expr}; while (<STDIN>) { $lineno++; eval $expr; die if $@; print STDOUT $_ or die "print: $!"; } close STDOUT or die "close: $!";'], {
    input: Buffer.from(content, 'latin1'), env: { ...process.env, virt_edit_expr: expr }, encoding: 'latin1',
  });
}
const ours = (expr: string, content: string) => Buffer.from(parsePerlEdit(expr).applyFile(Buffer.from(content, 'latin1'))).toString('latin1');

const TEXT = 'root:x:0:0:root:/root:/bin/bash\n#PermitRootLogin yes\nPort 22\n  indented line  \nfoo foo FOO\n\nlast line without newline';

describe('--edit Perl substitutions', () => {
  const same = [
    's/foo/bar/', 's/foo/bar/g', 's/foo/bar/gi', 's/^#?PermitRootLogin.*/PermitRootLogin no/', 's/\\s+$//', 's/$/;/', 's/^/> /',
    's/(\\w+):x:(\\d+)/$2:$1/', 's{/bin/bash}{/bin/sh}', 's|/root|/home/root|g', 's#Port \\d+#Port 2222#', 's/o/0/g; s/0/o/',
    's/(?<n>\\d+)/[$+{n}]/g', 's/line/$lineno/', 's/\\bfoo\\b/X/g', 's/[[:upper:]]+/up/', 's/[^a-z]//g', 's/.*/\\U$&/'.replace('\\U', ''),
    's/ o + /0/gx', 's/ (\\d) /$1/x', "s'\\$x'y'", 's/\\x41/B/i', 's/a.c/X/s', 's/e$/E/m', 's/\\n//', 's/\\Z/!/', 's/\\A/^/', 's/\\z/|/',
    's/(o)(o)?/${1}-$2-/g', 's/\\//\\\\/g', 's/\\./DOT/g', 's/[]a]/Q/g', 's/x{2,}/Y/', 's/o{1}/0/', 's/\\t/TAB/', '$_ =~ s/root/admin/',
    "s/'/\"/g", 's/(a|b)+?/<$1>/', 's/(?:ro)+/R/', 's/(?=Port)/#/', 's/(?<=#)P/p/', 's/(?!x)r/R/',
  ];
  for (const expr of same) {
    it(`${expr} behaves as in Perl`, () => {
      expect(ours(expr, TEXT)).toBe(perl(expr, TEXT));
    });
  }

  it('keeps bytes that are not UTF-8', () => {
    const latin = 'caf\xe9\n\xff\xfe\n';
    expect(ours('s/caf./cafe/', latin)).toBe(perl('s/caf./cafe/', latin));
  });

  const refused: [string, RegExp][] = [
    ['s/a++/b/', /possessive/], ['s/(?>a)/b/', /atomic groups/], ['s/a/b/e', /\/e flag/], ['s/\\Ka/b/', /\\K/],
    ['s/(?i)a/b/', /inline modifiers/], ['s/$var/b/', /variable interpolation/], ['s/a/$var/', /variable \$var/],
    ['s/a/\\u$1/', /case modification/], ['tr/a-z/A-Z/', /tr\/\/\/ is not supported/], ['print "x"', /only s\/PATTERN/],
    ['s/a/b', /unterminated/], ['s/a/b/q', /\/q flag/], ['s//b/', /empty pattern/], ['s/\\p{L}/b/', /Unicode property/],
    ['s/a/b/ s/c/d/', /expected ';'/], ['s/[a/b/', /invalid pattern|unterminated/], ['s/a@foo/b/', /array interpolation/],
  ];
  for (const [expr, message] of refused) {
    it(`${expr} is refused`, () => {
      expect(() => parsePerlEdit(expr)).toThrow(message);
    });
  }
});
