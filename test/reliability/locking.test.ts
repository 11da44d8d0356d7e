/**
 * qemu's image locks: guestkit refuses to write an image that a live qemu-nbd
 * serves read-write (qemu's "write" lock byte), in one line naming it, leaving
 * the image untouched; reads still work; --no-lock writes anyway; once the
 * server is gone, writes work. guestkit takes the same locks itself: while it
 * writes, qemu writers and a second guestkit are refused; while it reads, qemu
 * writers are refused where a qemu reader would refuse them; the locks go with
 * the descriptor (close, SIGKILL).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLockConflict } from '../../src/block/image-lock.js';
import { openDrive } from '../../src/block/open-drive.js';
import { CLI } from '../helpers/cli.js';
import { ApplianceBackend } from '../../src/backend/appliance/appliance-backend.js';
import { buildAppliance } from '../../src/backend/appliance/build.js';
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
      expect(r.err).toMatch(new RegExp(`^guestkit \\w+: error: ${image.replace(/[/.]/g, '\\$&')}: is in use: qemu-nbd \\(pid ${server!.pid}\\) has it open for writing \\(use --no-lock to write anyway\\)\\n$`));
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
    expect(writeLockConflict(file, line(1, st.ino, 150, 'EOF'))).toMatch(/does not allow reads/);
    expect(writeLockConflict(file, line(1, st.ino + 1, 100, 101))).toBeUndefined();
  });
});

/** What qemu says when it tries `io` (a qemu-io command) on the image: '' when it could, else its first line. */
function qemuIo(image: string, format: string, io: string, readOnly = false): string {
  const r = spawnSync('qemu-io', [...(readOnly ? ['-r'] : []), '-f', format, '-c', io, image], { encoding: 'utf8' });
  return r.status === 0 ? '' : r.stderr.split('\n')[0]!;
}
const qemuImgInfo = (image: string) => spawnSync('qemu-img', ['info', image], { encoding: 'utf8' }).stderr.split('\n')[0]!;
const WRITE_LOCK = /Failed to get "write" lock/;

/** The lock bytes /proc/locks lists on a file, one entry per byte of each range. */
function heldBytes(file: string): number[] {
  const st = statSync(file);
  const bytes: number[] = [];
  for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
    const m = /:(\d+) (\d+) (\d+)$/.exec(line.trim());
    if (m && Number(m[1]) === st.ino) for (let b = Number(m[2]); b <= Number(m[3]); b++) bytes.push(b);
  }
  return bytes.sort((a, b) => a - b);
}

