/**
 * guestkit customize end to end (built CLI, wasm backend unless said): options
 * checked before the image is opened, inspection-based mounting, the
 * hostname/password/firstboot results seen by other tools, atomicity (a failing
 * operation, SIGKILL and SIGINT in the middle of a run leave the image
 * sha256-identical), --dry-run, --commands-from-file, a Windows guest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, runCli } from './helpers/cli.js';
import { copyFixture, e2fsck, ROOT, scratch, sha256 } from './helpers/fixtures.js';
import { makeLinuxGuest } from './helpers/customize-guest.js';
import { debugfs } from './helpers/customize-lib.js';
import { shaCryptVerify } from '../src/customize/sha-crypt.js';
import { Guestfs } from '../src/core/guestfs.js';
import { Hive } from '../src/hive/hive.js';

let dir: string, cleanup: () => void, pristine: string;
beforeAll(() => {
  ({ dir, cleanup } = scratch());
  pristine = makeLinuxGuest(dir, { name: 'pristine' });
});
afterAll(() => cleanup());

let n = 0;
/** A fresh copy of the test guest. */
function guest(): string {
  const p = join(dir, `g${n++}.img`);
  copyFileSync(pristine, p);
  return p;
}

const customize = (args: string[], env: Record<string, string> = {}) => runCli(['customize', ...args], { timeoutMs: 120_000, env: { GUESTKIT_BACKEND: 'wasm', ...env } });

describe('customize: bad options are refused before the image is opened', () => {
  const cases: [string[], RegExp][] = [
    [['--chmod', 'rwx:/etc/motd'], /--chmod: invalid permissions 'rwx'/],
    [['--chmod', '0644'], /--chmod: invalid format/],
    [['--write', 'no-colon'], /--write: invalid format/],
    [['--write', 'relative/path:x'], /--write: guest path 'relative\/path' must be absolute/],
    [['--edit', '/etc/motd:s/a++/b/'], /--edit: possessive quantifiers/],
    [['--edit', '/etc/motd:s/a/b/e'], /--edit: the \/e flag/],
    [['--root-password', 'bogus'], /--root-password: invalid password selector 'bogus'/],
    [['--root-password', 'file:/nonexistent/pw'], /--root-password: cannot read the password file/],
    [['--upload', '/nonexistent/file:/tmp'], /--upload: \/nonexistent\/file: No such file/],
    [['--firstboot', '/nonexistent/script'], /--firstboot: cannot read the script/],
    [['--link', 'onlytarget'], /--link: invalid format/],
    [['--timezone', '../../etc/passwd'], /--timezone: invalid timezone/],
    [['--append-line', '/etc/motd'], /--append-line: invalid format/],
    [['--install', 'nginx'], /--install: package installation is not supported/],
    [['--ssh-inject', 'root:bogus:x'], /--ssh-inject: invalid ssh-inject selector/],
    [['--password-crypto', 'md5'], /--password-crypto: md5 is not supported/],
  ];
  it.each(cases)('%j', async (args, message) => {
    // The image does not exist: an error about it would mean it was opened first.
    const r = await customize(['-a', join(dir, 'no-such-image.img'), '--hostname', 'ok', ...args]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).not.toMatch(/no-such-image/);
  });

  it('no -a', async () => {
    const r = await customize(['--hostname', 'x']);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/at least one -a/);
  });

  it('--help says the run is atomic', async () => {
    const r = await runCli(['customize', '--help']);
    expect(r.out).toMatch(/atomic/i);
    expect(r.out).toMatch(/--root-password <SELECTOR>/);
  });
});

