/**
 * Faults of the appliance backend: a missing kernel, qemu or qemu-nbd (needed
 * only for the formats guestkit does not read itself), a guest kernel panic, an
 * agent that stops answering, qemu or a drive's qemu-nbd killed from outside, a filesystem the guest kernel refuses, and the CLI interrupted by
 * SIGINT/SIGTERM or killed outright. Each must give one clear error (exit 1 for
 * the CLI) in bounded time and leave nothing behind: no qemu or qemu-nbd, no
 * socket or temporary directory (every run here gets its own TMPDIR, so what it
 * leaves is easy to see), and read-only images byte-identical. "Bounded time"
 * is each test's own timeout: a hang fails it.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplianceBackend } from '../src/backend/appliance/appliance-backend.js';
import { buildAppliance } from '../src/backend/appliance/build.js';
import { liveChildCount } from '../src/backend/appliance/children.js';
import { CLI, runCli } from './helpers/cli.js';
import { ROOT, fixture, scratch, sha256 } from './helpers/fixtures.js';

const haveQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0 && fs.existsSync(fixture('ext4.img'));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Processes (other than pgrep) whose command line mentions `dir`. */
function processesUsing(dir: string): string[] {
  const r = spawnSync('pgrep', ['-a', '-f', dir], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').filter((l) => l && !/\bpgrep\b/.test(l));
}

/** Waits (bounded) until nothing mentions `dir` and it is empty; returns what is left. */
async function leftovers(dir: string, ms = 5000): Promise<{ procs: string[]; files: string[] }> {
  const until = Date.now() + ms;
  for (;;) {
    const procs = processesUsing(dir);
    const files = fs.readdirSync(dir);
    if ((!procs.length && !files.length) || Date.now() > until) return { procs, files };
    await sleep(100);
  }
}

function expectOneLine(message: string, pattern: RegExp): void {
  expect(message).not.toContain('\n');
  expect(message).toMatch(pattern);
}

function expectOneLineCliError(r: { status: number | null; err: string }, pattern: RegExp): void {
  expect(r.status, r.err).toBe(1);
  const lines = r.err.split('\n').filter(Boolean);
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

/** A bin directory with only these host programs, for runs where the others are "not installed". */
function pathWith(dir: string, programs: string[]): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const p of programs) {
    const found = spawnSync('sh', ['-c', `command -v ${p}`], { encoding: 'utf8' }).stdout.trim();
    if (found) fs.symlinkSync(found, path.join(dir, p));
  }
  return dir;
}

/** For a describe block: the appliance built, a scratch directory, and `img` checked byte-identical at the end. */
function scratchKeepingImage(img: string): () => string {
  let tmp: ReturnType<typeof scratch>;
  let before = '';
  beforeAll(() => {
    tmp = scratch();
    before = sha256(img);
    buildAppliance();
  });
  afterAll(() => {
    expect(sha256(img)).toBe(before);
    tmp.cleanup();
  });
  return () => tmp.dir;
}

