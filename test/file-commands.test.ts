/**
 * The file command families (issue #10 part B) on every test backend: content,
 * offsets and transfers, making and changing files, extended attributes and friends,
 * device names. Expected values come from libguestfs 1.48 (guestfish -N fs:ext2,
 * the same operations; see test/golden/file-commands.NOTES.md).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { e2fsck, scratch } from './helpers/fixtures.js';
import { TEST_BACKENDS } from './helpers/backends.js';

const NOT_ON_WASM = /not supported by the wasm backend: use --backend=appliance/;

describe.each(TEST_BACKENDS)('file command families on the %s backend', (backend) => {
  let tmp: ReturnType<typeof scratch>;
  let img: string;
  let g: Guestfs;
  const host = (name: string) => join(tmp.dir, name);

  beforeAll(async () => {
    tmp = scratch();
    img = host('disk.img');
    execFileSync('truncate', ['-s', '32M', img]);
    execFileSync('mkfs.ext2', ['-q', '-F', '-b', '1024', img]);
    g = new Guestfs({ backend });
    g.addDrive(img);
    await g.launch();
    await g.mount('/dev/sda', '/');
  }, 120_000);

  afterAll(async () => {
    await g?.close();
    tmp?.cleanup();
  });

  it('reads content: read-lines, wc, the grep family, strings, hexdump, equal, checksum', async () => {
    await g.write('/a', 'line1\r\nline2\nline3');
    expect(await g.readLines('/a')).toEqual(['line1', 'line2', 'line3']);
    expect([await g.wcL('/a'), await g.wcW('/a'), await g.wcC('/a')]).toEqual([2, 3, 18]);

    await g.write('/g', 'abc\nABC\nfoo bar\nabc123\na.c\n');
    expect(await g.grep('abc', '/g')).toEqual(['abc', 'abc123']);
    expect(await g.grepi('abc', '/g')).toEqual(['abc', 'ABC', 'abc123']);
    expect(await g.egrep('a.c[0-9]+', '/g')).toEqual(['abc123']);
    expect(await g.fgrep('a.c', '/g')).toEqual(['a.c']);
    // Basic syntax: \{ \| are operators, { is a literal; extended syntax the other way round.
    expect(await g.grep('c\\{1\\}1\\|bar', '/g')).toEqual(['foo bar', 'abc123']);
    expect(await g.grep('c{1}', '/g')).toEqual([]);
    expect(await g.egrep('c{1}1|^foo', '/g')).toEqual(['foo bar', 'abc123']);
    expect(await g.grep('[[:upper:]]', '/g')).toEqual(['ABC']);
    expect(await g.grep('^A', '/g', { insensitive: true })).toEqual(['abc', 'ABC', 'abc123', 'a.c']);
    expect(await g.grep('zzz', '/g')).toEqual([]);
    await expect(g.grep('a', '/g', { extended: true, fixed: true })).rejects.toThrow("can't use 'extended' and 'fixed' flags at the same time");

    writeFileSync(host('z.gz'), gzipSync('hello zip\nother\n'));
    await g.upload(host('z.gz'), '/z.gz');
    expect(await g.zgrep('hello', '/z.gz')).toEqual(['hello zip']);
    expect(await g.zgrepi('HELLO', '/z.gz')).toEqual(['hello zip']);
    expect(await g.zgrep('abc', '/g')).toEqual(['abc', 'abc123']);

    writeFileSync(host('s.bin'), Buffer.from('\x01\x02abcd\x00efg\x00hijklmn\tx y\x80\x81zz\nmore text\n', 'latin1'));
    await g.upload(host('s.bin'), '/s');
    expect(await g.strings('/s')).toEqual(['abcd', 'hijklmn\tx y', 'more text']);
    writeFileSync(host('s16.bin'), Buffer.from('a\0b\0c\0d\0\0\0x\0\0h\0e\0l\0l\0o\0', 'latin1'));
    await g.upload(host('s16.bin'), '/s16');
    expect(await g.stringsE('l', '/s16')).toEqual(['abcd', 'hello']);
    expect(await g.stringsE('b', '/s16')).toEqual(['hello']);
    await expect(g.stringsE('q', '/s16')).rejects.toThrow('q: invalid encoding');

    expect(await g.hexdump('/a')).toBe(
      '00000000  6c 69 6e 65 31 0d 0a 6c  69 6e 65 32 0a 6c 69 6e  |line1..line2.lin|\n' +
      '00000010  65 33                                             |e3|\n00000012\n',
    );
    await g.fill(0, 100, '/zero');
    expect(await g.hexdump('/zero')).toBe(
      '00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n' +
      '00000060  00 00 00 00                                       |....|\n00000064\n',
    );
    expect([await g.equal('/a', '/a'), await g.equal('/a', '/g')]).toEqual([true, false]);

    const sums: Record<string, string> = {};
    for (const t of ['crc', 'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']) sums[t] = await g.checksum(t, '/a');
    expect(sums).toEqual(CHECKSUMS_OF_A);
    await expect(g.checksum('foo', '/a')).rejects.toThrow('unknown checksum type, expecting crc|md5|sha1|sha224|sha256|sha384|sha512');
  });

  it('reads and writes at offsets and moves data in and out', async () => {
    expect(Buffer.from(await g.pread('/a', 5, 2)).toString()).toBe('ne1\r\n');
    expect(await g.pread('/a', 5, 1000)).toHaveLength(0);
    expect(await g.pwrite('/a', 'XY', 1)).toBe(2);
    expect(await g.cat('/a')).toBe('lXYe1\r\nline2\nline3');
    await expect(g.pwrite('/nonexist', 'XY', 1)).rejects.toThrow('open: /nonexist: No such file or directory');
    await expect(g.pwrite('/nonexist', 'XY', 1)).rejects.toMatchObject({ code: 'ENOENT' });

    await g.downloadOffset('/g', host('part'), 2, 5);
    expect(readFileSync(host('part'), 'utf8')).toBe('c\nABC');
    writeFileSync(host('up.bin'), 'UPL');
    await g.uploadOffset(host('up.bin'), '/g', 1);
    expect(await g.cat('/g')).toBe('aUPLABC\nfoo bar\nabc123\na.c\n');
    await g.uploadOffset(host('up.bin'), '/newup', 2);
    expect(Buffer.from(await g.readFile('/newup'))).toEqual(Buffer.from('\0\0UPL', 'latin1'));

    await g.base64Out('/g', host('g.b64'));
    expect(readFileSync(host('g.b64'), 'utf8')).toBe('YVVQTEFCQwpmb28gYmFyCmFiYzEyMwphLmMK\n');
    writeFileSync(host('in.b64'), 'aGVsbG8gYjY0Cg==\n');
    await g.base64In(host('in.b64'), '/b64');
    expect(await g.cat('/b64')).toBe('hello b64\n');

    await g.mkdir('/d');
    await g.lnS('../a', '/d/l');
    await g.write('/d/f', 'x');
    expect(await g.realpath('/d/l')).toBe('/a');
    expect(await g.realpath('/d/../d')).toBe('/d');
    await expect(g.realpath('/nonexist')).rejects.toMatchObject({ code: 'ENOENT' });
    await g.find0('/d', host('find0'));
    expect(readFileSync(host('find0'), 'latin1').split('\0').sort()).toEqual(['', '/f', '/l']);
    await g.ls0('/d', host('ls0'));
    expect(readFileSync(host('ls0'), 'latin1')).toBe('f\0l\0');
    await g.checksumsOut('md5', '/d', host('sums'));
    expect(readFileSync(host('sums'), 'utf8')).toBe('9dd4e461268c8034f5c8564e155c67a6  ./f\n');
    await g.checksumsOut('crc', '/d', host('sums'));
    expect(readFileSync(host('sums'), 'utf8')).toBe('12738659 1 ./f\n');
    expect(await g.du('/zero')).toBe(1);
    expect(await g.du('/d')).toBe(2);
  });

  it('makes and changes files', async () => {
    await g.mkdirMode('/m', 0o777);
    expect((await g.statns('/m')).st_mode).toBe(0o40755);
    await expect(g.mkdirMode('/m', 0o777)).rejects.toMatchObject({ code: 'EEXIST' });
    const dtemp = await g.mkdtemp('/m/tmpXXXXXX');
    expect(dtemp).toMatch(/^\/m\/tmp[A-Za-z0-9]{6}$/);
    expect((await g.statns(dtemp)).st_mode).toBe(0o40700);
    const ftemp = await g.mktemp('/m/fXXXXXX', { suffix: '.txt' });
    expect(ftemp).toMatch(/^\/m\/f[A-Za-z0-9]{6}\.txt$/);
    expect((await g.statns(ftemp)).st_mode).toBe(0o100600);
    await expect(g.mkdtemp('/m/bad')).rejects.toMatchObject({ code: 'EINVAL' });

    await g.write('/r', 'r');
    await g.rename('/r', '/r2');
    expect(await g.exists('/r')).toBe(false);
    expect(await g.cat('/r2')).toBe('r');
    await expect(g.rename('/nonexist', '/x')).rejects.toThrow('rename: /nonexist: /x: No such file or directory');

    await g.write('/t', 'lXYe1\r\nline2');
    await g.truncateSize('/t', 3);
    expect(await g.cat('/t')).toBe('lXY');
    await g.truncateSize('/t', 5);
    expect(Buffer.from(await g.readFile('/t'))).toEqual(Buffer.from('lXY\0\0', 'latin1'));
    await g.truncate('/t');
    expect(await g.wcC('/t')).toBe(0);
    await expect(g.truncate('/nonexist')).rejects.toThrow('open: /nonexist: No such file or directory');

    await g.fallocate64('/fa', 10000);
    const fa = await g.statns('/fa');
    expect([fa.st_size, fa.st_blocks, fa.st_mode]).toEqual([10000, 20, 0o100644]);
    await g.utimens('/fa', 12345, 678, 23456, 789);
    const ut = await g.statns('/fa');
    expect([ut.st_atime_sec, ut.st_atime_nsec, ut.st_mtime_sec, ut.st_mtime_nsec]).toEqual([12345, 678, 23456, 789]);
    await g.utimens('/fa', 0, -2, 99999, 0);
    const ut2 = await g.statns('/fa');
    expect([ut2.st_atime_sec, ut2.st_atime_nsec, ut2.st_mtime_sec]).toEqual([12345, 678, 99999]);

    await g.lnS('/a', '/lc');
    await g.lchown(10, 11, '/lc');
    const lc = await g.lstatns('/lc');
    expect([lc.st_uid, lc.st_gid]).toEqual([10, 11]);
    expect((await g.statns('/lc')).st_uid).toBe(0);

    await g.write('/h1', 'one');
    await g.write('/h2', 'two');
    await g.lnF('/h1', '/hard');
    await g.lnF('/h2', '/hard');
    expect(await g.cat('/hard')).toBe('two');
    expect((await g.statns('/h2')).st_nlink).toBe(2);
    await g.lnSf('/h1', '/lc');
    expect(await g.readlink('/lc')).toBe('/h1');

    await g.fill(65, 5, '/f');
    expect(await g.cat('/f')).toBe('AAAAA');
    await g.fillPattern('abc', 8, '/p');
    expect(await g.cat('/p')).toBe('abcabcab');
    await expect(g.fill(256, 1, '/f')).rejects.toThrow('256: byte number must be in range 0..255');
    await g.mkdir('/fd');
    await g.fillDir('/fd', 3);
    expect(await g.ls('/fd')).toEqual(['00000000', '00000001', '00000002']);

    await g.mkdirP('/src/sub');
    await g.write('/src/sub/x', 'x');
    await g.chmod(0o600, '/src/sub/x');
    await g.chown(7, 8, '/src/sub/x');
    await g.utimens('/src/sub/x', 1000, 0, 2000, 0);
    await g.cpA('/src', '/dst');
    const a = await g.statns('/dst/sub/x');
    expect([a.st_mode, a.st_uid, a.st_gid, a.st_mtime_sec]).toEqual([0o100600, 7, 8, 2000]);
    await g.cpR('/src', '/dst2');
    const r = await g.statns('/dst2/sub/x');
    expect([r.st_mode, r.st_uid, r.st_mtime_sec === 2000]).toEqual([0o100600, 0, false]);
    await g.cpA('/src', '/dst');
    expect(await g.ls('/dst')).toEqual(['src', 'sub']);

    await g.touch('/ca');
    await g.copyAttributes('/src/sub/x', '/ca', { mode: true, ownership: true });
    const ca = await g.statns('/ca');
    expect([ca.st_mode, ca.st_uid, ca.st_gid]).toEqual([0o100600, 7, 8]);

    if (backend === 'appliance') {
      await g.mkfifo(0o777, '/fifo');
      await g.mknodB(0o777, 8, 1, '/blk');
      await g.mknodC(0o777, 1, 3, '/chr');
      await g.mknod(0o777, 1, 3, '/plain');
      const modes = await Promise.all(['/fifo', '/blk', '/chr', '/plain'].map(async (p) => (await g.lstatns(p)).st_mode));
      expect(modes).toEqual([0o10755, 0o60755, 0o20755, 0o100755]);
      expect((await g.lstatns('/chr')).st_rdev).toBe(259);
      await expect(g.mkfifo(0o10777, '/x')).rejects.toThrow('10777: mode must specify only file permission bits');
    } else {
      await expect(g.mkfifo(0o777, '/fifo')).rejects.toThrow(NOT_ON_WASM);
      await expect(g.mknod(0o10777, 0, 0, '/fifo')).rejects.toThrow(NOT_ON_WASM);
    }
  });

  it('reads and sets extended attributes, ACLs, capabilities and ext2 flags (appliance)', async () => {
    await g.write('/x', 'x');
    if (backend === 'wasm') {
      for (const call of [() => g.getxattrs('/x'), () => g.setxattr('user.a', 'b', 1, '/x'), () => g.aclGetFile('/x', 'access'), () => g.getE2attrs('/x')]) {
        await expect(call()).rejects.toThrow(NOT_ON_WASM);
      }
      await expect(g.copyAttributes('/x', '/a', { all: true })).rejects.toThrow(NOT_ON_WASM);
      return;
    }
    await g.setxattr('user.foo', 'barbaz', 3, '/x');
    expect(Buffer.from(await g.getxattr('/x', 'user.foo')).toString()).toBe('bar');
    expect(await g.getxattrs('/x')).toEqual([{ attrname: 'user.foo', attrval: 'bar' }]);
    await expect(g.getxattr('/x', 'user.nope')).rejects.toMatchObject({ code: 'ENODATA' });
    await g.lnS('/x', '/xl');
    await expect(g.lsetxattr('user.k', 'v', 1, '/xl')).rejects.toThrow('setxattr: Operation not permitted');
    await g.lsetxattr('trusted.k', 'v', 1, '/xl');
    expect(Buffer.from(await g.lgetxattr('/xl', 'trusted.k')).toString()).toBe('v');
    await g.lremovexattr('trusted.k', '/xl');
    await g.removexattr('user.foo', '/x');
    expect(await g.getxattrs('/x')).toEqual([]);

    await g.aclSetFile('/x', 'access', 'user::rwx,user:1000:r--,group::r-x,mask::r-x,other::---');
    expect(await g.aclGetFile('/x', 'access')).toBe('user::rwx\nuser:1000:r--\ngroup::r-x\nmask::r-x\nother::---\n');
    await g.mkdir('/acld');
    await g.aclSetFile('/acld', 'default', 'user::rwx,group::r-x,other::r-x');
    expect(await g.aclGetFile('/acld', 'default')).toBe('user::rwx\ngroup::r-x\nother::r-x\n');
    await g.aclDeleteDefFile('/acld');
    expect(await g.aclGetFile('/acld', 'default')).toBe('');
    await expect(g.aclGetFile('/x', 'bogus')).rejects.toThrow('invalid acltype parameter: bogus');

    await g.capSetFile('/x', 'cap_net_raw=ep');
    expect(await g.capGetFile('/x')).toBe('cap_net_raw=ep');
    expect(await g.capGetFile('/a')).toBe('');

    expect(await g.getE2attrs('/x')).toBe('');
    await g.setE2attrs('/x', 'ai');
    expect(await g.getE2attrs('/x')).toBe('ai');
    await g.setE2attrs('/x', 'ai', { clear: true });
    expect(await g.getE2attrs('/x')).toBe('');
    await g.setE2generation('/x', 1234);
    expect(await g.getE2generation('/x')).toBe(1234);
  });

  it('names devices and mountables as libguestfs does', async () => {
    expect(await g.canonicalDeviceName('/dev/hda1')).toBe('/dev/sda1');
    expect(await g.canonicalDeviceName('/dev/vdb')).toBe('/dev/sdb');
    expect(await g.canonicalDeviceName('/dev/sda')).toBe('/dev/sda');
    expect(await g.mountableDevice('/dev/sda')).toBe('/dev/sda');
    await expect(g.mountableSubvolume('/dev/sda')).rejects.toThrow('not a btrfs subvolume identifier');
  });

  it('leaves a clean filesystem behind', async () => {
    await g.umountAll();
    await g.shutdown();
    expect(e2fsck(img).status).toBe(0);
  });
});

/** checksum of "line1\r\nline2\nline3", from libguestfs 1.48. */
const CHECKSUMS_OF_A: Record<string, string> = {
  crc: '3048986571',
  md5: 'b5053af53c0ec5848ebcf6653854b9e7',
  sha1: 'c8e767e6cfb7cc0a6d48b60296df1f9cc34d4ce0',
  sha224: '65eb17012052f8443732c508177c705f2d13e7ecee0aaa0861e721a5',
  sha256: '664f65bf8a4b56fa7a0e56a7944c0b0e3cbddcd783d3d2d80de7176e2eccb4ac',
  sha384: 'd8849015f713802c36cd6e4ade1e17ad147cb462897471fa229a6c4d155372775e6958fab5bc1788564d85bdd76decf1',
  sha512: 'b7bb2579aa9a184437d303e1565d5cb46d30b39ac53ab898e4824443969a8f9352d2cd654d3b5d979f95a21cdd8841a15771e3fed68dbac317b352d4e09a132f',
};
