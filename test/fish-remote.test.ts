/**
 * guestkit fish --listen / --remote (guestfish's remote control): a background
 * shell keeps its handle warm and runs commands sent by later `--remote` runs,
 * relaying their output, errors and exit status; the socket lives in a private
 * per-user directory. Compared with guestfish's behaviour captured in
 * test/golden/fish-flags/remote-session.* (wasm backend; each test isolates its
 * sockets with its own $XDG_RUNTIME_DIR).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from './helpers/cli.js';
import { copyFixture, GOLDEN, scratch } from './helpers/fixtures.js';

let tmp: ReturnType<typeof scratch>;
let env: Record<string, string>;
const servers: number[] = [];
const uid = process.geteuid!();

beforeEach(() => {
  tmp = scratch();
  env = { XDG_RUNTIME_DIR: tmp.dir, GUESTKIT_BACKEND: 'wasm' };
});
afterEach(() => {
  for (const pid of servers.splice(0)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  tmp.cleanup();
});

const sockDir = () => join(tmp.dir, `.guestfish-${uid}`);

/** Starts a listener; resolves with what it printed and its PID. The listener's stderr is not waited for. */
function listen(args: string[]): Promise<{ status: number | null; out: string; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'fish', '--listen', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('error', reject);
    child.on('exit', (status) => {
      child.stdout.once('end', () => {
        const pid = Number(/GUESTFISH_PID[= ](\d+)/.exec(out)?.[1] ?? NaN);
        if (pid) servers.push(pid);
        resolve({ status, out, pid });
      });
      if (child.stdout.readableEnded) child.stdout.emit('end');
    });
  });
}

const remote = (pid: number | undefined, args: string[], input?: string) =>
  runCli(['fish', pid === undefined ? '--remote' : `--remote=${pid}`, ...args], { env, input });

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

