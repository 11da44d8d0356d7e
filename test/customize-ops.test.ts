/**
 * customize's operations through the library on copies of ext4.img (a bare
 * ext4 filesystem with the standard tree), wasm backend, transactional drive:
 * results read back with debugfs, e2fsck -fn clean afterwards.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { copyFixture, e2fsck, scratch, sha256 } from './helpers/fixtures.js';
import { customizeWithLibrary, debugfs } from './helpers/customize-lib.js';
import { shaCryptVerify } from '../src/customize/sha-crypt.js';

let dir: string, cleanup: () => void, img: string;
beforeEach(() => {
  ({ dir, cleanup } = scratch());
  img = copyFixture('ext4.img', dir);
});
afterEach(() => cleanup());

const cat = (p: string) => debugfs(img, `cat ${p}`);
/** debugfs stat: mode (octal string), uid, gid, type. */
function stat(p: string): { mode: string; uid: number; gid: number; type: string; size: number } {
  const out = debugfs(img, `stat ${p}`);
  const m = /Type: (\S+)\s+Mode:\s+(\d+)/.exec(out);
  const u = /User:\s+(\d+)\s+Group:\s+(\d+)/.exec(out);
  const s = /Size:\s+(\d+)/.exec(out);
  if (!m || !u) throw new Error(`no inode for ${p}: ${out.slice(0, 200)}`);
  return { type: m[1]!, mode: m[2]!, uid: Number(u[1]), gid: Number(u[2]), size: Number(s?.[1] ?? -1) };
}
const fsckClean = () => expect(e2fsck(img).status, e2fsck(img).output).toBe(0);