describe("guestkit's own image locks (qemu's OFD locks)", () => {
  const tmp = scratch();
  afterAll(() => tmp.cleanup());

  for (const format of ['raw', 'qcow2'] as const) {
    it(`a ${format} writer keeps qemu writers out until it closes; qemu-img info as with a qemu writer`, async () => {
      const image = join(tmp.dir, `w.${format}`);
      spawnSync('qemu-img', ['create', '-q', '-f', format, image, '4M']);
      const dev = await openDrive({ file: image, format, readOnly: false });
      try {
        expect(qemuIo(image, format, 'write 0 512')).toMatch(WRITE_LOCK);
        const nbd = spawnSync('qemu-nbd', ['-f', format, '-k', join(tmp.dir, 'n.sock'), image], { encoding: 'utf8', timeout: 10_000 });
        expect(nbd.stderr).toMatch(WRITE_LOCK);
        // qemu-img info reads no data from a raw image; on qcow2 it refuses any writer, qemu's own included.
        expect(qemuImgInfo(image)).toBe(format === 'raw' ? '' : `qemu-img: Could not open '${image}': Failed to get shared "write" lock`);
        expect(qemuIo(image, format, 'read 0 512', true)).toEqual(format === 'raw' ? '' : expect.stringMatching(/Failed to get shared "write" lock/));
      } finally {
        await dev.close();
      }
      expect(qemuIo(image, format, 'write 0 512')).toBe('');
    });

    it(`a ${format} reader refuses qemu writers only where a qemu reader would`, async () => {
      const image = join(tmp.dir, `r.${format}`);
      spawnSync('qemu-img', ['create', '-q', '-f', format, image, '4M']);
      const dev = await openDrive({ file: image, format, readOnly: true });
      try {
        expect(qemuIo(image, format, 'write 0 512')).toEqual(format === 'raw' ? '' : expect.stringMatching(WRITE_LOCK));
        expect(qemuIo(image, format, 'read 0 512', true)).toBe('');
        // A writer in this process (a transactional drive's commit) is not refused by the session's own reader.
        const writer = await openDrive({ file: image, format, readOnly: false, journaled: false });
        await writer.close();
      } finally {
        await dev.close();
      }
    });
  }

  it('a reader holds the bytes qemu-nbd --read-only holds, on the image and on its backing file', async () => {
    const base = join(tmp.dir, 'base.raw');
    const top = join(tmp.dir, 'top.qcow2');
    spawnSync('qemu-img', ['create', '-q', '-f', 'raw', base, '4M']);
    spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw', top]);
    for (const [file, format] of [[base, 'raw'], [top, 'qcow2']] as const) {
      const sock = join(tmp.dir, `ro-${format}.sock`);
      const nbd = spawn('qemu-nbd', ['--read-only', '-f', format, '-k', sock, file], { stdio: 'ignore' });
      for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
      expect(heldBytes(file)).not.toEqual([]);
      const qemus = [heldBytes(file), heldBytes(base)];
      nbd.kill('SIGKILL');
      await new Promise((r) => nbd.once('exit', r));
      expect(heldBytes(base)).toEqual([]);
      const dev = await openDrive({ file, format, readOnly: true });
      try {
        expect([heldBytes(file), heldBytes(base)]).toEqual(qemus);
      } finally {
        await dev.close();
      }
    }
    expect(heldBytes(base)).toEqual([]);
  });

  it('--no-lock takes none', async () => {
    const image = join(tmp.dir, 'nolock.raw');
    spawnSync('qemu-img', ['create', '-q', '-f', 'raw', image, '4M']);
    const dev = await openDrive({ file: image, format: 'raw', readOnly: false, locking: false });
    expect(qemuIo(image, 'raw', 'write 0 512')).toBe('');
    await dev.close();
  });

  it('without a runnable helper (an unwritable cache) a writer falls back to the /proc/locks check', async () => {
    const image = copyFixture('ext4.img', tmp.dir);
    const env = { XDG_CACHE_HOME: '/dev/null/cache' };
    const w = await runCli(['fish', '-a', image, '-m', '/dev/sda', '--', 'write', '/fallback', 'ok', ':', 'cat', '/fallback'], { env });
    expect(w.err).toBe('');
    expect(w.out).toBe('ok\n');
    const holder = await openDrive({ file: image, format: 'raw', readOnly: false });
    try {
      const r = await runCli(['fish', '-a', image, '-m', '/dev/sda', '--', 'touch', '/refused'], { env });
      expect(r.status).toBe(1);
      expect(r.err).toMatch(/: is in use: .* has it open for writing \(use --no-lock to write anyway\)\n$/);
    } finally {
      await holder.close();
    }
  });

  it('a second guestkit writer refuses in one line; once the first is killed (SIGKILL), qemu can write', async () => {
    const image = copyFixture('ext4.img', tmp.dir);
    const first = spawn(process.execPath, [CLI, 'fish', '-a', image, '-m', '/dev/sda'], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      first.stdin.write('touch /first\nis-file /first\n');
      await new Promise<void>((resolve, reject) => {
        first.once('exit', () => reject(new Error('the first guestkit exited')));
        first.stdout.on('data', () => resolve());
        first.stderr.on('data', (d) => reject(new Error(String(d))));
      });
      const second = await runCli(['fish', '-a', image, '-m', '/dev/sda', '--', 'touch', '/second']);
      expect(second.status).toBe(1);
      expect(second.err).toBe(`guestkit fish: error: ${image}: is in use: guestkit (pid ${first.pid}) has it open for writing (use --no-lock to write anyway)\n`);
      expect(qemuIo(image, 'raw', 'write 0 512')).toMatch(WRITE_LOCK);
    } finally {
      first.kill('SIGKILL');
      await new Promise((resolve) => (first.exitCode !== null || first.signalCode !== null ? resolve(null) : first.once('exit', resolve)));
    }
    expect(qemuIo(image, 'raw', 'write 0 512')).toBe('');
  });
});

const haveQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;

describe.skipIf(!haveQemu)("the appliance's drives (served by guestkit's NBD server)", () => {
  const tmp = scratch();
  afterAll(() => tmp.cleanup());

  it('hold the locks of a writer for as long as the appliance runs', async () => {
    const image = copyFixture('ext4.img', tmp.dir);
    buildAppliance();
    const b = new ApplianceBackend({ tmpDir: tmp.dir });
    try {
      await b.launch([{ file: image, readonly: false }]);
      expect(qemuIo(image, 'raw', 'write 0 512')).toMatch(WRITE_LOCK);
    } finally {
      await b.shutdown();
    }
    expect(qemuIo(image, 'raw', 'write 0 512')).toBe('');
  }, 120_000);
});
