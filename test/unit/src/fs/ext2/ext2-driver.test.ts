import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync, linkSync, mkdirSync, openSync, rmSync, symlinkSync, truncateSync, writeFileSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DT_DIR, DT_FIFO, DT_LNK, DT_REG, FsError, type FsDriver, type SyncDevice } from '../../../../../src/fs/fs-driver.js';
import { NbdError } from '../../../../../src/errors/index.js';
import {
  checkTool, closeAllQuietly, errno, FileDevice, fsErrorOf, hostToolEnv, makeTempDir, patchFile, pattern, resolve, runTool, text,
} from '../../../../helpers/host-tools.js';
import { ext2BuildDir, loadExt2Module, openExt2, type Ext2Module } from '../../../../../src/fs/ext2/ext2-driver.js';

const env = hostToolEnv();

let tmp: string;
let mod: Ext2Module;
const devices: FileDevice[] = [];

const sh = (cmd: string, args: string[]) => runTool(env, cmd, args);

const e2fsck = (img: string) => checkTool(env, 'e2fsck', ['-fn', img]);

function open(img: string, readOnly: boolean, m: Ext2Module = mod): FsDriver {
  const dev = new FileDevice(img, readOnly);
  devices.push(dev);
  return openExt2(m, dev, { readOnly });
}


const BIG = pattern(3 * 1024 * 1024 + 123, 7);
const LONG_TARGET = `${'long/target/'.repeat(10)}end`; // 123 bytes: a slow symlink
const UTF8_NAME = 'ünïcødé ✓ 文件.txt';

function makeTree(dir: string): void {
  mkdirSync(dir);
  writeFileSync(join(dir, 'hello.txt'), 'hello, world\n');
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'big.bin'), BIG);
  writeFileSync(join(dir, 'with space.txt'), 'spaces\n');
  writeFileSync(join(dir, UTF8_NAME), 'utf8\n');
  symlinkSync('hello.txt', join(dir, 'short-link'));
  symlinkSync(LONG_TARGET, join(dir, 'long-link'));
  linkSync(join(dir, 'hello.txt'), join(dir, 'hard-link'));
  mkdirSync(join(dir, 'a/b/c/d/e/f/g/h'), { recursive: true });
  writeFileSync(join(dir, 'a/b/c/d/e/f/g/h/deep.txt'), 'deep\n');
  mkdirSync(join(dir, 'nonempty'));
  writeFileSync(join(dir, 'nonempty/x'), 'x');
  mkdirSync(join(dir, 'emptydir'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
}

interface Variant {
  name: string;
  mkfs: string;
  args: string[];
  type: string;
  smallInodes?: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'ext4 4K', mkfs: 'mkfs.ext4', args: ['-b', '4096'], type: 'ext4' },
  { name: 'ext4 1K', mkfs: 'mkfs.ext4', args: ['-b', '1024'], type: 'ext4' },
  { name: 'ext4 no extents', mkfs: 'mkfs.ext4', args: ['-O', '^extent,^64bit', '-b', '4096'], type: 'ext4' },
  { name: 'ext4 inline_data', mkfs: 'mkfs.ext4', args: ['-O', 'inline_data'], type: 'ext4' },
  { name: 'ext4 128-byte inodes', mkfs: 'mkfs.ext4', args: ['-I', '128', '-b', '4096'], type: 'ext4', smallInodes: true },
  { name: 'ext3', mkfs: 'mkfs.ext3', args: ['-b', '4096'], type: 'ext3' },
  { name: 'ext2', mkfs: 'mkfs.ext2', args: [], type: 'ext2' },
];

function mkimg(v: Variant, tree: string, name: string, size = '64M'): string {
  const img = join(tmp, `${name}.img`);
  sh(v.mkfs, ['-q', '-F', ...v.args, '-d', tree, img, size]);
  return img;
}

beforeAll(() => {
  execFileSync('bash', [join(ext2BuildDir(), '..', 'build.sh')], { env, stdio: 'inherit' });
  tmp = makeTempDir('gk-ext2-');
  makeTree(join(tmp, 'tree'));
}, 600_000);

beforeAll(async () => {
  mod = await loadExt2Module();
});