describe('fish --listen / --remote', () => {
  it('prints the PID line, runs remote commands in the warm session, relays output, errors and status, and exits on exit', async () => {
    const disk = copyFixture('ext4.img', tmp.dir);
    const l = await listen(['-a', disk, '-m', '/dev/sda']);
    expect(l.status).toBe(0);
    expect(l.out).toBe(`GUESTFISH_PID=${l.pid}; export GUESTFISH_PID\n`);
    // The socket is private: in a 0700 directory of this user.
    const st = statSync(sockDir());
    expect(st.mode & 0o777).toBe(0o700);
    expect(existsSync(join(sockDir(), `socket-${l.pid}`))).toBe(true);

    expect(await remote(l.pid, ['cat', '/etc/hostname', ':', 'write', '/remote-file', 'kept'])).toMatchObject({ status: 0, out: 'guestkit-test\n\n', err: '' });
    // $GUESTFISH_PID names the server when --remote has no value.
    // State persists between clients; $GUESTFISH_PID names the server when --remote has no value.
    expect((await runCli(['fish', '--remote', 'cat', '/remote-file'], { env: { ...env, GUESTFISH_PID: String(l.pid) } })).out).toBe('kept\n');
    // A -cmd failure is reported but neither the client nor the server stops (guestfish: rc=0).
    const ignored = await remote(l.pid, ['--', '-cat', '/nope']);
    expect(ignored.status).toBe(0);
    expect(ignored.err).toBe('guestkit: error: cat: /nope: No such file or directory\n');
    // A script on stdin: parsed here (pipes run here), run there.
    const script = await remote(l.pid, [], 'echo from stdin\nls / | head -2\n# comment\necho done\n');
    expect(script).toMatchObject({ status: 0, out: 'from stdin\nbin\ndeep\ndone\n', err: '' });
    expect(await remote(l.pid, ['exit'])).toMatchObject({ status: 0, out: '', err: '' });
    expect(await gone(l.pid)).toBe(true);
    expect(existsSync(join(sockDir(), `socket-${l.pid}`))).toBe(false);
    // The write reached the image: a new session reads it.
    expect((await runCli(['fish', '--ro', '-a', disk, '-m', '/dev/sda', 'cat', '/remote-file'], { env })).out).toBe('kept\n');
  }, 30_000);

  it('a failed command ends the client with status 1 and stops the server, as guestfish does', async () => {
    // guestfish: the failing stdin line gives rc=1, the line after it is not run, and the server is gone.
    expect(readFileSync(join(GOLDEN, 'fish-flags', 'remote-session.out'), 'utf8')).toContain('from stdin\nrc=1\nrc=1\nrc=1\n');
    const l = await listen([]);
    const r = await remote(l.pid, [], 'echo from stdin\nversion-bogus\necho not reached\n');
    expect(r).toMatchObject({ status: 1, out: 'from stdin\n', err: 'version-bogus: unknown command\n' });
    expect(await gone(l.pid)).toBe(true);
    const after = await remote(l.pid, ['echo', 'still']);
    expect(after.status).toBe(1);
    expect(after.err).toMatch(/^guestkit fish: error: remote: looks like the server is not running/);
  }, 30_000);

  it('keeps two sessions apart, and prints the csh form with --csh', async () => {
    const a = copyFixture('ext4.img', tmp.dir);
    const l1 = await listen(['--ro', '-a', a, '-m', '/dev/sda']);
    const l2 = await listen(['--csh']);
    expect(l2.out).toBe(`setenv GUESTFISH_PID ${l2.pid}\n`);
    expect(l1.pid).not.toBe(l2.pid);

    expect((await remote(l2.pid, ['add-drive-ro', a, ':', 'run', ':', 'list-devices', ':', 'echo', 'two'])).out).toBe('/dev/sda\ntwo\n');
    const ro = await remote(l1.pid, ['--', 'list-devices', ':', '-mkdir', '/nope']);
    expect(ro.out).toBe('/dev/sda\n');
    expect(ro.err).toMatch(/read-only|Read-only/);
    expect((await remote(l1.pid, ['quit'])).status).toBe(0);
    // A signal ends a listener cleanly too: its socket is removed.
    process.kill(l2.pid, 'SIGTERM');
    expect(await gone(l2.pid)).toBe(true);
    expect(existsSync(join(sockDir(), `socket-${l2.pid}`))).toBe(false);
  }, 30_000);

  it('a listener that cannot set up says why and exits 1, printing no PID', async () => {
    const l = await listen(['-a', join(tmp.dir, 'missing.img'), '-m', '/dev/sda']);
    expect(l).toMatchObject({ status: 1, out: '' });
  }, 30_000);

  it('a command line the launcher took for --listen but whose flags start no listener runs as usual', async () => {
    // "--listen" as a command word: the background process started on the guess hands the command line back.
    expect(await runCli(['fish', 'echo', '--listen'], { env })).toMatchObject({ status: 0, out: '--listen\n', err: '' });
    const help = await runCli(['fish', '--listen', '-N', 'help'], { env });
    expect(help).toMatchObject({ status: 0, err: '' });
    expect(help.out).toContain('List of available prepared disk images:');
    expect(existsSync(sockDir()) ? readdirSync(sockDir()) : []).toEqual([]);
  }, 30_000);

  it('refuses a stale socket, a socket directory with loose permissions, and a socket owned by someone else', async () => {
    // No such process.
    expect((await remote(999_999_999, ['echo'])).err).toBe('guestkit fish: error: remote: looks like the server is not running\n');
    // A live process (this test) whose socket is stale: bound once, then closed (the file stays).
    mkdirSync(sockDir(), { mode: 0o700 });
    const stale = join(sockDir(), `socket-${process.pid}`);
    // A process that bound the socket and died without removing it.
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.exit(0))`]);
    expect(existsSync(stale)).toBe(true);
    const r = await remote(process.pid, ['echo']);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^guestkit fish: error: remote: looks like the server is not running \(.*socket-\d+: Connection refused\)\n$/);
    // Someone else's socket.
    chownSync(stale, 4242, 4242);
    expect((await remote(process.pid, ['echo'])).err).toBe(`guestkit fish: error: ‘${stale}’ is not a socket owned by this user\n`);
    // A directory others can enter.
    chmodSync(sockDir(), 0o755);
    expect((await remote(process.pid, ['echo'])).err).toBe(`guestkit fish: error: ‘${sockDir()}’ is not a directory or has insecure owner or permissions\n`);
    expect((await listen([])).status).toBe(1);
  }, 30_000);
});