describe('customize on a Linux guest (wasm)', () => {
  it('hostname, password and firstboot: visible to cat, verifiable, installed and enabled; e2fsck clean', async () => {
    const img = guest();
    const r = await customize(['-a', img, '--hostname', 'web1', '--root-password', 'password:hunter2', '--firstboot-command', 'touch /root/firstboot-ran']);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toBe(''); // not a terminal: no progress lines
    const cat = await runCli(['cat', '-a', img, '-m', '/dev/sda', '/etc/hostname']);
    expect(cat.out).toBe('web1\n');
    expect((await runCli(['cat', '-a', img, '-m', '/dev/sda', '/etc/hosts'])).out).toBe('127.0.0.1\tlocalhost\n127.0.1.1\tweb1\n');
    const rootHash = (await runCli(['cat', '-a', img, '-m', '/dev/sda', '/etc/shadow'])).out.split('\n')[0]!.split(':')[1]!;
    expect(rootHash).toMatch(/^\$6\$/);
    expect(shaCryptVerify('hunter2', rootHash)).toBe(true);
    expect(execFileSync('openssl', ['passwd', '-6', '-salt', rootHash.split('$')[2]!, 'hunter2'], { encoding: 'utf8' }).trim()).toBe(rootHash);
    expect(debugfs(img, 'stat /etc/systemd/system/multi-user.target.wants/guestfs-firstboot.service')).toMatch(/link dest: "\/usr\/lib\/systemd\/system\/guestfs-firstboot.service"/);
    expect(debugfs(img, 'cat /usr/lib/systemd/system/guestfs-firstboot.service')).toMatch(/^ExecStart=\/usr\/lib\/virt-sysprep\/firstboot.sh start$/m);
    expect(debugfs(img, 'ls /usr/lib/virt-sysprep/scripts')).toMatch(/5000-0001-touch--root-firstboot-ran/);
    // virt-customize refreshes the random seed on every run.
    expect(debugfs(img, 'stat /var/lib/urandom/random-seed')).toMatch(/Size: 512/);
    expect(e2fsck(img).status).toBe(0);
  });

  it('-v prints the progress lines virt-customize prints', async () => {
    const img = guest();
    const r = await customize(['-v', '-a', img, '--hostname', 'h2', '--write', '/etc/motd:hi']);
    expect(r.status).toBe(0);
    const lines = r.err.split('\n').filter((l) => /^\[ *\d+\.\d\] /.test(l)).map((l) => l.replace(/^\[ *\d+\.\d\] /, ''));
    expect(lines).toEqual(['Examining the guest ...', 'Setting a random seed', 'Setting the hostname: h2', 'Writing: /etc/motd', 'Finishing off']);
  });

  it('a failing operation stops the run with one line naming it, and the image is unchanged', async () => {
    const img = guest();
    const sum = sha256(img);
    const r = await customize(['-a', img, '--hostname', 'changed', '--write', '/etc/motd:changed', '--chmod', '0600:/etc/no-such-file', '--touch', '/never']);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^guestkit customize: error: --chmod 0600:\/etc\/no-such-file: .*No such file or directory\n$/);
    expect(sha256(img)).toBe(sum);
  });

  it('--edit of a missing file, --timezone that does not exist: errors, image unchanged', async () => {
    const img = guest();
    const sum = sha256(img);
    for (const args of [['--edit', '/etc/nothing:s/a/b/'], ['--timezone', 'Mars/Olympus']]) {
      const r = await customize(['-a', img, '--write', '/etc/motd:x', ...args]);
      expect(r.status).toBe(1);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(sha256(img)).toBe(sum);
    }
  });

  it('--dry-run checks everything against the guest and changes nothing', async () => {
    const img = guest();
    const sum = sha256(img);
    const ok = await customize(['-n', '-a', img, '--hostname', 'dry', '--root-password', 'password:x', '--write', '/etc/motd:dry']);
    expect(ok.status).toBe(0);
    expect(sha256(img)).toBe(sum);
    const bad = await customize(['--dry-run', '-a', img, '--chmod', '0600:/missing']);
    expect(bad.status).toBe(1);
    expect(sha256(img)).toBe(sum);
  });

  it('--commands-from-file: commands in order, continuation lines, comments', async () => {
    const img = guest();
    const cmds = join(dir, 'cmds.txt');
    writeFileSync(cmds, '# a comment\n\nmkdir /opt/app\nwrite /opt/app/conf:line1\\\nline2\nappend-line /opt/app/conf:line3\nedit /etc/motd:s/welcome/bienvenue/\n');
    const r = await customize(['-a', img, '--commands-from-file', cmds, '--touch', '/opt/app/after']);
    expect(r.status).toBe(0);
    expect(debugfs(img, 'cat /opt/app/conf')).toBe('line1\nline2\nline3\n');
    expect(debugfs(img, 'cat /etc/motd')).toBe('bienvenue\n');
    expect(debugfs(img, 'ls /opt/app')).toMatch(/after/);
    writeFileSync(cmds, 'frobnicate /x\n');
    const bad = await customize(['-a', img, '--commands-from-file', cmds]);
    expect(bad.status).toBe(1);
    expect(bad.err).toMatch(/--commands-from-file: .*command 'frobnicate' not valid/);
  });

  it('on a qcow2 image (qemu-nbd): committed on success, unchanged on failure', async () => {
    const qcow = join(dir, 'guest.qcow2');
    execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', pristine, qcow]);
    const sum = sha256(qcow);
    const bad = await customize(['-a', qcow, '--write', '/etc/motd:x', '--move', '/nope:/nope2']);
    expect(bad.status).toBe(1);
    expect(sha256(qcow)).toBe(sum);
    const ok = await customize(['--format', 'qcow2', '-a', qcow, '--write', '/etc/motd:from qcow2']);
    expect(ok.status).toBe(0);
    expect((await runCli(['cat', '-a', qcow, '-m', '/dev/sda', '/etc/motd'])).out).toBe('from qcow2');
  });
});