describe('appliance faults: missing host pieces', () => {
  let tmp: ReturnType<typeof scratch>;
  beforeAll(() => { tmp = scratch(); });
  afterAll(() => tmp.cleanup());

  it('no kernel: names the Debian package', () => {
    const empty = path.join(tmp.dir, 'boot');
    fs.mkdirSync(empty);
    expect(() => buildAppliance({ bootDir: empty, cacheDir: path.join(tmp.dir, 'cache'), install: false })).toThrow(
      `no Linux kernel in ${empty} (with modules in /lib/modules): install the Debian package linux-image-amd64`,
    );
  });

  it.skipIf(!haveQemu)('no qemu, then no qemu-nbd: one line naming the package, nothing left running; raw needs no qemu-nbd', async () => {
    buildAppliance(); // cached for the runs below (they have no ldd on PATH)
    const img = fixture('ext4.img');
    const vdi = path.join(tmp.dir, 'ext4.vdi');
    spawnSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vdi', img, vdi]);
    const before = sha256(img);
    const run = async (name: string, programs: string[], disk = img) => {
      const t = path.join(tmp.dir, `tmp-${name}`);
      fs.mkdirSync(t);
      const r = await runCli(['cat', '--backend=appliance', '-a', disk, '-m', '/dev/sda', '/etc/hostname'], {
        env: { PATH: pathWith(path.join(tmp.dir, `bin-${name}`), programs), TMPDIR: t },
      });
      expect(await leftovers(t)).toEqual({ procs: [], files: [] });
      return r;
    };
    expectOneLineCliError(await run('noqemu', ['qemu-nbd', 'setpriv']), /^guestkit cat: error: .*qemu-system-x86_64 not found: install the Debian package qemu-system-x86$/);
    const noNbd = ['qemu-system-x86_64', 'setpriv', 'sh', 'cat', 'mv'];
    expectOneLineCliError(await run('nonbd', noNbd, vdi), new RegExp(`^guestkit cat: error: ${vdi.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: vdi images need qemu-nbd: install qemu-utils or convert the image$`));
    // guestkit serves the raw image itself
    expect(await run('rawnonbd', noNbd)).toMatchObject({ status: 0, out: 'guestkit-test\n' });
    expect(sha256(img)).toBe(before);
  });
});

describe.skipIf(!haveQemu)('appliance faults: the VM', () => {
  const img = fixture('ext4.img');
  const tmpDir = scratchKeepingImage(img);

  it('a guest kernel panic at boot: one line saying so, quickly, nothing left', async () => {
    const b = new ApplianceBackend({ append: ['rdinit=/nonexistent'], bootTimeoutMs: 60_000 });
    const err = await b.launch([{ file: img, readonly: true }]).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expectOneLine((err as Error).message, /^the appliance did not start: the guest kernel panicked: /);
    expect(liveChildCount()).toBe(0);
  }, 90_000);

  it('a call that times out is cancelled in the guest and the session goes on; a guest that stops answering ends it with one line', async () => {
    const b = new ApplianceBackend({ cancelGraceMs: 3000 });
    await b.launch([{ file: img, readonly: true }]);
    try {
      expect((await b.shText('echo alive')).trim()).toBe('alive');
      const err = await b.raw('sh', 'sleep 120', { timeoutMs: 2000 }).catch((e: Error) => e);
      expect(err).toMatchObject({ code: 'ETIMEDOUT' });
      expectOneLine((err as Error).message, /^the appliance did not answer within 2 s \(the request was cancelled\)$/);
      expect((await b.shText('echo again')).trim()).toBe('again');
      // a frozen guest cannot abandon the request: after the grace time the session is over
      process.kill(b.qemuPid!, 'SIGSTOP');
      const frozen = await b.raw('sh', 'echo frozen', { timeoutMs: 1000 }).catch((e: Error) => e);
      expect(frozen).toMatchObject({ code: 'ETIMEDOUT' });
      const next = await b.shText('echo again').catch((e: Error) => e);
      expectOneLine((next as Error).message, /^the appliance is gone: the appliance did not abandon a cancelled request within 3 s/);
    } finally {
      await b.shutdown();
    }
    expect(liveChildCount()).toBe(0);
  }, 120_000);

  it('a drive\'s qemu-nbd killed during a session: the next call names the drive, nothing left', async () => {
    // qemu-nbd serves only the formats guestkit does not read: here a vdi copy.
    const vdi = path.join(tmpDir(), 'killed.vdi');
    spawnSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vdi', img, vdi]);
    const b = new ApplianceBackend();
    await b.launch([{ file: img, readonly: true }, { file: vdi, readonly: true }]);
    try {
      expect((await b.shText('echo alive')).trim()).toBe('alive');
      expect(b.nbdPids).toHaveLength(1);
      const [nbd] = b.nbdPids;
      process.kill(nbd!, 'SIGKILL');
      const err = await b.shText('dd if=/dev/vdb of=/dev/null bs=1M iflag=direct 2>&1').catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expectOneLine((err as Error).message, new RegExp(`^the appliance is gone: the NBD server for ${vdi.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(qemu-nbd\\) was killed by SIGKILL`));
    } finally {
      await b.shutdown();
    }
    expect(liveChildCount()).toBe(0);
  }, 120_000);

  it('a filesystem the guest kernel refuses: one line, exit 1, image unchanged, nothing left', async () => {
    const t = path.join(tmpDir(), 'tmp-refuse');
    fs.mkdirSync(t);
    const bad = path.join(tmpDir(), 'bad-ext4.img');
    fs.copyFileSync(img, bad);
    const fd = fs.openSync(bad, 'r+');
    fs.writeSync(fd, Buffer.from([0xff, 0xff, 0xff, 0x7f]), 0, 4, 1024 + 24); // s_log_block_size: absurd
    fs.closeSync(fd);
    const badSum = sha256(bad);
    const r = await runCli(['cat', '--backend=appliance', '-a', bad, '-m', '/dev/sda', '/etc/hostname'], { env: { TMPDIR: t }, timeoutMs: 120_000 });
    expectOneLineCliError(r, /^guestkit cat: error: .*\/dev\/sda/);
    expect(r.out).toBe('');
    expect(sha256(bad)).toBe(badSum);
    expect(await leftovers(t)).toEqual({ procs: [], files: [] });
  }, 150_000);
});

