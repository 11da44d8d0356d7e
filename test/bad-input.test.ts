/**
 * Bad input from the command line: one line on stderr naming the disk or path and
 * the problem, exit status 1, no stack trace, no hang, nothing left running, and the
 * image unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { openSync, writeSync, closeSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { fixture, scratch, sha256 } from './helpers/fixtures.js';

function expectOneLineError(r: { status: number | null; err: string; out: string }, pattern: RegExp) {
  expect(r.status, r.err).toBe(1);
  expect(r.out).toBe('');
  const lines = r.err.split('\n').filter(Boolean);
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
}

/** Running qemu-nbd processes that guestkit started (their sockets live in guestkit temp dirs). */
/** qemu-nbd processes serving `image` (only this test's: other test files run their own qemu-nbd meanwhile). */
function qemuNbdCount(image: string): number {
  try {
    return Number(execFileSync('pgrep', ['-c', '-f', `qemu-nbd.*${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`], { encoding: 'utf8' }).trim());
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}

describe('bad input', () => {
  let tmp: ReturnType<typeof scratch>;
  beforeAll(() => { tmp = scratch(); });
  afterAll(() => tmp.cleanup());

  it('a missing image', async () => {
    expectOneLineError(await runCli(['cat', '-a', join(tmp.dir, 'nope.img'), '-m', '/dev/sda', '/x']), /^guestkit cat: error: .*nope\.img: No such file or directory$/);
  });

  it('a file that is not a disk image', async () => {
    expectOneLineError(await runCli(['cat', '-a', fixture('not-a-disk.txt'), '-m', '/dev/sda', '/x']), /not-a-disk\.txt.*no filesystem found/);
  });

  it('an unknown --format', async () => {
    expectOneLineError(await runCli(['ls', '--format=bogus', '-a', fixture('ext4.img'), '-m', '/dev/sda', '/']), /unknown format 'bogus'/);
  });

  it('a truncated qcow2, with no qemu-nbd left running', async () => {
    const image = fixture('truncated.qcow2');
    expectOneLineError(await runCli(['cat', '-a', image, '-m', '/dev/sda2', '/etc/hostname']), /truncated\.qcow2: qcow2 image is truncated/);
    expect(qemuNbdCount(image)).toBe(0);
  });

  it('a corrupt superblock', async () => {
    const img = join(tmp.dir, 'corrupt.img');
    copyFileSync(fixture('ext4.img'), img);
    const fd = openSync(img, 'r+');
    writeSync(fd, Buffer.from([0xff, 0xff, 0xff, 0x7f]), 0, 4, 1024 + 24); // s_log_block_size
    closeSync(fd);
    const before = sha256(img);
    expectOneLineError(await runCli(['cat', '-a', img, '-m', '/dev/sda', '/etc/hostname']), /\/dev\/sda.*(corrupt|superblock)/i);
    expect(sha256(img)).toBe(before);
  });

  it('a path that does not exist in the guest, and a directory given to cat', async () => {
    const r = await runCli(['cat', '-a', fixture('ext4.img'), '-m', '/dev/sda', '/etc/hostname', '/nope', '/etc']);
    expect(r.status).toBe(1);
    expect(r.out).toBe('guestkit-test\n');
    expect(r.err).toBe('guestkit cat: error: download: /nope: No such file or directory\nguestkit cat: error: download: /etc: Is a directory\n');
  });

  it('mounting a device with no filesystem, or one that does not exist', async () => {
    expectOneLineError(await runCli(['ls', '-a', fixture('mbr.img'), '-m', '/dev/sda2', '/']), /\/dev\/sda2 \(.*mbr\.img\): no filesystem found/);
    expectOneLineError(await runCli(['ls', '-a', fixture('mbr.img'), '-m', '/dev/sdb1', '/']), /\/dev\/sdb1: No such file or directory/);
  });

  it('cat without -m inspects, and says so when no OS is found', async () => {
    expectOneLineError(await runCli(['cat', '-a', fixture('ext4.img'), '/etc/hostname']), /no operating system was found on the disk/);
  });

  it('an NBD server that is not there', async () => {
    expectOneLineError(await runCli(['cat', '-a', `nbd+unix:///disk?socket=${join(tmp.dir, 'none.sock')}`, '-m', '/dev/sda', '/x']), /none\.sock.*(No such file|cannot connect)/);
  });

  it('an NBD server that drops the connection during the handshake', async () => {
    const sock = join(tmp.dir, 'drop.sock');
    const server: Server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      expectOneLineError(await runCli(['cat', '-a', `nbd+unix:///?socket=${sock}`, '-m', '/dev/sda', '/x'], { timeoutMs: 20000 }), /drop\.sock/);
    } finally {
      server.close();
    }
  });

  it('an NBD server that dies mid-read', async () => {
    const sock = join(tmp.dir, 'dies.sock');
    const nbdkit: ChildProcess = spawn('nbdkit', ['--exit-with-parent', '-f', '-r', '-U', sock, '--filter=delay', 'file', fixture('ext4.img'), 'rdelay=300ms'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !(await exists(sock)); i++) await new Promise((r) => setTimeout(r, 100));
      const run = runCli(['cat', '-a', `nbd+unix:///?socket=${sock}`, '-m', '/dev/sda', '/home/user/docs/numbers.txt'], { timeoutMs: 30000 });
      setTimeout(() => nbdkit.kill('SIGKILL'), 1500);
      const r = await run;
      expect(r.status).toBe(1);
      const lines = r.err.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/dies\.sock|NBD|connection/i);
    } finally {
      nbdkit.kill('SIGKILL');
    }
  });

  it('read-only tools leave every fixture byte-identical', async () => {
    for (const name of ['ext4.img', 'mbr.img', 'gpt.img', 'debian.qcow2']) {
      const before = sha256(fixture(name));
      const dev = name === 'ext4.img' ? '/dev/sda' : name === 'mbr.img' ? '/dev/sda1' : '/dev/sda2';
      expect((await runCli(['ls', '-lR', '-a', fixture(name), '-m', dev, '/'])).status).toBe(0);
      expect((await runCli(['df', '-a', fixture(name)])).status).toBe(0);
      expect(sha256(fixture(name))).toBe(before);
    }
  });
});

async function exists(p: string): Promise<boolean> {
  const { access } = await import('node:fs/promises');
  return access(p).then(() => true, () => false);
}
