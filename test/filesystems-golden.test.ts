/**
 * guestkit filesystems prints what virt-filesystems 1.48 printed on the same fixtures
 * (test/golden/filesystems/, made by capture.sh there): one case per NAME.args file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { fixture, GOLDEN } from './helpers/fixtures.js';

const DIR = join(GOLDEN, 'filesystems');
const cases = readdirSync(DIR).filter((f) => f.endsWith('.args')).map((f) => f.slice(0, -'.args'.length)).sort();

describe('guestkit filesystems against virt-filesystems', () => {
  it('has captured cases', () => expect(cases.length).toBeGreaterThanOrEqual(5));

  it.each(cases)('%s', async (name) => {
    const image = name.split('__')[0]!;
    const args = readFileSync(join(DIR, `${name}.args`), 'utf8').split('\n').filter(Boolean);
    const r = await runCli(['filesystems', '-a', fixture(image), ...args], { timeoutMs: 120_000 });
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toBe(readFileSync(join(DIR, `${name}.out`), 'utf8'));
  }, 150_000);
});