/** Starts the CLI booting the appliance in its own TMPDIR; resolves once its qemu runs. */
async function cliWithRunningQemu(tmpDir: string): Promise<{ child: ReturnType<typeof spawn>; done: Promise<{ status: number | null; signal: NodeJS.Signals | null; err: string }> }> {
  const child = spawn(process.execPath, [CLI, 'cat', '--backend=appliance', '-a', fixture('ext4.img'), '-m', '/dev/sda', '/etc/hostname'], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: tmpDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; err: string }>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal, err })),
  );
  const until = Date.now() + 60_000;
  while (!processesUsing(tmpDir).some((l) => /qemu-system/.test(l))) {
    if (Date.now() > until) throw new Error('qemu did not start');
    await sleep(50);
  }
  return { child, done };
}

describe.skipIf(!haveQemu)('appliance faults: the CLI interrupted', () => {
  const img = fixture('ext4.img');
  const tmpDir = scratchKeepingImage(img);

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} while the appliance boots: the CLI ends, qemu and qemu-nbd are reaped, the temp dir removed`, async () => {
      const t = path.join(tmpDir(), `tmp-${sig}`);
      fs.mkdirSync(t);
      const { child, done } = await cliWithRunningQemu(t);
      child.kill(sig);
      const r = await done;
      expect(r.signal ?? r.status).not.toBe(0);
      expect(await leftovers(t)).toEqual({ procs: [], files: [] });
    }, 90_000);
  }

  it('the CLI killed outright (SIGKILL): the kernel kills its helpers, the watchdog removes the temp dir', async () => {
    const t = path.join(tmpDir(), 'tmp-kill');
    fs.mkdirSync(t);
    const { child, done } = await cliWithRunningQemu(t);
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    expect(await leftovers(t)).toEqual({ procs: [], files: [] });
  }, 90_000);

  it('qemu killed from outside while the CLI waits for it: one line, exit 1, nothing left', async () => {
    const t = path.join(tmpDir(), 'tmp-qemu-killed');
    fs.mkdirSync(t);
    const { done } = await cliWithRunningQemu(t);
    const qemu = processesUsing(t).find((l) => /qemu-system/.test(l))!;
    process.kill(Number(qemu.split(' ')[0]), 'SIGKILL');
    const r = await done;
    expectOneLineCliError(r, /^guestkit cat: error: the appliance did not start: qemu was killed by SIGKILL/);
    expect(await leftovers(t)).toEqual({ procs: [], files: [] });
  }, 90_000);
});