describe('customize operations (wasm, transactional)', () => {
  it('hostname: /etc/hostname and the old name in /etc/hosts (Debian)', async () => {
    await customizeWithLibrary(img, ['--write', '/etc/hosts:127.0.0.1 localhost\n127.0.1.1 guestkit-test.example.org guestkit-test # me\n']);
    const run = await customizeWithLibrary(img, ['--hostname', 'web1.example.com']);
    expect(cat('/etc/hostname')).toBe('web1.example.com\n');
    // As virt-customize: the old name (exactly) becomes the new one; other names stay.
    expect(cat('/etc/hosts')).toBe('127.0.0.1 localhost\n127.0.1.1 guestkit-test.example.org web1.example.com # me\n');
    expect(run.messages).toContain('Setting the hostname: web1.example.com');
    fsckClean();
  });

  it('passwords: $6$ hashes that the reference crypt accepts, disabled, locked; mode and owner of /etc/shadow kept', async () => {
    const before = stat('/etc/shadow');
    const run = await customizeWithLibrary(img, ['--root-password', 'password:s3cr:et', '--password', 'user:locked:password:pw2']);
    const shadow = cat('/etc/shadow').split('\n');
    const rootHash = shadow[0]!.split(':')[1]!;
    expect(rootHash).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(shaCryptVerify('s3cr:et', rootHash)).toBe(true);
    // The host's crypt (openssl) computes the same hash from the same salt.
    const salt = rootHash.split('$')[2]!;
    expect(execFileSync('openssl', ['passwd', '-6', '-salt', salt, 's3cr:et'], { encoding: 'utf8' }).trim()).toBe(rootHash);
    const userHash = shadow[1]!.split(':')[1]!;
    expect(userHash.startsWith('!!$6$')).toBe(true);
    expect(shaCryptVerify('pw2', userHash.slice(2))).toBe(true);
    expect(shadow[0]!.split(':').slice(2)).toEqual(['19000', '0', '99999', '7', '', '', '']);
    const after = stat('/etc/shadow');
    expect([after.mode, after.uid, after.gid]).toEqual([before.mode, before.uid, before.gid]);
    expect(run.messages).toContain('Setting passwords');
    fsckClean();
  });

  it('random and disabled passwords: the generated one is printed and verifies', async () => {
    const run = await customizeWithLibrary(img, ['--root-password', 'random', '--password', 'user:disabled']);
    const m = /^Setting random password of root to ([A-Za-z0-9]{16})$/.exec(run.infos[0] ?? '');
    expect(m).not.toBeNull();
    const shadow = cat('/etc/shadow').split('\n');
    expect(shaCryptVerify(m![1]!, shadow[0]!.split(':')[1]!)).toBe(true);
    expect(shadow[1]!.split(':')[1]).toBe('*');
  });

  it('password for a user the guest does not have fails', async () => {
    const sum = sha256(img);
    await expect(customizeWithLibrary(img, ['--password', 'nobody:password:x'])).rejects.toThrow(/nobody not found in the guest's \/etc\/shadow/);
    expect(sha256(img)).toBe(sum);
  });

  it('write, append-line (line endings), mkdir, touch, chmod, chown, truncate', async () => {
    await customizeWithLibrary(img, [
      '--write', '/etc/motd:hello',
      '--append-line', '/etc/motd:second',
      '--write', '/etc/dos.txt:a\r\nb',
      '--append-line', '/etc/dos.txt:c',
      '--append-line', '/etc/new.conf:first',
      '--append-line', '/var/empty/empty-file:x',
      '--mkdir', '/opt/a/b/c',
      '--touch', '/opt/a/b/c/file',
      '--chmod', '0600:/opt/a/b/c/file',
      '--chown', '1000:100:/opt/a/b/c/file',
      '--chmod', '493:/opt/a', // decimal, as virt-customize reads a number without a leading 0 (= 0755)
      '--truncate', '/home/user/hello.txt',
    ]);
    expect(cat('/etc/motd')).toBe('hello\nsecond\n');
    expect(cat('/etc/dos.txt')).toBe('a\r\nb\r\nc\r\n');
    expect(cat('/etc/new.conf')).toBe('first\n');
    expect(cat('/var/empty/empty-file')).toBe('x\n');
    expect(stat('/opt/a/b/c/file')).toMatchObject({ type: 'regular', mode: '0600', uid: 1000, gid: 100, size: 0 });
    expect(stat('/opt/a').mode).toBe('0755');
    expect(stat('/home/user/hello.txt').size).toBe(0);
    fsckClean();
  });

  it('copy (recursive, modes kept), move, link (several), delete with a glob, scrub', async () => {
    await customizeWithLibrary(img, [
      '--mkdir', '/opt',
      '--copy', '/home/user:/opt',
      '--move', '/etc/os-release:/etc/os-release.old',
      '--link', '/etc/hostname:/l1:/l2',
      '--delete', '/deep/a/b/c/d/e/f/g/*.txt',
      '--delete', '/dir with spaces',
      '--scrub', '/home/user/original',
    ]);
    expect(stat('/opt/user/docs/numbers.txt')).toMatchObject({ uid: 1000, gid: 1000 });
    expect(cat('/opt/user/hello.txt')).toBe('hello, world\n');
    expect(debugfs(img, 'stat /opt/user/link-relative')).toMatch(/Fast link dest: "hello.txt"/);
    expect(cat('/etc/os-release.old')).toMatch(/^PRETTY_NAME=/);
    expect(debugfs(img, 'ls /etc')).not.toMatch(/ os-release /);
    expect(debugfs(img, 'stat /l1')).toMatch(/Fast link dest: "\/etc\/hostname"/);
    expect(debugfs(img, 'stat /l2')).toMatch(/Fast link dest: "\/etc\/hostname"/);
    expect(debugfs(img, 'ls /deep/a/b/c/d/e/f/g')).not.toMatch(/leaf\.txt/);
    expect(debugfs(img, 'ls /')).not.toMatch(/dir with spaces/);
    expect(debugfs(img, 'ls /home/user')).not.toMatch(/ original /);
    expect(cat('/home/user/hardlink')).toBe('\0'.repeat('shared\n'.length)); // the same inode: overwritten in place
    fsckClean();
  });

  it('upload (into a directory, permissions kept) and copy-in (a tree)', async () => {
    const local = join(dir, 'tool.sh');
    writeFileSync(local, '#!/bin/sh\necho tool\n');
    chmodSync(local, 0o750);
    const tree = join(dir, 'payload');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    writeFileSync(join(tree, 'sub', 'f.txt'), 'payload\n');
    await customizeWithLibrary(img, ['--upload', `${local}:/bin`, '--upload', `${local}:/bin/renamed`, '--mkdir', '/opt', '--copy-in', `${tree}:/opt`]);
    expect(cat('/bin/tool.sh')).toBe('#!/bin/sh\necho tool\n');
    expect(stat('/bin/tool.sh').mode).toBe('0750');
    expect(cat('/bin/renamed')).toBe('#!/bin/sh\necho tool\n');
    expect(cat('/opt/payload/sub/f.txt')).toBe('payload\n');
    fsckClean();
  });

  it('edit: Perl substitutions line by line', async () => {
    await customizeWithLibrary(img, ['--write', '/etc/ssh.conf:#PermitRootLogin yes\nPort 22\nX11Forwarding yes\n',
      '--edit', '/etc/ssh.conf:s/^#?PermitRootLogin.*/PermitRootLogin no/; s/(\\d+)$/$1$1/']);
    expect(cat('/etc/ssh.conf')).toBe('PermitRootLogin no\nPort 2222\nX11Forwarding yes\n');
  });

  it('timezone, ssh-inject (home, modes, owner), firstboot (systemd unit enabled, sysvinit links)', async () => {
    const key = join(dir, 'id.pub');
    writeFileSync(key, 'ssh-ed25519 AAAAC3Nza test@host');
    await customizeWithLibrary(img, [
      '--mkdir', '/usr/share/zoneinfo/Europe', '--touch', '/usr/share/zoneinfo/Europe/London',
      '--timezone', 'Europe/London',
      '--ssh-inject', `user:file:${key}`,
      '--ssh-inject', 'user:string:ssh-rsa BBBB second',
      '--mkdir', '/etc/systemd/system', '--mkdir', '/etc/init.d',
      '--firstboot-command', 'echo first > /root/fb',
    ]);
    expect(debugfs(img, 'stat /etc/localtime')).toMatch(/Fast link dest: "\/usr\/share\/zoneinfo\/Europe\/London"/);
    expect(cat('/home/user/.ssh/authorized_keys')).toBe('ssh-ed25519 AAAAC3Nza test@host\nssh-rsa BBBB second\n');
    expect(stat('/home/user/.ssh')).toMatchObject({ mode: '0700', uid: 1000, gid: 1000 });
    expect(stat('/home/user/.ssh/authorized_keys')).toMatchObject({ mode: '0600', uid: 1000, gid: 1000 });
    expect(cat('/usr/lib/systemd/system/guestfs-firstboot.service')).toMatch(/ExecStart=\/usr\/lib\/virt-sysprep\/firstboot.sh start/);
    expect(debugfs(img, 'stat /etc/systemd/system/multi-user.target.wants/guestfs-firstboot.service')).toMatch(/link dest: "\/usr\/lib\/systemd\/system\/guestfs-firstboot.service"/);
    expect(stat('/usr/lib/virt-sysprep/firstboot.sh').mode).toBe('0755');
    expect(cat('/usr/lib/virt-sysprep/scripts/5000-0001-echo-first----root-fb')).toBe('echo first > /root/fb');
    expect(stat('/usr/lib/virt-sysprep/scripts/5000-0001-echo-first----root-fb').mode).toBe('0755');
    expect(debugfs(img, 'stat /etc/rc2.d/S99guestfs-firstboot')).toMatch(/Fast link dest: "..\/init.d\/guestfs-firstboot"/);
    expect(debugfs(img, 'stat /etc/init.d/guestfs-firstboot')).toMatch(/link dest: "\/usr\/lib\/virt-sysprep\/firstboot.sh"/);
    fsckClean();
  });

  it('a failing operation (chmod of a missing file) leaves the image byte-identical', async () => {
    const sum = sha256(img);
    await expect(customizeWithLibrary(img, ['--hostname', 'changed', '--write', '/etc/motd:x', '--chmod', '0644:/no/such/file'])).rejects.toThrow(/--chmod 0644:\/no\/such\/file: .*No such file/);
    expect(sha256(img)).toBe(sum);
  });
});
