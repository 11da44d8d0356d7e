/**
 * The shell's own wording, replayed against guestfish 1.48 (captured with no
 * drives, so no appliance was involved): parse errors, unknown commands, wrong
 * argument counts and kinds, and the fish-only commands that need no disk
 * (test/golden/guestfish__parse-err__*, guestfish__fishonly__*, guestfish__unknown_cmd).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { GOLDEN } from './helpers/fixtures.js';

const read = (name: string, ext: string, fallback: string) => {
  const f = join(GOLDEN, `${name}.${ext}`);
  return existsSync(f) ? readFileSync(f, 'utf8') : fallback;
};

const CASES = readdirSync(GOLDEN)
  .filter((f) => /^guestfish__(parse-err|fishonly)__.*\.gf$/.test(f))
  .map((f) => f.slice(0, -3))
  // Lines printed by libguestfs itself ("*stdin*:N: libguestfs: error: ...") are the library's, not the shell's.
  .filter((name) => !read(name, 'err', '').includes('libguestfs: error:'));

describe('the shell prints what guestfish prints', () => {
  it('has the captured cases', () => expect(CASES.length).toBeGreaterThan(35));

  it.each(CASES)('%s', async (name) => {
    const r = await runCli(['fish'], { input: readFileSync(join(GOLDEN, `${name}.gf`), 'utf8'), cwd: '/tmp' });
    expect({ out: r.out, err: r.err, rc: r.status }).toEqual({
      out: read(name, 'out', ''),
      err: read(name, 'err', ''),
      rc: Number(read(name, 'rc', '0').trim()),
    });
  });
});
