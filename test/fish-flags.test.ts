/**
 * guestkit fish's guestfish flags: -N prepared disks (checked with guestkit's own
 * commands and against what guestfish printed for the same disks), pipes and
 * --pipe-error, -n, -V, -h, the refused libvirt/live flags and the option
 * errors, compared with guestfish 1.48's messages in test/golden/fish-flags/
 * (captured by capture.sh there).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { haveQemu, TEST_BACKENDS } from './helpers/backends.js';
import { runCli } from './helpers/cli.js';
import { copyFixture, fixture, GOLDEN, scratch } from './helpers/fixtures.js';

const golden = (name: string) => {
  const read = (ext: string) => { const f = join(GOLDEN, 'fish-flags', `${name}.${ext}`); return existsSync(f) ? readFileSync(f, 'utf8') : ''; };
  return { out: read('out'), err: read('err'), status: Number(read('rc') || 0) };
};
/** guestfish's "guestfish: MESSAGE" is guestkit's "guestkit fish: error: MESSAGE" (the same words). */
const asGuestkit = (err: string) => err.replace(/^guestfish: (?!warning)/gm, 'guestkit fish: error: ').replace(/^guestfish: warning/gm, 'guestkit fish: warning').replaceAll("'guestfish -N help'", "'guestkit fish -N help'");

let tmp: ReturnType<typeof scratch>;
beforeEach(() => { tmp = scratch(); });
afterEach(() => tmp.cleanup());
const fish = (args: string[], input?: string) => runCli(['fish', ...args], { cwd: tmp.dir, input, env: { GUESTKIT_BACKEND: 'wasm' } });

describe('-N prepared disks', () => {
  it('-N help lists the types with their parameters and defaults as guestfish does', async () => {
    const r = await fish(['-N', 'help']);
    expect(r.status).toBe(0);
    const shape = (text: string) => text.split('\n').filter((l) => /^(guestfish|guestkit fish) -N |^ {4}-N |^ {6}</.test(l)).map((l) => l.replace(/^guestkit fish/, 'guestfish'));
    expect(shape(r.out)).toEqual(shape(golden('N-help').out));
    expect(shape(r.out)).toHaveLength(7 + 7 + 24);
  });

  it.each([
    ['N-disk', ['-N', 'disk:20M', 'blockdev-getsize64', '/dev/sda', ':', 'list-partitions']],
    ['N-part', ['-N', 'p.img=part:20M', 'part-get-parttype', '/dev/sda', ':', 'part-list', '/dev/sda']],
    ['N-two', ['-N', 'disk:8M', '-N', 'part:8M', 'list-devices', ':', 'list-partitions']],
  ])('%s makes what guestfish makes (wasm)', async (name, args) => {
    const r = await fish(args);
    expect({ out: r.out, err: r.err, status: r.status }).toEqual(golden(name));
  });

  it('names disks test1.img, test2.img... or as told, sparse, in the order given with -a', async () => {
    const r = await fish(['-N', 'disk:4M', '-a', copyFixture('ext4.img', tmp.dir), '-N', 'x.img=part:6M', 'list-devices', ':', 'list-partitions', ':', 'blockdev-getsize64', '/dev/sdc']);
    expect(r).toMatchObject({ status: 0, out: '/dev/sda\n/dev/sdb\n/dev/sdc\n/dev/sdc1\n6291456\n', err: '' });
    expect(statSync(join(tmp.dir, 'test1.img')).size).toBe(4 << 20);
    expect(statSync(join(tmp.dir, 'x.img')).blocks * 512).toBeLessThan(1 << 20);
    expect(existsSync(join(tmp.dir, 'test2.img'))).toBe(false);
  });

  it.each(['N-bogus', 'N-lv-badname'])('%s fails with guestfish\'s message', async (name) => {
    const args = name === 'N-bogus' ? ['-N', 'bogus'] : ['-N', 'lv:VGLV'];
    const r = await fish(args);
    const g = golden(name);
    expect({ err: r.err, status: r.status }).toEqual({ err: asGuestkit(g.err), status: g.status });
  });

  it.runIf(haveQemu && TEST_BACKENDS.includes('appliance'))('fs and lvfs run mkfs and LVM on the appliance, as guestfish makes them', async () => {
    const r = await runCli(['fish', '-N', 'fs:ext4:20M:gpt', '-N', 'lvfs:/dev/vg1/lv1:ext3:24M', 'list-filesystems', ':', 'part-get-parttype', '/dev/sda', ':', 'lvs'], { cwd: tmp.dir, timeoutMs: 120_000 });
    expect(r.err).toBe('');
    expect(r.out).toBe('/dev/sda1: ext4\n/dev/vg1/lv1: ext3\ngpt\n/dev/vg1/lv1\n');
    expect(golden('N-fs').out).toBe('/dev/sda1: ext4\ngpt\n');
    expect(golden('N-lvfs').out).toBe('/dev/vg1/lv1\n/dev/vg1/lv1: ext3\n');
  }, 120_000);
});

