/**
 * Many read-only tools on one image at once: 32 processes on the wasm backend
 * (cat, ls -lR, inspect, filesystems, df, mixed) and 4 on the appliance, all
 * started together. Each must print exactly what the same tool prints alone,
 * and the image must not change by a byte.
 */
import { describe, expect, it } from 'vitest';
import { haveQemu } from '../helpers/backends.js';
import { runCli } from '../helpers/cli.js';
import { fixture, sha256 } from '../helpers/fixtures.js';

const IMAGE = fixture('ubuntu.img');

const TOOLS: string[][] = [
  ['cat', '-a', IMAGE, '/etc/os-release'],
  ['ls', '-lR', '-a', IMAGE, '/etc'],
  ['inspect', '-a', IMAGE, '--no-applications'],
  ['filesystems', '-a', IMAGE, '--all', '--long'],
  ['df', '-a', IMAGE],
];

async function alone(backend: string): Promise<string[]> {
  const out: string[] = [];
  for (const args of TOOLS) {
    const r = await runCli([...args, `--backend=${backend}`], { timeoutMs: 120_000 });
    expect(r.err, args.join(' ')).toBe('');
    expect(r.status).toBe(0);
    out.push(r.out);
  }
  return out;
}

async function together(backend: string, n: number, expected: string[]): Promise<void> {
  const before = sha256(IMAGE);
  const runs = Array.from({ length: n }, (_, i) => {
    const which = i % TOOLS.length;
    return runCli([...TOOLS[which]!, `--backend=${backend}`], { timeoutMs: 300_000 }).then((r) => ({ which, r }));
  });
  for (const { which, r } of await Promise.all(runs)) {
    const what = `${TOOLS[which]!.join(' ')} --backend=${backend}`;
    expect(r.err, what).toBe('');
    expect(r.status, what).toBe(0);
    expect(r.out, what).toBe(expected[which]);
  }
  expect(sha256(IMAGE), 'the image changed').toBe(before);
}

describe('concurrent read-only tools on one image', () => {
  it('32 at once on the wasm backend print what each prints alone', async () => {
    await together('wasm', 32, await alone('wasm'));
  }, 300_000);

  it.runIf(haveQemu)('4 at once on the appliance backend print what each prints alone', async () => {
    const expected = await alone('wasm'); // the backends agree (test/backend-matrix.test.ts)
    await together('appliance', 4, expected);
  }, 600_000);
});
