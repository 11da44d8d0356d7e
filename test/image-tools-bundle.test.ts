/**
 * info, copy and serve run from their lean bundle (dist/bundle/image-tools.cjs,
 * tools/image-tools-cli.ts), which holds no other tool, and behave as they do in
 * the full CLI (cli.cjs): the same help, the same errors. Each tool has its own
 * code cache of it.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { ROOT, scratch } from './helpers/fixtures.js';
import { TOOLS } from '../tools/cli.js';
import { IMAGE_TOOL_NAMES } from '../tools/image-tool-names.js';

const BUNDLE = join(ROOT, 'dist', 'bundle');
const TIMING = { GUESTKIT_TIMING: '1' };

/** The full CLI bundle run on `args`, as the launcher would run it for any other tool. */
function fullCli(args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(BUNDLE, 'cli.cjs'))}).runCli()`, 'guestkit', ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('the image tools bundle', () => {
  const tmp = scratch();
  afterAll(() => tmp.cleanup());
  const raw = join(tmp.dir, 'small.raw');
  writeFileSync(raw, Buffer.alloc(1 << 20, 7));

  it('copy, serve and info compile it, not the full CLI; other tools still load cli.cjs', async () => {
    const copied = join(tmp.dir, 'copy.qcow2');
    const runs = [
      await runCli(['copy', '-O', 'qcow2', raw, copied], { env: TIMING }),
      await runCli(['serve', '--run', 'true', raw], { env: TIMING }),
      await runCli(['info', copied], { env: TIMING }),
    ];
    for (const r of runs) {
      expect(r.status, r.err).toBe(0);
      expect(r.err).toContain('image tools bundle compiled (code cache used)');
      expect(r.err).not.toContain('cli bundle');
    }
    expect(runs[2]!.out).toContain('file format: qcow2\n');
    const other = await runCli(['df', '--help'], { env: TIMING });
    expect(other.err).toContain('cli bundle compiled');
    expect(other.err).not.toContain('image tools bundle');
  });

  it('prints the same help and the same errors as the full CLI', async () => {
    for (const args of [['copy', '--help'], ['serve', '--help'], ['info', '--help'], ['copy'], ['info', '--bogus'], ['serve', '--rw', '--in-place', raw]]) {
      const lean = await runCli(args);
      expect(lean.err).not.toContain('\n    at ');
      expect({ status: lean.status, out: lean.out, err: lean.err }, args.join(' ')).toEqual(fullCli(args));
    }
  });

  it('holds info, copy and serve and no other tool, at a fraction of the full bundle', () => {
    const text = readFileSync(join(BUNDLE, 'image-tools.cjs'), 'latin1');
    for (const name of IMAGE_TOOL_NAMES) expect(text).toContain(`"tools/${name}/${name}-tool.ts"`);
    const others = TOOLS.map(([name]) => name).filter((name) => !(IMAGE_TOOL_NAMES as readonly string[]).includes(name));
    expect(others.length).toBeGreaterThan(15);
    for (const name of others) expect(text, name).not.toContain(`"tools/${name}/`);
    expect(text).not.toContain('"tools/cli.ts"');
    expect(statSync(join(BUNDLE, 'image-tools.cjs')).size).toBeLessThan(statSync(join(BUNDLE, 'cli.cjs')).size * 0.8);
  });

  it("has a code cache per tool: copy's and serve's do not carry info's library", () => {
    const caches = readdirSync(BUNDLE).filter((f) => f.startsWith('image-tools.') && f.endsWith('.v8cache'));
    const sizeOf = (tool: string) => {
      const named = caches.filter((f) => f.startsWith(`image-tools.${tool}.`));
      expect(named, tool).toHaveLength(1);
      return statSync(join(BUNDLE, named[0]!)).size;
    };
    expect(caches).toHaveLength(IMAGE_TOOL_NAMES.length);
    expect(sizeOf('copy')).toBeLessThan(sizeOf('info') * 0.7);
    expect(sizeOf('serve')).toBeLessThan(sizeOf('info') * 0.7);
  });
});