describe('pipes', () => {
  it('runs `cmd | host command` as guestfish', async () => {
    const r = await fish([], readFileSync(join(GOLDEN, 'fish-flags', 'pipe.gf.txt'), 'utf8'));
    expect({ out: r.out, err: r.err, status: r.status }).toEqual(golden('pipe-script'));
  });

  it('--pipe-error fails a command whose output the host command did not read; without it the script goes on', async () => {
    // 4 MiB of output into a command that reads nothing and exits.
    const script = 'fill 0x41 4194304 /big\ndownload /big - | true\necho after\n';
    const copy = scratch();
    const args = ['-a', copyFixture('ext4.img', copy.dir), '-m', '/dev/sda'];
    try {
      const plain = await runCli(['fish', ...args], { cwd: copy.dir, input: script, env: { GUESTKIT_BACKEND: 'wasm' } });
      expect(plain.out).toBe('after\n');
      expect(plain.status).toBe(0);
      const strict = await runCli(['fish', '--pipe-error', ...args], { cwd: copy.dir, input: script, env: { GUESTKIT_BACKEND: 'wasm' } });
      expect(strict).toMatchObject({ status: 1, out: '', err: 'guestfish: write error on pipe\n' });
    } finally {
      copy.cleanup();
    }
  });
});

describe('other flags', () => {
  it('-V prints guestkit fish\'s version in guestfish\'s shape', async () => {
    expect(golden('version').out).toMatch(/^guestfish \d+\.\d+\.\d+\n$/);
    expect((await fish(['-V'])).out).toMatch(/^guestkit fish \d+\.\d+\.\d+\n$/);
  });

  it('-h CMD and --cmd-help=CMD show the command\'s help; -h lists the commands', async () => {
    const help = (await fish(['help', 'cat'])).out;
    expect((await fish(['-h', 'cat'])).out).toBe(help);
    expect((await fish(['--cmd-help=echo'])).out).toBe((await fish(['help', 'echo'])).out);
    expect((await fish(['-h'])).out).toBe((await fish(['help', '-l'])).out);
  });

  it('-n turns autosync off; --selinux, --no-dest-paths and progress-bar flags are accepted; -D warns', async () => {
    expect((await fish(['get-autosync'])).out).toBe('true\n');
    expect((await fish(['-n', 'get-autosync'])).out).toBe('false\n');
    expect(await fish(['--selinux', '--no-dest-paths', '--progress-bars', '--no-progress-bars', 'echo', 'ok'])).toMatchObject({ status: 0, out: 'ok\n', err: '' });
    const d = await fish(['-D', 'echo', 'ok']);
    expect({ out: d.out, err: d.err }).toEqual({ out: golden('D').out, err: asGuestkit(golden('D').err) });
  });

  it('old-style -i disk.img takes the words as disks and mounts the guest', async () => {
    const r = await fish(['--ro', '-i', fixture('ext4.img')], 'cat /etc/hostname\n');
    // ext4.img was taken as the disk (not a command, not a libvirt guest): inspection finds no OS on it.
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^guestkit fish: error: no operating system was found on the disk/);
  });

  it.each([
    ['live', ['--live']],
    ['listen-and-remote', ['--listen', '--remote=1']],
    ['listen-extra', ['--listen', 'echo', 'hi']],
    ['listen-file', ['--listen', '-f', 'x']],
    ['remote-no-pid', ['--remote', 'echo', 'hi']],
    ['remote-bad-pid', ['--remote=abc', 'echo', 'hi']],
    ['remote-not-running', ['--remote=999999', 'echo', 'hi']],
    ['key-bad', ['--key', 'foo', 'echo', 'ok']],
    ['key-bad-type', ['--key', 'dev:bogus:x']],
    ['key-no-string', ['--key', 'dev:key']],
    ['key-no-file', ['--key', 'dev:file']],
    ['key-clevis', ['--key', 'dev:clevis', 'echo', 'ok']],
    ['keys-from-stdin', ['--keys-from-stdin', 'echo', 'ok']],
    ['blocksize-bare', ['--blocksize', 'echo', 'ok']],
    ['connect-alone', ['-c', 'qemu:///system', 'echo', 'ok']],
    ['f-missing', ['-f', '/nonexistent/script.gf']],
  ])('%s: as guestfish', async (name, args) => {
    const r = await runCli(['fish', ...args], { cwd: tmp.dir, env: { GUESTFISH_PID: '' } });
    const g = golden(name);
    expect({ out: r.out, err: r.err, status: r.status }).toEqual({ out: g.out, err: asGuestkit(g.err), status: g.status });
  });

  it('--blocksize=4096 is refused (512-byte sectors only); a bad size is refused as guestfish does', async () => {
    expect((await fish(['--ro', '--blocksize=4096', '-a', fixture('ext4.img'), 'echo', 'ok'])).err).toBe('guestkit fish: error: --blocksize=4096: disks with 4096-byte sectors are not supported: guestkit presents 512-byte sectors\n');
    expect((await fish(['--ro', '--blocksize=1000', '-a', fixture('ext4.img')])).err).toBe('guestkit fish: error: blocksize parameter is invalid\n');
    expect(golden('blocksize-bad').err).toBe('libguestfs: error: blocksize parameter is invalid\n');
    expect((await fish(['--ro', '--blocksize=512', '-a', fixture('ext4.img'), 'echo', 'ok'])).out).toBe('ok\n');
  });

  it('-d and -i GUEST name libvirt in a one-line error, exit 1', async () => {
    for (const args of [['-d', 'guest'], ['-i', 'nosuchguest']]) {
      const r = await fish(args);
      expect(r.status).toBe(1);
      expect(r.err).toMatch(/^guestkit fish: error: -[di] \S+: libvirt guests are not supported: .*-a\n$/);
    }
    expect(golden('domain').err).toMatch(/libvirt/);
  });
});
