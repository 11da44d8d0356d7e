/**
 * qemu's image locks: guestkit refuses to write an image that a live qemu-nbd
 * serves read-write (qemu's "write" lock byte), in one line, leaving it untouched;
 * reads still work; --no-lock writes anyway; once the server is gone, writes work.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLockConflict } from '../../src/block/image-lock.js';
import { runCli } from '../helpers/cli.js';
import { copyFixture, scratch, sha256 } from '../helpers/fixtures.js';

describe('qemu image locks', () => {
  const tmp = scratch();
  let image: string;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    image = copyFixture('ext4.img', tmp.dir);
    const sock = join(tmp.dir, 'nbd.sock');
    server = spawn('qemu-nbd', ['-f', 'raw', '-k', sock, image], { stdio: 'ignore' });
    for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
    expect(writeLockConflict(image)).toMatch(/open for writing/);
  });
  afterAll(() => {
    server?.kill('SIGKILL');
    tmp.cleanup();
  });

  it('refuses fish and customize writes in one line, leaving the image as it was', async () => {
    const before = sha256(image);
    for (const args of [['fish', '-a', image, '-m', '/dev/sda', '--', 'write', '/x', 'hi'], ['customize', '-a', image, '--touch', '/y']]) {
      const r = await runCli(args);
      expect(r.status).toBe(1);
      expect(r.err).toMatch(new RegExp(`^guestkit \\w+: error: ${image.replace(/[/.]/g, '\\$&')}: is in use: another process \\(qemu, qemu-nbd or a VM\\) has it open for writing \\(use --no-lock to write anyway\\)\\n$`));
    }
    expect(sha256(image)).toBe(before);
  });

  it('still reads it', async () => {
    const r = await runCli(['cat', '-a', image, '-m', '/dev/sda', '/etc/hostname']);
    expect(r.status).toBe(0);
    expect(r.out).toBe('guestkit-test\n');
  });

  it('writes with --no-lock, and without it once the server is gone', async () => {
    const r = await runCli(['fish', '--no-lock', '-a', image, '-m', '/dev/sda', '--', 'touch', '/forced']);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    server!.kill('SIGTERM');
    await new Promise((resolve) => server!.once('exit', resolve));
    expect(writeLockConflict(image)).toBeUndefined();
    const w = await runCli(['fish', '-a', image, '-m', '/dev/sda', '--', 'write', '/after', 'ok', ':', 'cat', '/after']);
    expect(w.err).toBe('');
    expect(w.out).toBe('ok\n');
  });
});

describe('reading /proc/locks', () => {
  const tmp = scratch();
  afterAll(() => tmp.cleanup());

  it('matches the file by device and inode, and the write bytes inside ranges', () => {
    const file = copyFixture('ext2.img', tmp.dir);
    const st = statSync(file);
    const dev = `${(Number(st.dev >> 8) & 0xfff).toString(16).padStart(2, '0')}:${(st.dev & 0xff).toString(16).padStart(2, '0')}`;
    const line = (n: number, ino: number, start: number, end: number | 'EOF') => `${n}: OFDLCK ADVISORY  READ -1 ${dev}:${ino} ${start} ${end}`;
    expect(writeLockConflict(file, [line(1, st.ino, 100, 100), line(2, st.ino, 203, 203)].join('\n'))).toBeUndefined();
    expect(writeLockConflict(file, line(1, st.ino, 100, 101))).toMatch(/open for writing/);
    expect(writeLockConflict(file, line(1, st.ino, 201, 201))).toMatch(/does not allow writes/);
    expect(writeLockConflict(file, line(1, st.ino, 150, 'EOF'))).toMatch(/does not allow writes/);
    expect(writeLockConflict(file, line(1, st.ino + 1, 100, 101))).toBeUndefined();
  });
});
