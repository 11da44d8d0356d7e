/**
 * guestkit diff prints what virt-diff prints. test/golden/diff holds the real virt-diff's
 * output for each case of cases.txt, run on the fixture pair diff-a.img / diff-b.img
 * (fixtures/make-diff.sh): stdout byte for byte and the exit status are compared; stderr
 * only for being one line (the program name differs). Read-only: the images are unchanged.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { goldenCases } from './helpers/golden-cases.js';
import { FIXTURES, GOLDEN, scratch, sha256 } from './helpers/fixtures.js';

const { read, cases: CASES } = goldenCases(join(GOLDEN, 'diff'));

const haveQemu = spawnSync('sh', ['-c', 'command -v qemu-system-x86_64']).status === 0;

/** Cases where guestkit differs on purpose (see test/golden/diff/NOTES.md). */
const DIFFERENT = new Set(['extra-stats']);

/**
 * A golden whose two libguestfs appliances numbered the disk differently (8:0 and 8:16), as
 * it would read had they agreed on 8:0, guestkit's number: dev columns read 8:0, st_dev leaves
 * the "# changed:" lines, and a -/+/# triple that only st_dev made goes.
 */
function withoutDevNoise(text: string): string {
  const lines = text.replace(/ 8:16 /g, ' 8:0 ').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const changed = lines[i + 2];
    if (lines[i]!.startsWith('- ') && lines[i + 1]?.startsWith('+ ') && changed?.startsWith('# changed:')) {
      const fields = changed.split(' ').slice(2).filter((f) => f !== 'st_dev');
      if (fields.length === 0 && lines[i]!.slice(2) === lines[i + 1]!.slice(2)) { i += 2; continue; }
      out.push(lines[i]!, lines[i + 1]!, ['#', 'changed:', ...fields].join(' '));
      i += 2;
      continue;
    }
    out.push(lines[i]!);
  }
  return out.join('\n');
}

describe.runIf(existsSync(join(FIXTURES, 'diff-b.img')))('guestkit diff replays virt-diff', () => {
  it.each(CASES.filter(([n]) => !DIFFERENT.has(n)))('%s', async (name, args) => {
    const now = read(name, 'now');
    const r = await runCli(['diff', ...args], { cwd: FIXTURES, env: now ? { GUESTKIT_NOW: now.trim() } : {}, timeoutMs: 60000 });
    expect(r.out).toBe(read(name, 'out'));
    expect(r.status).toBe(Number(read(name, 'rc') ?? 0));
    if (r.status !== 0) expect(r.err.trim().split('\n')).toHaveLength(1);
    else expect(r.err).toBe('');
  });

  it('--xattrs on the wasm backend: a one-line "not supported" error, exit 1, nothing on stdout', async () => {
    const r = await runCli(['diff', '--backend=wasm', '-a', 'diff-a.img', '-A', 'diff-b.img', '--xattrs'], { cwd: FIXTURES });
    expect(r.status).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^guestkit diff: error: (lgetxattrs|lxattrlist): \/: extended attributes of ext\d filesystems: not supported by the wasm backend: use --backend=appliance\n$/);
  });

  it('extra-stats (a golden where libguestfs numbered the two disks differently, read without that)', async () => {
    const r = await runCli(['diff', '-a', 'diff-a.img', '-A', 'diff-b.img', '--extra-stats'], { cwd: FIXTURES, timeoutMs: 60000 });
    expect(r.out).toBe(withoutDevNoise(read('extra-stats', 'out')!));
    expect(r.status).toBe(0);
  });

  it.runIf(haveQemu)('--xattrs (auto picks the appliance): extended attributes as virt-diff --xattrs shows them', async () => {
    // Copies of the pair with xattrs set by debugfs: one changed value, one added attribute.
    const { dir, cleanup } = scratch();
    try {
      for (const [img, cmds] of [['diff-a.img', ['ea_set /etc/motd user.origin alpha']], ['diff-b.img', ['ea_set /etc/motd user.origin beta', 'ea_set /etc/passwd security.note keep']]] as const) {
        copyFileSync(join(FIXTURES, img), join(dir, img));
        for (const c of cmds) execFileSync('debugfs', ['-w', '-R', c, join(dir, img)], { stdio: 'ignore' });
      }
      const r = await runCli(['diff', '--xattrs', '-a', 'diff-a.img', '-A', 'diff-b.img'], { cwd: dir, timeoutMs: 600000 });
      expect(r.err).toBe('');
      expect(r.out).toBe(read('xattrs-ea', 'out'));
    } finally {
      cleanup();
    }
  }, 600000);

  it.runIf(haveQemu)('on the appliance backend too (basic)', async () => {
    const r = await runCli(['diff', '--backend=appliance', '-a', 'diff-a.img', '-A', 'diff-b.img'], { cwd: FIXTURES, timeoutMs: 600000 });
    expect(r.out).toBe(read('basic', 'out'));
    expect(r.status).toBe(0);
  }, 600000);

  it('a qcow2 second side, with --format before -A and probed: the same output as raw', async () => {
    const { dir, cleanup } = scratch();
    try {
      const q = join(dir, 'diff-b.qcow2');
      spawnSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', join(FIXTURES, 'diff-b.img'), q]);
      for (const args of [['--format=raw', '-a', 'diff-a.img', '--format=qcow2', '-A', q], ['-a', 'diff-a.img', '-A', q]]) {
        const r = await runCli(['diff', ...args], { cwd: FIXTURES, timeoutMs: 60000 });
        expect(r.out).toBe(read('basic', 'out'));
        expect(r.status).toBe(0);
      }
    } finally {
      cleanup();
    }
  });

  it('leaves both images byte-identical', async () => {
    const before = [sha256(join(FIXTURES, 'diff-a.img')), sha256(join(FIXTURES, 'diff-b.img'))];
    const r = await runCli(['diff', '-a', 'diff-a.img', '-A', 'diff-b.img', '--checksum'], { cwd: FIXTURES, timeoutMs: 60000 });
    expect(r.status).toBe(0);
    expect([sha256(join(FIXTURES, 'diff-a.img')), sha256(join(FIXTURES, 'diff-b.img'))]).toEqual(before);
  });

  it('a side with no operating system: one-line error, exit 1', async () => {
    const r = await runCli(['diff', '-a', 'diff-a.img', '-A', 'ext4.img'], { cwd: FIXTURES, timeoutMs: 60000 });
    expect(r.status).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});