/** Starts customize with many slow operations; resolves once `readyLines` progress lines were printed. */
function startLongRun(img: string, payload: string): { child: ReturnType<typeof spawn>; ready: Promise<void>; done: Promise<{ status: number | null; signal: NodeJS.Signals | null; err: string }> } {
  const ops: string[] = [];
  for (let i = 0; i < 400; i++) ops.push('--upload', `${payload}:/tmp/blob${i}`, '--write', `/etc/w${i}:${i}`);
  const child = spawn(process.execPath, [CLI, 'customize', '-v', '-a', img, ...ops], { env: { ...process.env, GUESTKIT_BACKEND: 'wasm' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if ((err.match(/Uploading: /g) ?? []).length >= 20) resolveReady();
  });
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; err: string }>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, err })));
  return { child, ready, done };
}

describe('customize on an NBD URI (qemu-nbd, writable export)', () => {
  it('commits through the export on success; a failure changes nothing', async () => {
    const img = guest();
    const sock = join(dir, 'nbd.sock');
    const server = spawn('qemu-nbd', ['--persistent', '-f', 'raw', '-k', sock, img], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
      const uri = `nbd+unix:///?socket=${sock}`;
      const sum = sha256(img);
      const bad = await customize(['-a', uri, '--write', '/etc/motd:x', '--delete', '/etc/hostname', '--chmod', '0600:/missing']);
      expect(bad.status).toBe(1);
      expect(sha256(img)).toBe(sum);
      const ok = await customize(['-a', uri, '--hostname', 'nbdhost']);
      expect(ok.err).toBe('');
      expect(ok.status).toBe(0);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.on('close', r));
    }
    expect(debugfs(img, 'cat /etc/hostname')).toBe('nbdhost\n');
    expect(e2fsck(img).status).toBe(0);
  });
});

describe('customize is atomic under signals', () => {
  for (const sig of ['SIGKILL', 'SIGINT', 'SIGTERM'] as const) {
    it(`${sig} in the middle of a long run leaves the image sha256-identical`, async () => {
      const img = guest();
      const payload = join(dir, 'payload.bin');
      writeFileSync(payload, Buffer.alloc(64 * 1024, 7));
      const sum = sha256(img);
      const run = startLongRun(img, payload);
      await Promise.race([run.ready, run.done]);
      run.child.kill(sig);
      const res = await run.done;
      if (sig === 'SIGKILL') expect(res.signal).toBe('SIGKILL');
      else {
        expect(res.status).toBe(sig === 'SIGINT' ? 130 : 143);
        expect(res.err).toMatch(/interrupted \(SIG\w+\): the image was not changed/);
      }
      expect(res.err).not.toMatch(/Finishing off/);
      expect(sha256(img)).toBe(sum);
      expect(e2fsck(img).status).toBe(0);
    }, 180_000);
  }

  it('a signal during the commit is held until the commit is complete', async () => {
    const marker = join(dir, 'commit-finished');
    const script = `
      import { SignalGuard } from ${JSON.stringify(join(ROOT, 'dist', 'tools', 'common', 'signal-guard.js'))};
      import { writeFileSync } from 'node:fs';
      const guard = new SignalGuard((l) => process.stderr.write(l + '\\n'));
      await guard.commit(async () => {
        process.kill(process.pid, 'SIGINT');
        await new Promise((r) => setTimeout(r, 300));
        writeFileSync(${JSON.stringify(marker)}, 'done');
      });
      writeFileSync(${JSON.stringify(marker)}, 'not reached');`;
    const res = await new Promise<{ status: number | null; err: string }>((resolve) => {
      const c = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      c.on('close', (status) => resolve({ status, err }));
    });
    expect(res.status).toBe(130);
    expect(res.err).toMatch(/finishing the commit first/);
    expect(execFileSync('cat', [marker], { encoding: 'utf8' })).toBe('done');
  });
});

