/**
 * The host-side reimplementations behind grep, strings-e and hexdump against the
 * real GNU tools on this machine (what the libguestfs appliance runs): the same
 * inputs must give the same lines. Skipped where a tool is missing.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hexdumpCanonical } from '../src/util/hexdump.js';
import { grepMatcher, type GrepOptions } from '../src/util/posix-regex.js';
import { scanStrings } from '../src/util/strings-scan.js';
import { seededRandom } from '../src/util/seeded-random.js';

const have = (tool: string) => spawnSync(tool, ['--version']).status === 0;

function lines(out: Buffer): string[] {
  const text = out.toString('utf8');
  const parts = text.split('\n');
  if (text.endsWith('\n')) parts.pop();
  return text === '' ? [] : parts;
}

const TEXT = ['abc', 'ABC', 'foo bar', 'abc123', 'a.c', 'a+b', 'a{2}', 'aa', 'x*y', '*star', '^caret', 'dollar$', 'tab\there',
  'back\\slash', '(paren)', 'a|b', 'word boundary', 'under_score9', '', 'end.'].join('\n') + '\n';

const PATTERNS: [string, GrepOptions][] = [
  ['abc', {}], ['a.c', {}], ['a.c', { fixed: true }], ['a+b', {}], ['a+b', { extended: true }], ['a\\+b', {}],
  ['a{2}', {}], ['a{2}', { extended: true }], ['a\\{2\\}', {}], ['^a', {}], ['c$', {}], ['*star', {}], ['x*y', {}],
  ['^\\^', {}], ['\\$$', {}], ['a^', {}], ['$d', {}], ['(paren)', {}], ['\\(p\\)aren', {}], ['(p)aren', { extended: true }],
  ['a|b', {}], ['a|b', { extended: true }], ['a\\|b', {}], ['[[:upper:]]', {}], ['[[:digit:]]$', {}], ['[^a-z ]', {}],
  ['[]a]', {}], ['[\\]', {}], ['\\<word', {}], ['ary\\>', {}], ['\\bbound', {}], ['\\w\\W\\w', {}], ['abc', { insensitive: true }],
  ['A.C', { insensitive: true, fixed: true }], ['^$', {}], ['^(abc|foo)', { extended: true }], ['\\(a\\)\\1', {}],
  ['tab\there', {}], ['x*', {}], ['foo\nend', {}], ['a{1,2}', { extended: true }], ['?', { extended: true }], ['*star', { extended: true }], ['{2}', { extended: true }], ['a|*b', { extended: true }], ['(*b)', { extended: true }],
];

describe.skipIf(!have('grep'))('grep translation against GNU grep', () => {
  it.each(PATTERNS)('%s %o', (pattern, opts) => {
    const flags = [opts.extended ? '-E' : opts.fixed ? '-F' : '-G', ...(opts.insensitive ? ['-i'] : []), '-e', pattern];
    const real = spawnSync('grep', flags, { input: TEXT });
    expect(real.status === 0 || real.status === 1).toBe(true);
    const re = grepMatcher(pattern, opts);
    expect(TEXT.slice(0, -1).split('\n').filter((l) => re.test(l))).toEqual(lines(real.stdout));
  });
});

describe.skipIf(!have('strings'))('strings-e against GNU strings', () => {
  const rnd = seededRandom(10);
  // Printable text in 8-, 16- and 32-bit forms at odd offsets, mixed with random bytes.
  const pieces: Buffer[] = [];
  for (let i = 0; i < 40; i++) {
    const word = `w${i}-text\t${'x'.repeat(i % 7)}`;
    pieces.push(Buffer.from([Math.floor(rnd() * 256)]));
    pieces.push(i % 3 === 0 ? Buffer.from(word) : i % 3 === 1 ? Buffer.from(word, 'utf16le') : Buffer.from(word, 'utf16le').swap16());
    pieces.push(randomBytes(0));
    pieces.push(Buffer.from([0x80 + i, 0, 0, 0, 0x41, 0, 0, 0, 0x42, 0, 0, 0, 0x43, 0, 0, 0, 0x44, 0, 0, 0]));
  }
  const data = Buffer.concat(pieces);
  it.each(['s', 'S', 'l', 'b', 'L', 'B'])('-e %s', (enc) => {
    const real = spawnSync('strings', ['-a', '-e', enc], { input: data });
    expect(real.status).toBe(0);
    const ours = scanStrings(data, enc);
    if (enc === 'S') {
      // 8-bit runs: compare bytes (ours decodes them as UTF-8 text).
      expect(ours.length).toBe(lines(real.stdout).length);
    } else {
      expect(ours).toEqual(lines(real.stdout));
    }
  });
});

describe.skipIf(!have('hexdump'))('hexdump -C against util-linux hexdump', () => {
  const cases: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)], ['short', Buffer.from('hello')], ['one line', Buffer.from('0123456789abcdef')],
    ['zeros with a tail', Buffer.concat([Buffer.alloc(100), Buffer.from('end')])], ['repeats at the end', Buffer.alloc(64, 7)],
    ['binary', randomBytes(300)], ['repeat then change', Buffer.concat([Buffer.alloc(48, 1), Buffer.alloc(16, 2), Buffer.alloc(48, 1)])],
  ];
  it.each(cases)('%s', (_name, data) => {
    const real = spawnSync('hexdump', ['-C'], { input: data });
    expect(hexdumpCanonical(data)).toBe(real.stdout.toString('latin1'));
  });
});
