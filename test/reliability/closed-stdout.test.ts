/**
 * Every tool ends silently on a closed standard output, dying of SIGPIPE as the
 * virt tools do (virt-cat … | head -c 8 reports status 141 in the shell).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { fixture, ROOT } from '../helpers/fixtures.js';

const SIGPIPE_STATUS = 141;

/** Runs `guestkit ARGS | READER` in bash: guestkit's status and its stderr. */
function pipeInto(reader: string, args: string[]): { status: number; err: string } {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `"${process.execPath}" "${CLI}" ${quoted} 2>"$ERRFILE" | ${reader} >/dev/null; echo "\${PIPESTATUS[0]}"; cat "$ERRFILE"; rm -f "$ERRFILE"`;
  const r = spawnSync('bash', ['-c', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ERRFILE: `/tmp/guestkit-epipe-${process.pid}-${Math.random().toString(36).slice(2)}`, GUESTKIT_BACKEND: 'wasm' },
    timeout: 60_000,
  });
  const [status, ...err] = r.stdout.split('\n');
  return { status: Number(status), err: err.join('\n').trim() };
}

const TOOLS: [string, string[]][] = [
  ['cat', ['cat', '-a', fixture('ext4.img'), '-m', '/dev/sda', '/home/user/docs/numbers.txt']],
  ['ls', ['ls', '-lR', '-a', fixture('ext4.img'), '-m', '/dev/sda', '/']],
  ['df', ['df', '-a', fixture('ext4.img')]],
  ['inspect', ['inspect', '-a', fixture('alpine.img')]],
  ['diff', ['diff', '-a', fixture('diff-a.img'), '-A', fixture('diff-b.img')]],
  ['fish', ['fish', '--ro', '-a', fixture('ext4.img'), '-m', '/dev/sda', 'cat', '/home/user/docs/numbers.txt']],
  ['customize --help', ['customize', '--help']],
  ['inspect (qcow2)', ['inspect', '-a', fixture('debian.qcow2')]],
];

describe('closed standard output', () => {
  it('cat of a 2.6 MB file into head -c 1 dies of SIGPIPE after the first bytes, silently', () => {
    const r = pipeInto('head -c 1', TOOLS[0]![1]);
    expect(r.err).toBe('');
    expect(r.status).toBe(SIGPIPE_STATUS);
  });

  for (const [name, args] of TOOLS) {
    it(`${name} | head -c 1 ends quietly`, () => {
      const r = pipeInto('head -c 1', args);
      expect(r.err).toBe('');
      expect([0, SIGPIPE_STATUS]).toContain(r.status);
    });

    it(`${name} into a reader that already left ends quietly`, () => {
      // `true` exits before guestkit's first write, so every write meets EPIPE.
      const r = pipeInto('true', args);
      expect(r.err).toBe('');
      // commander prints --help in one write and exits 0 before the EPIPE event.
      expect(name.endsWith('--help') ? [0, SIGPIPE_STATUS] : [SIGPIPE_STATUS]).toContain(r.status);
    });
  }
});
