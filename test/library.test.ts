/** The Guestfs library on the wasm backend: devices, reading, writing, errors, safety. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { copyFixture, e2fsck, fixture, scratch, sha256 } from './helpers/fixtures.js';

describe('devices and probing', () => {
  it('lists devices, partitions and filesystems of an MBR disk with logicals', async () => {
    const g = new Guestfs();
    g.addDrive(fixture('mbr.img'), { readonly: true });
    await g.launch();
    expect(await g.listDevices()).toEqual(['/dev/sda']);
    expect(await g.listPartitions()).toEqual(['/dev/sda1', '/dev/sda2', '/dev/sda5', '/dev/sda6']);
    expect(await g.listFilesystems()).toEqual({ '/dev/sda1': 'ext4', '/dev/sda5': 'ext3', '/dev/sda6': 'ext2' });
    expect(await g.vfsLabel('/dev/sda5')).toBe('mbr-logical5');
    expect(await g.vfsUuid('/dev/sda6')).toBe('22222222-0000-0000-0000-000000000006');
    expect(await g.blockdevGetsize64('/dev/sda')).toBe(40 * 1024 * 1024);
    expect(await g.blockdevGetsize64('/dev/sda5')).toBe(16384 * 512);
    await g.close();
  });

  it('names several drives sda, sdb and reads a qcow2 (natively, read-only)', async () => {
    const g = new Guestfs();
    g.addDrive(fixture('ext4.img'), { readonly: true });
    g.addDrive(fixture('debian.qcow2'), { readonly: true });
    await g.launch();
    expect(await g.listDevices()).toEqual(['/dev/sda', '/dev/sdb']);
    expect(await g.listFilesystems()).toEqual({ '/dev/sda': 'ext4', '/dev/sdb1': 'ext2', '/dev/sdb2': 'ext4' });
    await g.mountRo('/dev/sdb2', '/');
    expect(await g.cat('/etc/hostname')).toBe('debian-guest\n');
    await g.close();
  });
});

describe('reading a mounted ext4 filesystem', () => {
  let g: Guestfs;
  beforeAll(async () => {
    g = new Guestfs();
    g.addDrive(fixture('ext4.img'), { readonly: true });
    await g.launch();
    await g.mountRo('/dev/sda', '/');
  });
  afterAll(async () => g.close());

  it('lists, reads and stats files', async () => {
    expect(await g.ls('/home/user')).toEqual(['dangling', 'docs', 'hardlink', 'hello.txt', 'link-absolute', 'link-relative', 'long-symlink', 'original']);
    expect(await g.cat('/home/user/hello.txt')).toBe('hello, world\n');
    expect(await g.headN(3, '/home/user/docs/numbers.txt')).toEqual(['1', '2', '3']);
    expect(await g.tailN(2, '/home/user/docs/numbers.txt')).toEqual(['399999', '400000']);
    expect(await g.headN(-399998, '/home/user/docs/numbers.txt')).toEqual(['1', '2']);
    expect(await g.tailN(-399999, '/home/user/docs/numbers.txt')).toEqual(['399999', '400000']);
    expect((await g.head('/home/user/docs/numbers.txt')).length).toBe(10);
    const st = await g.statns('/home/user/hello.txt');
    expect(st.st_size).toBe(13);
    expect(st.st_mode).toBe(0o100644);
    expect(st.st_uid).toBe(1000);
    expect(st.st_mtime_sec).toBe(1700000000);
    expect(st.st_dev).toBe(2048);
    expect((await g.statns('/home/user/hardlink')).st_nlink).toBe(2);
    expect((await g.lstatns('/home/user/link-relative')).st_mode).toBe(0o120777);
    expect((await g.statns('/home/user/link-relative')).st_mode).toBe(0o100644);
  });

  it('reads a file of a few MiB exactly', async () => {
    const buf = await g.readFile('/home/user/docs/numbers.txt');
    const expected = Array.from({ length: 400000 }, (_, i) => `${i + 1}\n`).join('');
    expect(buf.length).toBe(expected.length);
    expect(Buffer.from(buf).toString()).toBe(expected);
    expect(await g.checksum('md5', '/home/user/docs/numbers.txt')).toBe('9661da04da603a826131297f907b45fb');
    expect(await g.checksum('crc', '/home/user/hello.txt')).toBe('1398783287');
  });

  it('resolves symlinks inside the guest, never the host', async () => {
    expect(await g.readlink('/home/user/link-absolute')).toBe('/etc/hostname');
    expect(await g.cat('/home/user/link-absolute')).toBe('guestkit-test\n');
    expect(await g.cat('/home/user/docs/link-up')).toContain('ID=debian');
    // '..' above the root stays at the guest's root.
    expect(await g.cat('/../../../../etc/hostname')).toBe('guestkit-test\n');
    expect(await g.exists('/home/user/dangling')).toBe(false);
    expect(await g.isSymlink('/home/user/dangling')).toBe(true);
    expect(await g.isFile('/home/user/link-relative')).toBe(false);
    expect(await g.isFile('/home/user/link-relative', { followsymlinks: true })).toBe(true);
    expect(await g.isDir('/home')).toBe(true);
  });

  it('handles names with spaces and UTF-8, and deep trees', async () => {
    expect(await g.cat('/dir with spaces/file with spaces.txt')).toBe('notes\nline two\n');
    expect(await g.cat('/ünïcødé/日本語.txt')).toBe('grüße\n');
    expect(await g.find('/deep')).toEqual(['/a', '/a/b', '/a/b/c', '/a/b/c/d', '/a/b/c/d/e', '/a/b/c/d/e/f', '/a/b/c/d/e/f/g', '/a/b/c/d/e/f/g/leaf.txt']);
    expect((await g.find('/')).slice(0, 2)).toEqual(['bin', 'bin/hello.sh']);
  });

  it('fails with typed, one-line errors', async () => {
    await expect(g.cat('/nope')).rejects.toMatchObject({ code: 'ENOENT', command: 'cat', message: '/nope: No such file or directory' });
    await expect(g.cat('/etc')).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(g.ls('/etc/hostname')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(g.cat('relative')).rejects.toMatchObject({ code: 'EINVAL', message: 'relative: path must start with a / character' });
    // A list of names in a directory is checked element by element, as libguestfs's StringList (Filename, _).
    await expect(g.lstatnslist('/etc', ['hostname', 'a/b'])).rejects.toMatchObject({ code: 'EINVAL', command: 'lstatnslist', message: "names: 'a/b' is not a file name" });
    await expect(g.write('/x', 'y')).rejects.toMatchObject({ code: 'EROFS' });
  });
});

describe('writing', () => {
  let tmp: ReturnType<typeof scratch>;
  beforeAll(() => { tmp = scratch(); });
  afterAll(() => tmp.cleanup());

  it('writes through every write command and leaves e2fsck clean', async () => {
    for (const name of ['ext2.img', 'ext3.img', 'ext4.img']) {
      const img = copyFixture(name, tmp.dir);
      const g = new Guestfs();
      g.addDrive(img, { format: 'raw' });
      await g.launch();
      await g.mount('/dev/sda', '/');
      await g.write('/new.txt', 'first\n');
      await g.writeAppend('/new.txt', 'second\n');
      await g.mkdirP('/srv/a/b/c');
      await g.mkdir('/srv/d');
      await expect(g.mkdir('/srv/d')).rejects.toMatchObject({ code: 'EEXIST' });
      await g.touch('/srv/a/empty');
      await g.cp('/new.txt', '/srv/a/copy.txt');
      await g.mv('/srv/a/copy.txt', '/srv/d');
      await g.chmod(0o600, '/new.txt');
      await g.chown(1000, 1001, '/new.txt');
      await g.lnS('../new.txt', '/srv/link');
      await g.ln('/new.txt', '/srv/hard');
      await g.rm('/home/user/hello.txt');
      await g.rmF('/does/not/exist');
      await expect(g.rmdir('/srv/a')).rejects.toMatchObject({ code: 'ENOTEMPTY' });
      await g.rmRf('/deep');
      await g.rmdir('/srv/a/b/c');
      await g.write('/home/user/docs/numbers.txt', 'short\n');
      await g.sync();
      expect(await g.cat('/srv/link')).toBe('first\nsecond\n');
      expect(await g.cat('/srv/d/copy.txt')).toBe('first\nsecond\n');
      expect((await g.statns('/new.txt')).st_nlink).toBe(2);
      await g.close();
      const fsck = e2fsck(img);
      expect(fsck.output, name).not.toMatch(/UNEXPECTED|Fix\?/);
      expect(fsck.status, fsck.output).toBe(0);

      const r = new Guestfs();
      r.addDrive(img, { readonly: true });
      await r.launch();
      await r.mountRo('/dev/sda', '/');
      expect(await r.cat('/new.txt')).toBe('first\nsecond\n');
      const st = await r.statns('/new.txt');
      expect([(st.st_mode as number) & 0o7777, st.st_uid, st.st_gid]).toEqual([0o600, 1000, 1001]);
      expect(await r.exists('/deep')).toBe(false);
      expect(await r.exists('/home/user/hello.txt')).toBe(false);
      expect(await r.cat('/home/user/docs/numbers.txt')).toBe('short\n');
      expect(await r.readlink('/srv/link')).toBe('../new.txt');
      await r.close();
    }
  });

  it('writes into a logical partition of an MBR disk and keeps the others clean', async () => {
    const img = copyFixture('mbr.img', tmp.dir);
    const g = new Guestfs();
    g.addDrive(img);
    await g.launch();
    await g.mount('/dev/sda1', '/');
    await g.mkdir('/boot');
    await g.mount('/dev/sda5', '/boot');
    await g.write('/boot/grub.cfg', 'set default=0\n');
    expect(await g.mounts()).toEqual(['/dev/sda1', '/dev/sda5']);
    expect(await g.mountpoints()).toEqual({ '/dev/sda1': '/', '/dev/sda5': '/boot' });
    await g.umountAll();
    await g.close();
    expect(e2fsck(img, 36864 * 512).status).toBe(0);
    expect(e2fsck(img, 2048 * 512).status).toBe(0);
  });

  it('never writes to a read-only drive, even when mounted read-write', async () => {
    const img = copyFixture('gpt.img', tmp.dir);
    const before = sha256(img);
    const g = new Guestfs();
    g.addDrive(img, { readonly: true });
    await g.launch();
    await g.mount('/dev/sda2', '/');
    await g.write('/etc/hostname', 'changed\n');
    expect(await g.cat('/etc/hostname')).toBe('changed\n');
    await g.close();
    expect(sha256(img)).toBe(before);
  });
});
