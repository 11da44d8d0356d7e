/**
 * Options with an optional value take it only when attached, as getopt_long does in
 * the virt tools: `--checksum /etc` is md5 of /etc, `--checksum=sha256 /etc` is sha256.
 * Regression for "missing required argument 'directories'" from ls -lR --checksum /etc.
 */
import { describe, expect, it } from 'vitest';
import { Command, Option } from 'commander';
import { attachedOptionalValues } from '../tools/common/attached-values.js';
import { runCli } from './helpers/cli.js';
import { fixture } from './helpers/fixtures.js';

function parse(argv: string[], preset?: string): { dirs: string[]; opts: Record<string, unknown> } {
  const got = { dirs: [] as string[], opts: {} as Record<string, unknown> };
  const opt = new Option('-c, --checksum [type]');
  if (preset) opt.preset(preset);
  const cmd = new Command('t').argument('<dirs...>').addOption(opt).option('-l, --long').exitOverride();
  cmd.action((dirs: string[], o: Record<string, unknown>) => {
    got.dirs = dirs;
    got.opts = o;
  });
  attachedOptionalValues(cmd).parse(argv, { from: 'user' });
  return got;
}

describe('optional option values (getopt_long)', () => {
  it('a bare flag takes no value: the next word stays an operand', () => {
    expect(parse(['--checksum', '/etc'])).toEqual({ dirs: ['/etc'], opts: { checksum: true } });
    expect(parse(['-l', '--checksum', '/etc', '/usr'])).toEqual({ dirs: ['/etc', '/usr'], opts: { checksum: true, long: true } });
    expect(parse(['--checksum', '/etc'], 'md5').opts).toEqual({ checksum: 'md5' });
    expect(parse(['-c', '/etc'])).toEqual({ dirs: ['/etc'], opts: { checksum: true } });
  });

  it('an attached value is the value', () => {
    expect(parse(['--checksum=sha256', '/etc'])).toEqual({ dirs: ['/etc'], opts: { checksum: 'sha256' } });
    expect(parse(['-csha1', '/etc'])).toEqual({ dirs: ['/etc'], opts: { checksum: 'sha1' } });
  });

  it('after -- a flag-looking word is an operand', () => {
    expect(parse(['--', '--checksum'])).toEqual({ dirs: ['--checksum'], opts: {} });
  });

  it('every tool: ls -lR --checksum DIR is md5 of DIR; --checksum=TYPE picks the type; diff takes --checksum bare', async () => {
    const img = fixture('fedora.img');
    const bare = await runCli(['ls', '--backend=wasm', '-a', img, '-lR', '--checksum', '/etc'], { timeoutMs: 60_000 });
    expect(bare.err).toBe('');
    expect(bare.status).toBe(0);
    const md5 = await runCli(['ls', '--backend=wasm', '-a', img, '-lR', '--checksum=md5', '/etc'], { timeoutMs: 60_000 });
    expect(bare.out).toBe(md5.out);
    expect(bare.out).toMatch(/^- 0644 +26 0538e18d94d885844885f9117fc5483d \/etc\/fedora-release$/m);
    const sha = await runCli(['ls', '--backend=wasm', '-a', img, '-lR', '--checksum=sha256', '/etc'], { timeoutMs: 60_000 });
    expect(sha.out).toMatch(/^- 0644 +26 [0-9a-f]{64} \/etc\/fedora-release$/m);
    const diff = await runCli(['diff', '--backend=wasm', '--checksum', '-a', img, '-A', img], { timeoutMs: 60_000 });
    expect(diff.err).toBe('');
    expect(diff.status).toBe(0);
  }, 240_000);
});