describe('customize on a Windows guest (wasm)', () => {
  it('hostname in the SYSTEM hive; firstboot: firstboot.bat, the service wrapper and its registry entries', async () => {
    const img = copyFixture('windows.img', dir);
    const tools = join(dir, 'virt-tools');
    mkdirSync(tools, { recursive: true });
    writeFileSync(join(tools, 'rhsrvany.exe'), 'MZ fake service wrapper');
    const r = await customize(['-a', img, '--hostname', 'winbox', '--firstboot-command', 'echo hi'], { VIRT_TOOLS_DATA_DIR: tools });
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const g = new Guestfs({ backend: 'wasm' });
    g.addDrive(img, { readonly: true });
    await g.launch();
    try {
      await g.mountRo('/dev/sda1', '/');
      const system = Hive.open(await g.readFile('/Windows/System32/config/SYSTEM'));
      const sz = (path: string, key: string) => {
        const node = system.nodeAt(path);
        expect(node, path).toBeDefined();
        return system.valueString(system.nodeGetValue(node!, key)!);
      };
      const ccs = 'ControlSet001';
      expect(sz(`${ccs}\\Control\\ComputerName\\ComputerName`, 'ComputerName')).toBe('WINBOX');
      expect(sz(`${ccs}\\Services\\Tcpip\\Parameters`, 'Hostname')).toBe('winbox');
      expect(sz(`${ccs}\\services\\firstboot`, 'ImagePath')).toBe('C:\\Program Files\\Guestfs\\Firstboot\\rhsrvany.exe -s firstboot');
      expect(sz(`${ccs}\\services\\firstboot\\Parameters`, 'CommandLine')).toBe('cmd /c "C:\\Program Files\\Guestfs\\Firstboot\\firstboot.bat"');
      const node = system.nodeAt(`${ccs}\\services\\firstboot`)!;
      expect(system.valueDword(system.nodeGetValue(node, 'Start')!)).toBe(2);
      const bat = Buffer.from(await g.readFile('/Program Files/Guestfs/Firstboot/firstboot.bat')).toString();
      expect(bat).toMatch(/^@echo off\r\n/);
      expect(bat).toMatch(/"%firstboot%\\rhsrvany.exe" -s firstboot uninstall\r\n$/);
      expect(Buffer.from(await g.readFile('/Program Files/Guestfs/Firstboot/scripts/5000-0001-echo-hi.bat')).toString()).toBe('echo hi');
      expect(Buffer.from(await g.readFile('/Program Files/Guestfs/Firstboot/rhsrvany.exe')).toString()).toBe('MZ fake service wrapper');
    } finally {
      await g.close();
    }
  });

  it('firstboot without rhsrvany.exe/pvvxsvc.exe on the host: refused before any change', async () => {
    const img = copyFixture('windows.img', dir);
    const sum = sha256(img);
    const r = await customize(['-a', img, '--hostname', 'x', '--firstboot-command', 'echo hi'], { VIRT_TOOLS_DATA_DIR: join(dir, 'empty') });
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/One of rhsrvany.exe or pvvxsvc.exe is missing/);
    expect(sha256(img)).toBe(sum);
  });
});
