/**
 * guestfish-style scenarios. Each runs the same script on every backend under test
 * (GUESTKIT_TEST_BACKENDS, default "wasm") and must print exactly the expected output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFish } from './helpers/fish-run.js';
import { copyFixture, e2fsck, fixture, scratch, sha256 } from './helpers/fixtures.js';

const BACKENDS = (process.env.GUESTKIT_TEST_BACKENDS ?? 'wasm').split(',') as ('wasm' | 'appliance')[];

describe.each(BACKENDS)('scenarios on the %s backend', (backend) => {
  let tmp: ReturnType<typeof scratch>;
  beforeAll(() => { tmp = scratch(); });
  afterAll(() => tmp.cleanup());

  it('inspects devices of a GPT qcow2', async () => {
    const r = await runFish(backend, `
add-drive ${fixture('debian.qcow2')} readonly:true
run
list-devices
list-partitions
list-filesystems
vfs-type /dev/sda2
vfs-label /dev/sda2
vfs-uuid /dev/sda1
blockdev-getsize64 /dev/sda1
`);
    expect(r.err).toBe('');
    expect(r.out).toBe([
      '/dev/sda', '/dev/sda1', '/dev/sda2', '/dev/sda1: ext2', '/dev/sda2: ext4', 'ext4', 'root',
      '33333333-0000-0000-0000-000000000001', String(16384 * 512), '',
    ].join('\n'));
    expect(r.status).toBe(0);
  });

  it('reads files, stats and checksums', async () => {
    const r = await runFish(backend, `
add-ro ${fixture('ext4.img')}
run
mount-ro /dev/sda /
cat /etc/hostname
head-n 2 /home/user/docs/numbers.txt
tail-n 1 /home/user/docs/numbers.txt
is-file /etc/hostname
is-dir /etc/hostname
is-symlink /home/user/link-relative
exists /nope
readlink /home/user/link-absolute
checksum sha256 /etc/hostname
find /deep/a/b/c/d
echo done "with quotes" 'and single'
`);
    expect(r.err).toBe('');
    expect(r.out).toBe([
      'guestkit-test', '', '1', '2', '400000', 'true', 'false', 'true', 'false', '/etc/hostname',
      // printf 'guestkit-test\n' | sha256sum
      'a4852b52c82c708856b9aae7574d0b528226de3af9ba9a160c3ba50f5d04cc0c', '/e', '/e/f', '/e/f/g', '/e/f/g/leaf.txt',
      'done with quotes and single', '',
    ].join('\n'));
    expect(r.status).toBe(0);
  });

  it('stops at the first error unless the command starts with -', async () => {
    const r = await runFish(backend, `
add-ro ${fixture('ext4.img')}
run
mount-ro /dev/sda /
-cat /nope
echo after ignored error
cat /nope
echo never printed
`);
    expect(r.out).toBe('after ignored error\n');
    expect(r.err).toBe('guestkit: error: cat: /nope: No such file or directory\nguestkit: error: cat: /nope: No such file or directory\n');
    expect(r.status).toBe(1);
  });

  it('refuses commands before run, with the reason', async () => {
    const r = await runFish(backend, `add-ro ${fixture('ext4.img')}\ncat /etc/hostname\n`);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^guestkit: error: cat: call 'launch' \(or 'run'\) before this command\n$/);
  });

  it('writes with fish syntax (octal, hex, quoting) and leaves e2fsck clean', async () => {
    const img = copyFixture('ext4.img', tmp.dir);
    const r = await runFish(backend, `
add ${img} format:raw
run
mount /dev/sda /
write /new "line one\\nline two\\n"
write-append /new "three\\n"
chmod 0600 /new
mkdir-p /a/b/c
touch /a/b/c/empty
chmod 0x1ed /a/b/c/empty
ln-s /new /a/link
cp /new /a/b/copy
mv /a/b/copy /a/moved
rm-rf /deep
cat /a/link
ll /a/b/c
statns /a/b/c/empty
umount-all
`);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^line one\nline two\nthree\n\ntotal \d+\n/);
    expect(r.out).toMatch(/\n-rwxr-xr-x 1 0 0    0 \w{3} [ \d]\d \d\d:\d\d empty\n/);
    expect(r.out).toMatch(/\nst_mode: 33261\n/);
    expect(e2fsck(img).status).toBe(0);
  });

  it('leaves a read-only drive byte-identical after writes to it', async () => {
    const img = copyFixture('ext4.img', tmp.dir);
    const before = sha256(img);
    const r = await runFish(backend, `add-drive-ro ${img}\nrun\nmount /dev/sda /\nwrite /etc/hostname "x"\ncat /etc/hostname\n`);
    expect(r.out).toBe('x\n');
    expect(sha256(img)).toBe(before);
  });
});
