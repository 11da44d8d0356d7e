/**
 * Progress bars of the image tools as a user sees them: run under a pseudo
 * terminal (script(1)) sparsify, resize, make-fs and copy-in draw a bar that reaches
 * 100% and is erased before the next line; piped, their output carries no
 * progress bytes at all; -q silences the bar; --machine-readable prints
 * virt-sparsify's JSON message lines and "POS/TOTAL" progress lines instead
 * (compared with its golden output). All in process (no VM).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from './helpers/cli.js';
import { fixture, GOLDEN, scratch } from './helpers/fixtures.js';

const tmp = scratch();
afterAll(() => tmp.cleanup());
let n = 0;
const out = (ext = 'img') => join(tmp.dir, `o${n++}.${ext}`);
const tree = join(tmp.dir, 'tree');
mkdirSync(join(tree, 'etc'), { recursive: true });
writeFileSync(join(tree, 'etc', 'hostname'), 'progress\n');
writeFileSync(join(tree, 'data.bin'), Buffer.alloc(3 << 20, 7));
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs guestkit with stdout and stderr on a pseudo terminal; returns what the terminal received. */
function onTerminal(args: string[]): { status: number | null; text: string } {
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, LANG: 'C.UTF-8', TERM: 'xterm' }, timeout: 50000 });
  return { status: r.status, text: r.stdout };
}

const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
const BAR_DONE = / 100% ⟦▓+⟧ /;
const PROGRESS_BYTES = /[\r\x1b]|⟦/;

describe.skipIf(!hasScript)('progress bars on a terminal', () => {
  it('sparsify copy mode draws a bar that reaches 100% and erases it before the next line', () => {
    const r = onTerminal(['sparsify', fixture('ext4.img'), out()]);
    expect(r.status).toBe(0);
    expect(r.text).toMatch(BAR_DONE);
    // The bar's last frame is erased (\r, erase-line) before "Sparsify operation completed".
    expect(r.text).toMatch(/\x1b\[K\r\x1b\[K\[ *\d+\.\d\] Sparsify operation completed with no errors\./);
  });

  it('resize draws the copy progress; make-fs the copy into its partition', () => {
    const target = out();
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', target, '64M']);
    const r = onTerminal(['resize', '--expand', '/dev/sda2', '--no-expand-content', fixture('gpt.img'), target]);
    expect(r.status).toBe(0);
    expect(r.text).toMatch(BAR_DONE);
    const m = onTerminal(['make-fs', '--partition=mbr', '-t', 'ext4', tree, out()]);
    expect(m.status).toBe(0);
    expect(m.text).toMatch(BAR_DONE);
  });

  it('copy-in shows how much of the tree is in (to 100%); tar-out, whose length is not known ahead, pulses', () => {
    const disk = out();
    execFileSync(process.execPath, [CLI, 'make-fs', '-t', 'ext4', '--size=+8M', tree, disk]);
    const r = onTerminal(['copy-in', '-a', disk, '-m', '/dev/sda', tree, '/']);
    expect(r.status).toBe(0);
    expect(r.text).toMatch(BAR_DONE);
    expect(r.text.endsWith('\r\x1b[K')).toBe(true);
    const t = onTerminal(['tar-out', '-a', disk, '-m', '/dev/sda', '/', out('tar')]);
    expect(t.status).toBe(0);
    expect(t.text).toMatch(/ --- ⟦[═▓]+⟧ --:--/);
    expect(t.text.endsWith('\r\x1b[K')).toBe(true);
  });

  it('fish: tar-in draws its bar on a terminal, erased when the command ends; --no-progress-bars draws none', () => {
    const disk = out();
    execFileSync(process.execPath, [CLI, 'make-fs', '-t', 'ext4', '--size=+8M', tree, disk]);
    const tar = out('tar');
    execFileSync('tar', ['-C', tree, '-cf', tar, '.']);
    const r = onTerminal(['fish', '-a', disk, '-m', '/dev/sda', 'tar-in', tar, '/', ':', 'cat', '/etc/hostname']);
    expect(r.status).toBe(0);
    expect(r.text).toMatch(/ 100% ⟦▓+⟧ 00:00\x1b\[K\r\x1b\[Kprogress\r?\n/);
    const none = onTerminal(['fish', '--no-progress-bars', '-a', disk, '-m', '/dev/sda', 'tar-in', tar, '/']);
    expect(none.status).toBe(0);
    expect(none.text).not.toMatch(PROGRESS_BYTES);
  });

  it('-q: no bar on the terminal either', () => {
    const r = onTerminal(['sparsify', '-q', fixture('ext4.img'), out()]);
    expect(r.status).toBe(0);
    expect(r.text).not.toMatch(PROGRESS_BYTES);
  });
});

describe('progress when not on a terminal', () => {
  it('piped: no progress bytes on stdout or stderr', async () => {
    const r = await runCli(['sparsify', fixture('ext4.img'), out()]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/Sparsify operation completed/);
    expect(r.out + r.err).not.toMatch(PROGRESS_BYTES);
    const m = await runCli(['make-fs', '--partition=mbr', '-t', 'ext4', tree, out()]);
    expect(m.status).toBe(0);
    expect(m.out + m.err).toBe('');
  });

  it('fish --progress-bars without a terminal: POS/TOTAL lines, as guestfish on a dumb terminal', async () => {
    const disk = out();
    expect((await runCli(['make-fs', '-t', 'ext4', '--size=+8M', tree, disk])).status).toBe(0);
    const r = await runCli(['fish', '--progress-bars', '-a', disk, '-m', '/dev/sda', 'tar-out', '/', out('tar'), ':', 'cat', '/etc/hostname']);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^(\d+)\/\1\nprogress\n/);
  });

  it('--machine-readable: messages as JSON lines as virt-sparsify prints them, progress as POS/TOTAL lines rising to TOTAL/TOTAL', async () => {
    const r = await runCli(['sparsify', '--machine-readable', fixture('ext4.img'), out()]);
    expect(r.status).toBe(0);
    // virt-sparsify's lines but its progress (it zeroes in the appliance, guestkit counts the copy) and the overlay guestkit does not need.
    const shape = (text: string) =>
      text.split('\n').filter((l) => !/^\d+\/\d+$/.test(l) && !l.includes('overlay'))
        .map((l) => l.replace(/"timestamp": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}[+-]\d\d:\d\d"/, '"timestamp": T').replace(/^\[ *\d+\.\d\] /, '[TIME] ').replace(/^virt-sparsify:/, 'guestkit sparsify:'))
        .join('\n');
    expect(shape(r.out)).toBe(shape(readFileSync(join(GOLDEN, 'imgtools', 'sparsify-copy-mr.out'), 'utf8')));
    const lines = r.out.split('\n').filter((l) => /^\d+\/\d+$/.test(l));
    expect(lines.length).toBeGreaterThan(1);
    const last = lines.at(-1)!.split('/');
    expect(last[0]).toBe(last[1]);
    const positions = lines.map((l) => Number(l.split('/')[0]));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(r.out + r.err).not.toMatch(PROGRESS_BYTES);
  });
});