afterAll(() => {
  closeAllQuietly(devices);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.each(VARIANTS)('$name', (v) => {
  let img: string;
  beforeAll(() => {
    img = mkimg(v, join(tmp, 'tree'), v.name.replace(/\W+/g, '_'));
  });

  it('reads what mkfs -d put in', () => {
    const fs = open(img, true);
    try {
      expect(fs.type).toBe(v.type);
      expect(fs.readOnly).toBe(true);
      const names = fs.readdir(fs.rootIno).map((e) => e.name).sort();
      expect(names).toEqual(
        ['a', 'big.bin', 'empty', 'emptydir', 'fifo', 'hard-link', 'hello.txt', 'long-link', 'lost+found',
          'nonempty', 'short-link', UTF8_NAME, 'with space.txt'].sort(),
      );
      const byName = new Map(fs.readdir(fs.rootIno).map((e) => [e.name, e]));
      expect(byName.get('hello.txt')!.type).toBe(DT_REG);
      expect(byName.get('a')!.type).toBe(DT_DIR);
      expect(byName.get('short-link')!.type).toBe(DT_LNK);
      expect(byName.get('fifo')!.type).toBe(DT_FIFO);
      expect(byName.get('hard-link')!.ino).toBe(byName.get('hello.txt')!.ino);

      const hello = fs.lookup(fs.rootIno, 'hello.txt');
      const st = fs.getattr(hello);
      expect(st.mode & 0o170000).toBe(0o100000);
      expect(st.nlink).toBe(2);
      expect(st.size).toBe(13);
      expect(text(fs.read(hello, 0, 100))).toBe('hello, world\n');
      expect(text(fs.read(hello, 7, 5))).toBe('world');
      expect(fs.read(hello, 13, 10).length).toBe(0);
      expect(fs.read(hello, 1000, 10).length).toBe(0);

      const big = fs.lookup(fs.rootIno, 'big.bin');
      const bst = fs.getattr(big);
      expect(bst.size).toBe(BIG.length);
      expect(bst.blocks * 512).toBeGreaterThanOrEqual(BIG.length);
      expect(Buffer.from(fs.read(big, 0, BIG.length)).equals(BIG)).toBe(true);
      // unaligned slices crossing block boundaries
      for (const [o, l] of [[1, 4095], [4095, 2], [1023, 70000], [BIG.length - 5, 100], [123457, 1 << 20]]) {
        expect(Buffer.from(fs.read(big, o, l)).equals(BIG.subarray(o, o + l))).toBe(true);
      }

      expect(fs.getattr(fs.lookup(fs.rootIno, 'empty')).size).toBe(0);
      expect(fs.read(fs.lookup(fs.rootIno, 'empty'), 0, 10).length).toBe(0);
      expect(text(fs.read(fs.lookup(fs.rootIno, UTF8_NAME), 0, 100))).toBe('utf8\n');
      expect(text(fs.read(fs.lookup(fs.rootIno, 'with space.txt'), 0, 100))).toBe('spaces\n');
      expect(fs.readlink(fs.lookup(fs.rootIno, 'short-link'))).toBe('hello.txt');
      expect(fs.readlink(fs.lookup(fs.rootIno, 'long-link'))).toBe(LONG_TARGET);
      expect(fs.getattr(fs.lookup(fs.rootIno, 'long-link')).mode & 0o170000).toBe(0o120000);
      expect(errno(() => fs.readlink(hello))).toBe('EINVAL');
      expect(text(fs.read(resolve(fs, 'a/b/c/d/e/f/g/h/deep.txt'), 0, 10))).toBe('deep\n');
      expect(fs.getattr(fs.lookup(fs.rootIno, 'fifo')).mode & 0o170000).toBe(0o010000);
      expect(fs.getattr(fs.rootIno).mode & 0o170000).toBe(0o040000);
      expect(fs.lookup(fs.rootIno, '.')).toBe(fs.rootIno);
      expect(fs.lookup(resolve(fs, 'a/b'), '..')).toBe(resolve(fs, 'a'));

      expect(errno(() => fs.lookup(fs.rootIno, 'missing'))).toBe('ENOENT');
      expect(errno(() => fs.lookup(hello, 'x'))).toBe('ENOTDIR');
      expect(errno(() => fs.readdir(hello))).toBe('ENOTDIR');
      expect(errno(() => fs.lookup(fs.rootIno, 'x'.repeat(256)))).toBe('ENAMETOOLONG');
      expect(errno(() => fs.read(fs.rootIno, 0, 10))).toBe('EISDIR');
    } finally {
      fs.close();
    }
  });

  it('statfs agrees with the superblock', () => {
    const fs = open(img, true);
    const s = fs.statfs();
    fs.close();
    const dump = sh('dumpe2fs', ['-h', img]);
    const field = (n: string) => Number(new RegExp(`^${n}:\\s+(\\d+)`, 'm').exec(dump)![1]);
    expect(s.bsize).toBe(field('Block size'));
    expect(s.frsize).toBe(s.bsize);
    expect(s.files).toBe(field('Inode count'));
    expect(s.ffree).toBe(field('Free inodes'));
    expect(s.bfree).toBe(field('Free blocks'));
    expect(s.blocks).toBeLessThan(field('Block count'));
    expect(s.blocks).toBeGreaterThan(field('Block count') * 0.5);
    expect(s.bavail).toBeLessThanOrEqual(s.bfree - field('Reserved block count'));
    expect(s.namemax).toBe(255);
    expect(s.flag & 1).toBe(1);
  });

  it('read-only handle refuses every write with EROFS', () => {
    const fs = open(img, true);
    try {
      const hello = fs.lookup(fs.rootIno, 'hello.txt');
      const r = fs.rootIno;
      const ops: Array<() => unknown> = [
        () => fs.write(hello, 0, Buffer.from('x')),
        () => fs.truncate(hello, 0),
        () => fs.create(r, 'n', 0o644, 0, 0),
        () => fs.mkdir(r, 'n', 0o755, 0, 0),
        () => fs.symlink(r, 'n', 't', 0, 0),
        () => fs.link(hello, r, 'n'),
        () => fs.unlink(r, 'hello.txt'),
        () => fs.rmdir(r, 'emptydir'),
        () => fs.rename(r, 'hello.txt', r, 'n'),
        () => fs.setattr(hello, { mode: 0o600 }),
      ];
      for (const op of ops) expect(errno(op)).toBe('EROFS');
    } finally {
      fs.close();
    }
    expect(e2fsck(img).status).toBe(0);
  });

  it('writes, then e2fsck -fn is clean and a re-open reads everything back', () => {
    const wimg = mkimg(v, join(tmp, 'tree'), `${v.name.replace(/\W+/g, '_')}_rw`);
    let fs = open(wimg, false);
    const r = fs.rootIno;
    const rootLinks0 = fs.getattr(r).nlink;

    // create + write (small, large, sparse), overwrite in the middle
    const f = fs.create(r, 'new.txt', 0o640, 1000, 1001);
    expect(fs.getattr(f)).toMatchObject({ mode: 0o100640, uid: 1000, gid: 1001, nlink: 1, size: 0 });
    fs.write(f, 0, Buffer.from('new content'));
    const g = fs.create(r, 'big2.bin', 0o644, 0, 0);
    fs.write(g, 0, BIG);
    fs.write(g, 4000, Buffer.from('PATCH'));
    const sp = fs.create(r, 'sparse', 0o644, 0, 0);
    fs.write(sp, 10 * 1024 * 1024, Buffer.from('tail'));
    expect(fs.getattr(sp).size).toBe(10 * 1024 * 1024 + 4);

    // exclusive create, existing names
    expect(errno(() => fs.create(r, 'new.txt', 0o644, 0, 0))).toBe('EEXIST');
    expect(errno(() => fs.mkdir(r, 'new.txt', 0o755, 0, 0))).toBe('EEXIST');
    expect(errno(() => fs.mkdir(r, 'emptydir', 0o755, 0, 0))).toBe('EEXIST');
    expect(errno(() => fs.symlink(r, 'hello.txt', 'x', 0, 0))).toBe('EEXIST');
    expect(errno(() => fs.link(f, r, 'hello.txt'))).toBe('EEXIST');
    expect(errno(() => fs.create(r, '.', 0o644, 0, 0))).toBe('EEXIST');
    expect(errno(() => fs.create(r, 'x'.repeat(256), 0o644, 0, 0))).toBe('ENAMETOOLONG');
    expect(errno(() => fs.create(r, 'a/b', 0o644, 0, 0))).toBe('EINVAL');
    expect(errno(() => fs.create(f, 'x', 0o644, 0, 0))).toBe('ENOTDIR');

    // truncate: shrink and grow
    const t = fs.create(r, 'trunc', 0o644, 0, 0);
    fs.write(t, 0, BIG);
    const before = fs.statfs().bfree;
    fs.truncate(t, 5000);
    expect(fs.getattr(t).size).toBe(5000);
    expect(fs.statfs().bfree).toBeGreaterThan(before);
    fs.truncate(t, 100000);
    expect(fs.getattr(t).size).toBe(100000);

    // mkdir, symlinks, hard link
    const d = fs.mkdir(r, 'newdir', 0o750, 5, 6);
    expect(fs.getattr(d)).toMatchObject({ mode: 0o40750, uid: 5, gid: 6, nlink: 2 });
    expect(fs.getattr(r).nlink).toBe(rootLinks0 + 1);
    fs.symlink(d, 'sl', 'short', 0, 0);
    fs.symlink(d, 'll', LONG_TARGET, 0, 0);
    fs.link(f, d, 'new-hard');
    expect(fs.getattr(f).nlink).toBe(2);
    const u = fs.create(d, UTF8_NAME, 0o644, 0, 0);
    fs.write(u, 0, Buffer.from('ü'));

    // many entries (directory growth)
    const many = fs.mkdir(r, 'many', 0o755, 0, 0);
    for (let i = 0; i < 300; i++) fs.create(many, `file-with-a-longish-name-${i}`, 0o644, 0, 0);
    expect(fs.readdir(many).length).toBe(300);

    // unlink: hard-linked file keeps its data, last link frees the inode
    const freeInodes = fs.statfs().ffree;
    fs.unlink(r, 'hard-link');
    expect(fs.getattr(fs.lookup(r, 'hello.txt')).nlink).toBe(1);
    fs.unlink(r, 'hello.txt');
    expect(fs.statfs().ffree).toBe(freeInodes + 1);
    expect(errno(() => fs.lookup(r, 'hello.txt'))).toBe('ENOENT');
    expect(errno(() => fs.unlink(r, 'hello.txt'))).toBe('ENOENT');
    expect(errno(() => fs.unlink(r, 'emptydir'))).toBe('EISDIR');
    fs.unlink(r, 'big.bin');
    fs.unlink(r, 'long-link');

    // rmdir
    expect(errno(() => fs.rmdir(r, 'nonempty'))).toBe('ENOTEMPTY');
    expect(errno(() => fs.rmdir(r, 'empty'))).toBe('ENOTDIR');
    expect(errno(() => fs.rmdir(r, 'nope'))).toBe('ENOENT');
    const links = fs.getattr(r).nlink;
    fs.rmdir(r, 'emptydir');
    expect(fs.getattr(r).nlink).toBe(links - 1);

    // rename: plain, replacing a file, moving a directory, replacing an empty dir
    fs.rename(r, 'with space.txt', r, 'renamed.txt');
    expect(text(fs.read(fs.lookup(r, 'renamed.txt'), 0, 100))).toBe('spaces\n');
    fs.rename(r, 'renamed.txt', r, 'new.txt'); // replaces; new.txt's inode keeps its other link
    expect(fs.getattr(f).nlink).toBe(1);
    expect(text(fs.read(fs.lookup(d, 'new-hard'), 0, 100))).toBe('new content');
    const a = fs.lookup(r, 'a');
    const aLinks = fs.getattr(r).nlink;
    fs.rename(r, 'a', d, 'moved-a');
    expect(fs.lookup(a, '..')).toBe(d);
    expect(fs.getattr(r).nlink).toBe(aLinks - 1);
    expect(fs.getattr(d).nlink).toBe(3);
    expect(errno(() => fs.rename(d, 'moved-a', resolve(fs, 'newdir/moved-a/b'), 'x'))).toBe('EINVAL');
    fs.mkdir(r, 'target', 0o755, 0, 0);
    fs.rename(d, 'moved-a', r, 'target');
    expect(fs.lookup(r, 'target')).toBe(a);
    expect(fs.lookup(a, '..')).toBe(r);
    expect(errno(() => fs.rename(r, 'target', r, 'nonempty'))).toBe('ENOTEMPTY');
    expect(errno(() => fs.rename(r, 'new.txt', r, 'nonempty'))).toBe('EISDIR');
    expect(errno(() => fs.rename(r, 'target', r, 'new.txt'))).toBe('ENOTDIR');

    // setattr with nanoseconds, and a time past 2038
    fs.setattr(f, { mode: 0o600, uid: 70000, gid: 80000, atime: { sec: 1700000000, nsec: 123456789 }, mtime: { sec: 4102444800, nsec: 5 } });
    fs.flush();
    // flush() alone leaves a consistent image
    expect(e2fsck(wimg).status).toBe(0);
    fs.close();

    const fsck = e2fsck(wimg);
    expect(fsck.out).not.toMatch(/Fix\?|error|corrupt/i);
    expect(fsck.status).toBe(0);

    fs = open(wimg, true);
    try {
      const nf = fs.lookup(fs.rootIno, 'new.txt');
      expect(text(fs.read(nf, 0, 100))).toBe('spaces\n');
      const hard = resolve(fs, 'newdir/new-hard');
      const st = fs.getattr(hard);
      expect(st).toMatchObject({ mode: 0o100600, uid: 70000, gid: 80000, nlink: 1 });
      expect(text(fs.read(hard, 0, 100))).toBe('new content');
      if (v.smallInodes) {
        // 128-byte inodes: no room for nsec or epoch bits
        expect(st.atime).toEqual({ sec: 1700000000, nsec: 0 });
      } else {
        expect(st.atime).toEqual({ sec: 1700000000, nsec: 123456789 });
        expect(st.mtime).toEqual({ sec: 4102444800, nsec: 5 });
      }
      const big2 = fs.read(fs.lookup(fs.rootIno, 'big2.bin'), 0, BIG.length + 10);
      const expectBig = Buffer.from(BIG);
      expectBig.write('PATCH', 4000);
      expect(Buffer.from(big2).equals(expectBig)).toBe(true);
      const sparse = fs.read(fs.lookup(fs.rootIno, 'sparse'), 10 * 1024 * 1024 - 4, 100);
      expect(text(sparse)).toBe('\0\0\0\0tail');
      const tr = fs.read(fs.lookup(fs.rootIno, 'trunc'), 0, 200000);
      expect(tr.length).toBe(100000);
      expect(Buffer.from(tr.subarray(0, 5000)).equals(BIG.subarray(0, 5000))).toBe(true);
      expect(tr.subarray(5000).every((b) => b === 0)).toBe(true);
      expect(fs.readlink(resolve(fs, 'newdir/sl'))).toBe('short');
      expect(fs.readlink(resolve(fs, 'newdir/ll'))).toBe(LONG_TARGET);
      expect(text(fs.read(resolve(fs, `newdir/${UTF8_NAME}`), 0, 10))).toBe('ü');
      expect(text(fs.read(resolve(fs, 'target/b/c/d/e/f/g/h/deep.txt'), 0, 10))).toBe('deep\n');
      expect(fs.readdir(resolve(fs, 'many')).length).toBe(300);
      expect(errno(() => fs.lookup(fs.rootIno, 'emptydir'))).toBe('ENOENT');
    } finally {
      fs.close();
    }
  });
});

describe('special cases', () => {
  const v4: Variant = VARIANTS[0];

  it('device nodes report rdev', () => {
    const img = mkimg(v4, join(tmp, 'tree'), 'rdev');
    sh('debugfs', ['-w', '-R', 'mknod cdev c 4 5', img]);
    sh('debugfs', ['-w', '-R', 'mknod bdev b 259 65000', img]);
    const fs = open(img, true);
    try {
      const c = fs.getattr(fs.lookup(fs.rootIno, 'cdev'));
      expect(c.mode & 0o170000).toBe(0o020000);
      expect(c.rdev).toBe((4 << 8) | 5);
      const b = fs.getattr(fs.lookup(fs.rootIno, 'bdev'));
      expect(b.mode & 0o170000).toBe(0o060000);
      // Linux new_encode_dev(): minor low 8 bits, major << 8, minor high bits << 12
      const minor = 65000, major = 259;
      expect(b.rdev).toBe((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12));
    } finally {
      fs.close();
    }
  });

  it('corrupt superblocks and truncated images give clean errors', () => {
    const img = mkimg(v4, join(tmp, 'tree'), 'corrupt');
    const bad = join(tmp, 'badmagic.img');
    sh('cp', [img, bad]);
    patchFile(bad, 1024 + 0x38, Buffer.from([0, 0])); // s_magic
    const err = fsErrorOf(() => open(bad, true));
    expect(err.message).toMatch(/bad magic number in super-block/i);

    const bad2 = join(tmp, 'badlog.img');
    sh('cp', [img, bad2]);
    patchFile(bad2, 1024 + 0x18, Buffer.from([0xff, 0xff, 0, 0])); // s_log_block_size
    expect(() => open(bad2, true)).toThrow(/superblock|super-block|checksum/i);

    const zero = join(tmp, 'zero.img');
    writeFileSync(zero, Buffer.alloc(1 << 20));
    expect(() => open(zero, true)).toThrow(FsError);
    const tiny = join(tmp, 'tiny.img');
    writeFileSync(tiny, Buffer.alloc(100));
    expect(() => open(tiny, true)).toThrow(/short read|bad magic/i);

    // truncated: the superblock is fine, data beyond the end is not there
    const trunc = join(tmp, 'trunc.img');
    sh('cp', [img, trunc]);
    truncateSync(trunc, 6 * 1024 * 1024);
    let fs: FsDriver | undefined;
    try {
      fs = open(trunc, true);
    } catch (e) {
      expect(e).toBeInstanceOf(FsError);
    }
    if (fs) {
      let failures = 0;
      for (const name of ['big.bin', 'hello.txt', 'a']) {
        try {
          const ino = fs.lookup(fs.rootIno, name);
          fs.read(ino, 0, BIG.length);
        } catch (e) {
          expect(e).toBeInstanceOf(FsError);
          failures++;
        }
      }
      expect(failures).toBeGreaterThan(0);
      fs.close();
    }
    // the module is still healthy
    const ok = open(img, true);
    expect(ok.readdir(ok.rootIno).length).toBeGreaterThan(5);
    ok.close();
    expect(mod.dead).toBe(false);
  });

  it('ENOSPC and EFBIG leave a clean filesystem; a full filesystem can still delete', () => {
    const img = join(tmp, 'small.img');
    sh('mkfs.ext4', ['-q', '-F', '-b', '4096', img, '16M']);
    const fs = open(img, false);
    const f = fs.create(fs.rootIno, 'fill', 0o644, 0, 0);
    expect(errno(() => fs.write(f, 0, new Uint8Array(32 << 20).fill(1)))).toBe('ENOSPC');
    expect(fs.statfs().bfree).toBe(0);
    expect(errno(() => fs.mkdir(fs.rootIno, 'd', 0o755, 0, 0))).toBe('ENOSPC');
    const g = fs.create(fs.rootIno, 'huge', 0o644, 0, 0);
    expect(errno(() => fs.write(g, 2 ** 44 + 4096 * 10, new Uint8Array(10)))).toBe('EFBIG');
    expect(errno(() => fs.truncate(g, 2 ** 45))).toBe('EFBIG');
    fs.truncate(g, 2 ** 40);
    expect(fs.getattr(g)).toMatchObject({ size: 2 ** 40, blocks: 0 });
    expect(fs.read(g, 2 ** 40 - 3, 10)).toEqual(new Uint8Array(3));
    fs.unlink(fs.rootIno, 'fill'); // owns the last block of the filesystem
    expect(fs.statfs().bfree).toBeGreaterThan(2000);
    fs.close();
    const r = e2fsck(img);
    expect(r.out).not.toMatch(/Fix\?/);
    expect(r.status).toBe(0);
  });

  it('modifies hashed (htree) directories', () => {
    const tree = join(tmp, 'htree');
    mkdirSync(join(tree, 'dir'), { recursive: true });
    for (let i = 0; i < 3000; i++) writeFileSync(join(tree, 'dir', `entry-${i}`), '');
    const img = mkimg(v4, tree, 'htree', '64M');
    spawnSync('e2fsck', ['-fyD', img], { env }); // build the hash indexes
    const fs = open(img, false);
    const dir = fs.lookup(fs.rootIno, 'dir');
    for (let i = 0; i < 300; i++) fs.create(dir, `zz-new-${i}`, 0o644, 0, 0);
    for (let i = 0; i < 300; i += 2) fs.unlink(dir, `entry-${i}`);
    fs.rename(dir, 'entry-1', dir, 'entry-3');
    fs.mkdir(dir, 'sub', 0o755, 0, 0);
    expect(fs.readdir(dir).length).toBe(3000 + 300 - 150 - 1 + 1);
    expect(fs.lookup(dir, 'zz-new-299')).toBeGreaterThan(0);
    expect(errno(() => fs.lookup(dir, 'entry-0'))).toBe('ENOENT');
    fs.close();
    const r = e2fsck(img);
    expect(r.out).not.toMatch(/Fix\?/);
    expect(r.status).toBe(0);
  });

  it('refuses read-write when the journal needs recovery', () => {
    const img = mkimg(v4, join(tmp, 'tree'), 'recover');
    sh('debugfs', ['-w', '-R', 'feature needs_recovery', img]);
    const err = fsErrorOf(() => open(img, false));
    expect(err.errno).toBe('EROFS');
    expect(err.message).toMatch(/needs recovery/);
    const fs = open(img, true);
    expect(fs.readdir(fs.rootIno).length).toBeGreaterThan(0);
    fs.close();
  });

  it('several filesystems open at once on one module', () => {
    const i1 = mkimg(VARIANTS[0], join(tmp, 'tree'), 'multi1');
    const i2 = mkimg(VARIANTS[6], join(tmp, 'tree'), 'multi2');
    const a = open(i1, false);
    const b = open(i2, true);
    try {
      for (let k = 0; k < 3; k++) {
        expect(a.type).toBe('ext4');
        expect(b.type).toBe('ext2');
        expect(Buffer.from(a.read(a.lookup(a.rootIno, 'big.bin'), 0, BIG.length)).equals(BIG)).toBe(true);
        expect(Buffer.from(b.read(b.lookup(b.rootIno, 'big.bin'), 0, BIG.length)).equals(BIG)).toBe(true);
      }
      a.write(a.create(a.rootIno, 'only-in-a', 0o644, 0, 0), 0, Buffer.from('a'));
      expect(errno(() => b.lookup(b.rootIno, 'only-in-a'))).toBe('ENOENT');
    } finally {
      a.close();
      b.close();
    }
    expect(e2fsck(i1).status).toBe(0);
  });

  it('device errors surface with the device error\'s code (EIO for an uncoded one) and the error as the cause', () => {
    const img = mkimg(v4, join(tmp, 'tree'), 'deverr');
    const real = new FileDevice(img, true);
    devices.push(real);
    let fail: Error | undefined;
    const dev: SyncDevice = {
      size: real.size,
      readOnly: true,
      read(o, b) {
        if (fail) throw fail;
        real.read(o, b);
      },
      write() {},
      flush() {},
    };
    const fs = openExt2(mod, dev, { readOnly: true });
    const big = fs.lookup(fs.rootIno, 'big.bin');
    const readErr = (e: Error) => {
      fail = e;
      try {
        fs.read(big, 0, 1 << 20);
      } catch (err) {
        return err as FsError;
      } finally {
        fail = undefined;
      }
      throw new Error('the read did not fail');
    };
    const plain = new Error('simulated I/O failure');
    const err = readErr(plain);
    expect(err).toBeInstanceOf(FsError);
    expect(err.errno).toBe('EIO');
    expect(err.message).toMatch(/simulated I\/O failure/);
    expect(err.cause).toBe(plain);
    const dropped = new NbdError('nbd://h/', 'read at offset 0: the server closed the connection');
    const coded = readErr(dropped);
    expect([coded.code, coded.cause]).toEqual(['ENBD', dropped]);
    expect(fs.read(big, 0, 10).length).toBe(10);
    fs.close();
  });

  it('a wasm abort marks the module dead and later calls throw', async () => {
    const m2 = await loadExt2Module();
    const img = mkimg(v4, join(tmp, 'tree'), 'abort');
    const fs = open(img, true, m2);
    // a bogus handle pointer makes the C side trap
    expect(() => m2.invoke(() => m2.em._gk_statfs(0x7ffffff0))).toThrow(/aborted/);
    expect(m2.dead).toBe(true);
    expect(() => fs.readdir(fs.rootIno)).toThrow(/unusable/);
    fs.close();
    // other module instances are unaffected
    expect(mod.dead).toBe(false);
  });

  it('1 TiB sparse filesystem opens and statfs works', () => {
    const img = join(tmp, 'huge.img');
    sh('truncate', ['-s', '1T', img]);
    sh('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=1,nodiscard', img]);
    const heap0 = mod.heapSize();
    const fs = open(img, false);
    try {
      const s = fs.statfs();
      expect(s.bsize).toBe(4096);
      expect(s.blocks * 4096).toBeGreaterThan(0.95 * 2 ** 40);
      expect(s.files).toBeGreaterThan(60_000_000);
      const f = fs.create(fs.rootIno, 'x', 0o644, 0, 0);
      fs.write(f, 0, Buffer.from('on a big fs'));
      expect(text(fs.read(f, 0, 100))).toBe('on a big fs');
    } finally {
      fs.close();
    }
    expect(mod.heapSize() - heap0).toBeLessThan(256 * 1024 * 1024);
    expect(e2fsck(img).status).toBe(0);
    rmSync(img);
  }, 120_000);

  it('no leaks: 10,000-entry readdir and 5,000 repeated calls keep the heap bounded', () => {
    const tree = join(tmp, 'manytree');
    mkdirSync(join(tree, 'big'), { recursive: true });
    mkdirSync(join(tree, 'small'));
    for (let i = 0; i < 10_000; i++) writeFileSync(join(tree, 'big', `entry-${i}`), '');
    for (let i = 0; i < 20; i++) writeFileSync(join(tree, 'small', `f${i}`), `${i}`);
    symlinkSync('small/f1', join(tree, 'link'));
    const img = mkimg(v4, tree, 'many', '128M');
    const fs = open(img, true);
    try {
      const big = fs.lookup(fs.rootIno, 'big');
      const small = fs.lookup(fs.rootIno, 'small');
      expect(fs.readdir(big).length).toBe(10_000);
      const round = (n: number) => {
        for (let i = 0; i < n; i++) {
          fs.readdir(small);
          const ino = fs.lookup(small, `f${i % 20}`);
          fs.getattr(ino);
          fs.read(ino, 0, 10);
          fs.readlink(fs.lookup(fs.rootIno, 'link'));
          if (i % 50 === 0) fs.readdir(big);
          errno(() => fs.lookup(small, 'missing'));
          errno(() => fs.readlink(ino));
        }
      };
      round(200); // warm up the caches
      const used0 = mod.heapUsed();
      const size0 = mod.heapSize();
      round(5000);
      const used1 = mod.heapUsed();
      console.log(`heap: malloc'd ${used0} -> ${used1} bytes, linear memory ${size0} -> ${mod.heapSize()} bytes`);
      expect(used1 - used0).toBeLessThan(4096);
      expect(mod.heapSize()).toBe(size0);
    } finally {
      fs.close();
    }
  }, 120_000);

  it('read throughput (200 MiB file, 4 MiB chunks)', () => {
    const tree = join(tmp, 'bigtree');
    mkdirSync(tree);
    const chunk = pattern(1 << 20, 3);
    const fd = openSync(join(tree, 'f200'), 'w');
    for (let i = 0; i < 200; i++) writeSync(fd, chunk);
    closeSync(fd);
    const img = mkimg(v4, tree, 'throughput', '300M');
    rmSync(tree, { recursive: true });
    const fs = open(img, true);
    try {
      const ino = fs.lookup(fs.rootIno, 'f200');
      const size = fs.getattr(ino).size;
      expect(size).toBe(200 << 20);
      const rates: number[] = [];
      for (let round = 0; round < 3; round++) {
        const t0 = performance.now();
        let total = 0;
        for (let off = 0; off < size; off += 4 << 20) {
          const b = fs.read(ino, off, 4 << 20);
          total += b.length;
          if (round === 0 && off % (16 << 20) === 0) expect(Buffer.from(b.subarray(0, 1 << 20)).equals(chunk)).toBe(true);
        }
        const secs = (performance.now() - t0) / 1000;
        expect(total).toBe(size);
        rates.push(size / (1 << 20) / secs);
      }
      console.log(`ext2fs read throughput, 3 passes: ${rates.map((r) => r.toFixed(0)).join(', ')} MiB/s`);
    } finally {
      fs.close();
    }
    rmSync(img);
  }, 120_000);
});
