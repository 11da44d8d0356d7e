import {
  closeSync, copyFileSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DT_DIR, DT_REG, type FsDriver, type SyncDevice } from '../../../../../src/fs/fs-driver.js';
import {
  checkTool, errnoOf, FileDevice, hostToolEnv, makeTempDir, pattern, resolve, runTool, text,
} from '../../../../helpers/host-tools.js';
import { openFat } from '../../../../../src/fs/fat/fat-driver.js';
import { FatReader, fatToUnix, readGeometry, unixToFat } from '../../../../../src/fs/fat/fat-layout.js';
import { allInstancesUtc, instanceCount } from '../../../../../src/fs/fat/fatfs-module.js';

const env = hostToolEnv({ TZ: 'UTC', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' });

let tmp: string;
const devices: FileDevice[] = [];

const sh = (cmd: string, args: string[]) => runTool(env, cmd, args);

const fsck = (img: string) => checkTool(env, 'fsck.vfat', ['-n', img]);

function expectClean(img: string): void {
  const r = fsck(img);
  expect(r.out).not.toMatch(/wrong|invalid|lost|bad|differ|free cluster summary/i);
  expect(r.status, r.out).toBe(0);
}

async function open(img: string, readOnly: boolean): Promise<FsDriver> {
  const dev = new FileDevice(img, readOnly);
  devices.push(dev);
  return openFat(dev, { readOnly });
}


const BIG = pattern(300 * 1024 + 77, 5);
const MTIME = Date.UTC(2020, 4, 17, 12, 34, 56) / 1000; // even seconds: FAT keeps 2 s
const LONG = 'A rather long file name that needs several LFN entries (exactly this one).txt';
const UTF = ['café é.txt', '日本語のファイル.txt', 'Ünïcödé'];

function makeTree(dir: string): void {
  mkdirSync(dir);
  writeFileSync(join(dir, 'hello.txt'), 'hello, world\n');
  writeFileSync(join(dir, 'README'), 'readme\n');
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'big.bin'), BIG);
  writeFileSync(join(dir, LONG), 'long\n');
  writeFileSync(join(dir, UTF[0]!), 'cafe\n');
  writeFileSync(join(dir, UTF[1]!), 'nihongo\n');
  mkdirSync(join(dir, UTF[2]!));
  writeFileSync(join(dir, UTF[2]!, 'inner.txt'), 'inner\n');
  mkdirSync(join(dir, 'MixedCase/Sub Dir/deeper'), { recursive: true });
  writeFileSync(join(dir, 'MixedCase/Sub Dir/deeper/deep.txt'), 'deep\n');
  mkdirSync(join(dir, 'MixedCase/other'));
  mkdirSync(join(dir, 'nonempty'));
  writeFileSync(join(dir, 'nonempty/x'), 'x');
  mkdirSync(join(dir, 'emptydir'));
  for (const p of ['hello.txt', 'big.bin', 'MixedCase/Sub Dir/deeper/deep.txt']) utimesSync(join(dir, p), MTIME, MTIME);
}

interface Variant {
  bits: 12 | 16 | 32;
  kib: number;
  args: string[];
}

const VARIANTS: Variant[] = [
  { bits: 12, kib: 4096, args: ['-F', '12'] },
  { bits: 16, kib: 32768, args: ['-F', '16'] },
  { bits: 32, kib: 65536, args: ['-F', '32', '-s', '1'] },
];

function mkfs(img: string, v: Variant, extra: string[] = []): void {
  rmSync(img, { force: true });
  sh('mkfs.fat', ['-C', ...v.args, ...extra, img, String(v.kib)]);
}

/** mcopy the children of `dir` into the image root, keeping times (-m). */
function populate(img: string, dir: string): void {
  const kids = readdirSync(dir).map((n) => join(dir, n));
  sh('mcopy', ['-i', img, '-s', '-m', ...kids, '::/']);
}

beforeAll(() => {
  tmp = makeTempDir('gk-fat-');
  makeTree(join(tmp, 'tree'));
});

afterAll(() => {
  for (const d of devices) d.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('fat-layout helpers', () => {
  it('converts FAT times like Linux (UTC, clamped)', () => {
    const t = unixToFat(MTIME);
    expect(fatToUnix(t.date, t.time)).toBe(MTIME);
    expect(fatToUnix(unixToFat(0).date, 0)).toBe(Date.UTC(1980, 0, 1) / 1000);
    expect(fatToUnix(0, 0)).toBe(Date.UTC(1980, 0, 1) / 1000);
    const odd = unixToFat(MTIME + 1);
    expect(fatToUnix(odd.date, odd.time)).toBe(MTIME);
  });
});

describe.each(VARIANTS)('FAT$bits', (v) => {
  let img: string;

  beforeAll(() => {
    img = join(tmp, `fat${v.bits}.img`);
    mkfs(img, v);
    populate(img, join(tmp, 'tree'));
    expect(readGeometry(new FileDevice(img, true)).fatType).toBe(v.bits);
  });

  it('reads names, data and attributes written by mtools', async () => {
    const fs = await open(img, true);
    expect(fs.type).toBe('vfat');
    expect(fs.rootIno).toBe(1);
    const names = fs.readdir(1).map((e) => e.name).sort();
    expect(names).toEqual(
      ['hello.txt', 'README', 'empty', 'big.bin', LONG, ...UTF, 'MixedCase', 'nonempty', 'emptydir'].sort(),
    );
    for (const e of fs.readdir(1)) {
      const a = fs.getattr(e.ino);
      expect(a.ino).toBe(e.ino);
      expect(e.type).toBe((a.mode & 0o170000) === 0o040000 ? DT_DIR : DT_REG);
    }
    expect(text(fs.read(resolve(fs, 'hello.txt'), 0, 100))).toBe('hello, world\n');
    expect(text(fs.read(resolve(fs, LONG), 0, 100))).toBe('long\n');
    expect(text(fs.read(resolve(fs, UTF[0]!), 0, 100))).toBe('cafe\n');
    expect(text(fs.read(resolve(fs, UTF[1]!), 0, 100))).toBe('nihongo\n');
    expect(text(fs.read(resolve(fs, `${UTF[2]}/inner.txt`), 0, 100))).toBe('inner\n');
    expect(text(fs.read(resolve(fs, 'MixedCase/Sub Dir/deeper/deep.txt'), 0, 100))).toBe('deep\n');
    const big = resolve(fs, 'big.bin');
    expect(Buffer.from(fs.read(big, 0, BIG.length + 10)).equals(BIG)).toBe(true);
    expect(Buffer.from(fs.read(big, 12345, 70000)).equals(BIG.subarray(12345, 12345 + 70000))).toBe(true);
    expect(fs.read(big, BIG.length, 10).length).toBe(0);
    expect(fs.read(resolve(fs, 'empty'), 0, 10).length).toBe(0);

    const st = fs.statfs();
    const a = fs.getattr(big);
    expect(a.size).toBe(BIG.length);
    expect(a.mode).toBe(0o100755);
    expect(a.nlink).toBe(1);
    expect(a.uid).toBe(0);
    expect(a.gid).toBe(0);
    expect(a.blksize).toBe(st.bsize);
    expect(a.blocks).toBe(Math.ceil(BIG.length / st.bsize) * st.bsize / 512);
    expect(a.mtime.sec).toBe(MTIME);
    expect(a.ctime.sec).toBe(MTIME);
    const root = fs.getattr(1);
    expect(root.mode).toBe(0o040755);
    expect(root.nlink).toBe(2 + 4); // Ünïcödé, MixedCase, nonempty, emptydir
    expect(root.mtime.sec).toBe(0);
    const mixed = fs.getattr(resolve(fs, 'MixedCase'));
    expect(mixed.mode).toBe(0o040755);
    expect(mixed.nlink).toBe(4);
    expect(mixed.size).toBe(st.bsize);
    expect(fs.getattr(resolve(fs, 'emptydir')).nlink).toBe(2);
    fs.close();
  });

  it('looks names up case-insensitively, by short alias too, and reports the stored case', async () => {
    const fs = await open(img, true);
    const ino = resolve(fs, 'MixedCase/Sub Dir/deeper/deep.txt');
    expect(resolve(fs, 'MIXEDCASE/sub dir/DEEPER/Deep.TXT')).toBe(ino);
    expect(resolve(fs, 'mixedcase/SUBDIR~1/deeper/DEEP.TXT')).toBe(ino);
    expect(fs.lookup(1, 'HELLO.TXT')).toBe(fs.lookup(1, 'hello.txt'));
    expect(fs.lookup(1, 'CAFÉ É.TXT')).toBe(fs.lookup(1, UTF[0]!));
    const dir = resolve(fs, 'mixedcase');
    expect(fs.readdir(dir).map((e) => e.name).sort()).toEqual(['Sub Dir', 'other']);
    expect(await errnoOf(() => fs.lookup(1, 'nope'))).toBe('ENOENT');
    expect(await errnoOf(() => fs.lookup(1, 'a*b'))).toBe('ENOENT');
    expect(await errnoOf(() => fs.lookup(resolve(fs, 'hello.txt'), 'x'))).toBe('ENOTDIR');
    expect(await errnoOf(() => fs.lookup(1, 'x'.repeat(256)))).toBe('ENAMETOOLONG');
    expect(await errnoOf(() => fs.readdir(resolve(fs, 'hello.txt')))).toBe('ENOTDIR');
    expect(await errnoOf(() => fs.read(dir, 0, 1))).toBe('EISDIR');
    expect(await errnoOf(() => fs.readlink(resolve(fs, 'hello.txt')))).toBe('EINVAL');
    fs.close();
  });

  it('refuses every change on a read-only mount', async () => {
    const fs = await open(img, true);
    expect(fs.readOnly).toBe(true);
    const h = resolve(fs, 'hello.txt');
    expect(await errnoOf(() => fs.write(h, 0, Buffer.from('x')))).toBe('EROFS');
    expect(await errnoOf(() => fs.truncate(h, 0))).toBe('EROFS');
    expect(await errnoOf(() => fs.create(1, 'new', 0o644, 0, 0))).toBe('EROFS');
    expect(await errnoOf(() => fs.mkdir(1, 'new', 0o755, 0, 0))).toBe('EROFS');
    expect(await errnoOf(() => fs.unlink(1, 'hello.txt'))).toBe('EROFS');
    expect(await errnoOf(() => fs.rmdir(1, 'emptydir'))).toBe('EROFS');
    expect(await errnoOf(() => fs.rename(1, 'hello.txt', 1, 'x'))).toBe('EROFS');
    expect(await errnoOf(() => fs.setattr(h, { mtime: { sec: 0, nsec: 0 } }))).toBe('EROFS');
    expect(fs.statfs().flag & 1).toBe(1);
    fs.close();
    expect(await errnoOf(() => fs.getattr(1))).toBe('EBADF');
    expectClean(img);
  });

  it('writes files and directories that mtools and fsck.vfat accept', async () => {
    const w = join(tmp, `w${v.bits}.img`);
    copyFileSync(img, w);
    const fs = await open(w, false);
    const before = fs.statfs();
    const before1 = Date.now() / 1000;

    // create + write + read back
    const f = fs.create(1, 'Nouveau fichier é.txt', 0o644, 0, 0);
    fs.write(f, 0, Buffer.from('bonjour\n'));
    expect(text(fs.read(f, 0, 100))).toBe('bonjour\n');
    const fa = fs.getattr(f);
    expect(fa.size).toBe(8);
    expect(Math.abs(fa.mtime.sec - before1)).toBeLessThan(5); // written in UTC
    expect(await errnoOf(() => fs.create(1, 'NOUVEAU FICHIER É.TXT', 0o644, 0, 0))).toBe('EEXIST');
    expect(await errnoOf(() => fs.create(1, 'hello.txt', 0o644, 0, 0))).toBe('EEXIST');
    expect(await errnoOf(() => fs.mkdir(1, 'NONEMPTY', 0o755, 0, 0))).toBe('EEXIST');
    expect(await errnoOf(() => fs.create(1, 'bad:name', 0o644, 0, 0))).toBe('EINVAL');
    expect(await errnoOf(() => fs.create(1, 'x'.repeat(256), 0o644, 0, 0))).toBe('ENAMETOOLONG');

    // a file spanning many clusters, written in pieces, and a write past the end (zero-filled)
    const data = pattern(200 * 1024 + 3, 9);
    const b = fs.create(1, 'data.bin', 0o644, 0, 0);
    for (let off = 0; off < data.length; off += 50_000) fs.write(b, off, data.subarray(off, off + 50_000));
    expect(Buffer.from(fs.read(b, 0, data.length)).equals(data)).toBe(true);
    const sparse = fs.create(1, 'gap.bin', 0o644, 0, 0);
    fs.write(sparse, 10_000, Buffer.from('end'));
    const sp = fs.read(sparse, 0, 20_000);
    expect(sp.length).toBe(10_003);
    expect(sp.subarray(0, 10_000).every((x) => x === 0)).toBe(true);

    // truncate: shrink and grow
    const h = resolve(fs, 'hello.txt');
    fs.truncate(h, 5);
    expect(text(fs.read(h, 0, 100))).toBe('hello');
    fs.truncate(h, 8);
    expect(Buffer.from(fs.read(h, 0, 100)).equals(Buffer.from('hello\0\0\0'))).toBe(true);
    expect(fs.getattr(h).size).toBe(8);

    // directories
    const d = fs.mkdir(1, '日本語ディレクトリ', 0o755, 0, 0);
    const d2 = fs.mkdir(d, 'Niveau 2', 0o755, 0, 0);
    const inner = fs.create(d2, 'inner file.TXT', 0o644, 0, 0);
    fs.write(inner, 0, Buffer.from('inner\n'));
    expect(fs.getattr(d).nlink).toBe(3);
    expect(fs.getattr(1).nlink).toBe(2 + 5);
    expect(resolve(fs, '日本語ディレクトリ/niveau 2/INNER FILE.txt')).toBe(inner);
    expect(fs.readdir(d2)).toEqual([{ name: 'inner file.TXT', ino: inner, type: DT_REG }]);

    // unlink / rmdir
    expect(await errnoOf(() => fs.rmdir(1, 'nonempty'))).toBe('ENOTEMPTY');
    expect(await errnoOf(() => fs.rmdir(1, 'hello.txt'))).toBe('ENOTDIR');
    expect(await errnoOf(() => fs.unlink(1, 'emptydir'))).toBe('EISDIR');
    expect(await errnoOf(() => fs.unlink(1, 'missing'))).toBe('ENOENT');
    fs.unlink(resolve(fs, 'nonempty'), 'X');
    fs.rmdir(1, 'NonEmpty');
    fs.rmdir(1, 'emptydir');
    fs.unlink(1, 'README');
    expect(await errnoOf(() => fs.lookup(1, 'readme'))).toBe('ENOENT');

    // rename: same dir, across dirs, case only, replacing a file, a directory with contents
    fs.rename(1, 'data.bin', d2, 'moved data.bin');
    expect(resolve(fs, '日本語ディレクトリ/Niveau 2/moved data.bin')).toBe(b);
    expect(Buffer.from(fs.read(b, 0, data.length)).equals(data)).toBe(true);
    fs.rename(1, 'gap.bin', 1, 'GAP.BIN');
    expect(fs.readdir(1).map((e) => e.name)).toContain('GAP.BIN');
    fs.rename(1, 'GAP.BIN', 1, 'hello.txt'); // replaces hello.txt
    expect(fs.lookup(1, 'hello.txt')).toBe(sparse);
    expect(fs.getattr(sparse).size).toBe(10_003);
    fs.rename(1, 'MixedCase', d, 'Renamed Dir');
    expect(text(fs.read(resolve(fs, '日本語ディレクトリ/Renamed Dir/Sub Dir/deeper/deep.txt'), 0, 10))).toBe('deep\n');
    expect(await errnoOf(() => fs.rename(1, '日本語ディレクトリ', d2, 'loop'))).toBe('EINVAL');
    expect(await errnoOf(() => fs.rename(1, 'missing', 1, 'x'))).toBe('ENOENT');
    expect(await errnoOf(() => fs.rename(d, 'Renamed Dir', 1, 'hello.txt'))).toBe('ENOTDIR');
    expect(await errnoOf(() => fs.rename(1, 'hello.txt', d, 'Renamed Dir'))).toBe('EISDIR');

    // no links on FAT
    expect(await errnoOf(() => fs.link(f, 1, 'hard'))).toBe('EPERM');
    expect(await errnoOf(() => fs.symlink(1, 'sym', 'target', 0, 0))).toBe('EPERM');

    const after = fs.statfs();
    expect(after.bfree).toBeLessThan(before.bfree);
    fs.close();

    expectClean(w);
    const out = join(tmp, `out${v.bits}`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    sh('mcopy', ['-i', w, '-s', '-n', '::/*', out]);
    expect(readdirSync(out).sort()).toEqual(
      ['Nouveau fichier é.txt', 'hello.txt', 'empty', 'big.bin', LONG, ...UTF, '日本語ディレクトリ'].sort(),
    );
    expect(readFileSync(join(out, 'Nouveau fichier é.txt'), 'utf8')).toBe('bonjour\n');
    expect(readFileSync(join(out, '日本語ディレクトリ/Niveau 2/moved data.bin')).equals(data)).toBe(true);
    expect(readFileSync(join(out, '日本語ディレクトリ/Niveau 2/inner file.TXT'), 'utf8')).toBe('inner\n');
    expect(readFileSync(join(out, '日本語ディレクトリ/Renamed Dir/Sub Dir/deeper/deep.txt'), 'utf8')).toBe('deep\n');
    expect(readFileSync(join(out, 'hello.txt')).length).toBe(10_003);
    expect(sh('mtype', ['-i', w, '::/Nouveau fichier é.txt'])).toBe('bonjour\n');

    // statfs agrees with mtools' free space
    const fs2 = await open(w, true);
    const st = fs2.statfs();
    const m = /([\d ]+) bytes free/.exec(sh('mdir', ['-i', w, '::/']));
    expect(st.bfree * st.bsize).toBe(Number(m![1]!.replace(/ /g, '')));
    expect(st.namemax).toBe(1530);
    expect(st.files).toBe(0);
    fs2.close();
  });

  it('sets times and the read-only attribute; refuses owners', async () => {
    const w = join(tmp, `attr${v.bits}.img`);
    copyFileSync(img, w);
    let fs = await open(w, false);
    const h = resolve(fs, 'hello.txt');
    const t = Date.UTC(2011, 10, 12, 13, 14, 16) / 1000;
    const at = Date.UTC(2012, 0, 2, 3, 4, 5) / 1000;
    // root writes a read-only file anyway, and the attribute stays
    fs.setattr(h, { mode: 0o555 });
    expect(fs.getattr(h).mode).toBe(0o100555);
    fs.write(h, 0, Buffer.from('HELLO'));
    expect(fs.getattr(h).mode).toBe(0o100555);
    // (FatFs clears the access date when it writes a file: set times afterwards)
    fs.setattr(h, { mtime: { sec: t, nsec: 0 }, atime: { sec: at, nsec: 0 } });
    fs.setattr(h, { mode: 0o644 }); // not representable: ignored, like Linux
    expect(fs.getattr(h).mode).toBe(0o100555);
    expect(await errnoOf(() => fs.setattr(h, { uid: 1000 }))).toBe('EPERM');
    expect(await errnoOf(() => fs.setattr(h, { gid: 5 }))).toBe('EPERM');
    expect(await errnoOf(() => fs.setattr(h, { mode: 0o4755 }))).toBe('EPERM');
    fs.setattr(h, { uid: 0, gid: 0 });
    const dir = resolve(fs, 'MixedCase');
    fs.setattr(dir, { mode: 0o555 }); // directories cannot hold it (no rodir)
    expect(fs.getattr(dir).mode).toBe(0o040755);
    fs.setattr(dir, { mtime: { sec: t, nsec: 0 } });
    fs.close();
    expect(sh('mattrib', ['-i', w, '::/hello.txt'])).toMatch(/R\s+::\/hello\.txt/);
    expect(sh('mdir', ['-i', w, '::/'])).toMatch(/hello\s+txt\s+13 2011-11-12\s+13:14/);

    fs = await open(w, false);
    const h2 = resolve(fs, 'hello.txt');
    const a = fs.getattr(h2);
    expect(a.mode).toBe(0o100555);
    expect(text(fs.read(h2, 0, 100))).toBe('HELLO, world\n');
    expect(a.atime.sec).toBe(Date.UTC(2012, 0, 2) / 1000);
    expect(a.mtime.sec).toBe(t);
    expect(fs.getattr(resolve(fs, 'mixedcase')).mtime.sec).toBe(t);
    fs.setattr(h2, { mode: 0o755 });
    expect(fs.getattr(h2).mode).toBe(0o100755);
    fs.setattr(h2, { mode: 0o444 });
    fs.unlink(1, 'hello.txt'); // root may remove a read-only file
    fs.close();
    expectClean(w);
    expect(sh('mdir', ['-i', w, '::/'])).not.toMatch(/hello/);
  });

  it('gives a clean error for a broken cluster chain', async () => {
    const w = join(tmp, `chain${v.bits}.img`);
    copyFileSync(img, w);
    const dev = new FileDevice(w, false);
    devices.push(dev);
    const geo = readGeometry(dev);
    const reader = new FatReader(geo, dev);
    const e = reader.readDir(0).entries.find((x) => x.name === 'big.bin')!;
    expect(reader.chain(e.cluster).length).toBeGreaterThan(2);
    const second = reader.fatEntry(e.cluster);
    setFatEntry(dev, geo.fatOffset, geo.fatType, second, 0); // the chain now hits a free cluster
    const fs = await openFat(dev, { readOnly: true });
    const big = fs.lookup(1, 'big.bin');
    const err = await errnoOf(() => fs.read(big, 0, BIG.length));
    expect(err).toBe('EIO');
    // still usable afterwards
    expect(text(fs.read(fs.lookup(1, 'hello.txt'), 0, 100))).toBe('hello, world\n');
    fs.close();

    // a loop: bounded by the file size (wrong data, but no hang)
    setFatEntry(dev, geo.fatOffset, geo.fatType, second, second);
    const fs2 = await openFat(dev, { readOnly: true });
    const r = fs2.read(fs2.lookup(1, 'big.bin'), 0, BIG.length);
    expect(r.length).toBe(BIG.length);
    fs2.close();
  });

  it('rejects a corrupt boot sector with a clean error', async () => {
    const w = join(tmp, `boot${v.bits}.img`);
    copyFileSync(img, w);
    const fd = openSync(w, 'r+');
    writeSync(fd, Buffer.from([0, 0]), 0, 2, 11); // bytes per sector = 0
    closeSync(fd);
    expect(await errnoOf(() => open(w, true))).toBe('EINVAL');
    const fd2 = openSync(w, 'r+');
    writeSync(fd2, Buffer.alloc(512), 0, 512, 0);
    closeSync(fd2);
    expect(await errnoOf(() => open(w, true))).toBe('EINVAL');
  });
});

function setFatEntry(dev: SyncDevice, fatOffset: number, bits: number, cluster: number, value: number): void {
  if (bits === 12) {
    const o = fatOffset + cluster + (cluster >>> 1);
    const b = new Uint8Array(2);
    dev.read(o, b);
    let w = b[0]! | (b[1]! << 8);
    w = cluster & 1 ? (w & 0x000f) | (value << 4) : (w & 0xf000) | value;
    dev.write(o, new Uint8Array([w & 0xff, w >>> 8]));
  } else if (bits === 16) {
    dev.write(fatOffset + cluster * 2, new Uint8Array([value & 0xff, value >>> 8]));
  } else {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0);
    dev.write(fatOffset + cluster * 4, b);
  }
}

/**
 * Adds directory `name` with `n` empty files to the root of a fresh FAT32
 * image made by mkfs.fat -s 1 (root at cluster 2, everything after it free),
 * writing the entries, both FATs and FSInfo directly.
 */
function writeBigDir(img: string, name: string, n: number, fileName: (i: number) => string): void {
  const dev = new FileDevice(img, false);
  try {
    const geo = readGeometry(dev);
    const bs = Buffer.alloc(512);
    dev.read(0, bs);
    const nFats = bs[16]!, fatSize = bs.readUInt32LE(36) * geo.ss;
    expect(geo.fatType).toBe(32);
    expect(geo.rootCluster).toBe(2);
    const date = ((2021 - 1980) << 9) | (3 << 5) | 4, time = (5 << 11) | (6 << 5);
    const slots: Buffer[] = [];
    let sfnSeq = 0;
    const entry = (long: string, attr: number, cluster: number): Buffer[] => {
      const sfn = Buffer.from(`E${String(++sfnSeq).padStart(7, '0')}${attr & 0x10 ? '   ' : 'TXT'}`, 'latin1');
      let sum = 0;
      for (const c of sfn) sum = ((((sum & 1) << 7) | (sum >>> 1)) + c) & 0xff;
      const u16 = Buffer.from(long, 'utf16le');
      const units = u16.length / 2;
      const count = Math.ceil(units / 13);
      const out: Buffer[] = [];
      for (let ord = count; ord >= 1; ord--) {
        const e = Buffer.alloc(32);
        e[0] = ord | (ord === count ? 0x40 : 0);
        e[11] = 0x0f;
        e[13] = sum;
        const offs = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
        for (let k = 0; k < 13; k++) {
          const idx = (ord - 1) * 13 + k;
          const v = idx < units ? u16.readUInt16LE(idx * 2) : idx === units ? 0 : 0xffff;
          e.writeUInt16LE(v, offs[k]!);
        }
        out.push(e);
      }
      const s = Buffer.alloc(32);
      sfn.copy(s, 0);
      s[11] = attr;
      s.writeUInt16LE(time, 14); s.writeUInt16LE(date, 16); s.writeUInt16LE(date, 18);
      s.writeUInt16LE(cluster >>> 16, 20); s.writeUInt16LE(time, 22); s.writeUInt16LE(date, 24);
      s.writeUInt16LE(cluster & 0xffff, 26);
      out.push(s);
      return out;
    };
    const first = 3;
    const dot = (nm: string, cl: number) => {
      const e = Buffer.alloc(32, 0x20);
      e.write(nm, 0, 'latin1');
      e.fill(0, 11);
      e[11] = 0x10;
      e.writeUInt16LE(time, 22); e.writeUInt16LE(date, 24);
      e.writeUInt16LE(cl >>> 16, 20); e.writeUInt16LE(cl & 0xffff, 26);
      return e;
    };
    slots.push(dot('.', first), dot('..', 0));
    for (let i = 0; i < n; i++) slots.push(...entry(fileName(i), 0x20, 0));
    const data = Buffer.concat(slots);
    const k = Math.ceil(data.length / geo.clusterBytes);
    const dirData = Buffer.alloc(k * geo.clusterBytes);
    data.copy(dirData);
    dev.write(geo.dataOffset + (first - 2) * geo.clusterBytes, dirData);
    // the root entry
    const root = Buffer.alloc(geo.clusterBytes);
    dev.read(geo.dataOffset, root);
    let at = 0;
    while (root[at] !== 0) at += 32;
    Buffer.concat(entry(name, 0x10, first)).copy(root, at);
    dev.write(geo.dataOffset, root);
    // FAT chain, in every FAT
    const fat = Buffer.alloc(k * 4);
    for (let i = 0; i < k; i++) fat.writeUInt32LE(i === k - 1 ? 0x0fffffff : first + i + 1, i * 4);
    for (let f = 0; f < nFats; f++) dev.write(geo.fatOffset + f * fatSize + first * 4, fat);
    // FSInfo
    const fsi = Buffer.alloc(8);
    dev.read(geo.ss + 488, fsi);
    fsi.writeUInt32LE(fsi.readUInt32LE(0) - k, 0);
    fsi.writeUInt32LE(first + k, 4);
    dev.write(geo.ss + 488, fsi);
  } finally {
    dev.close();
  }
}

describe('FAT edge cases', () => {
  it('reports ENOSPC for a full FAT12 root directory and a full disk', async () => {
    const img = join(tmp, 'full.img');
    mkfs(img, { bits: 12, kib: 1440, args: ['-F', '12'] }, ['-r', '16']);
    const fs = await open(img, false);
    let made = 0;
    const err = await errnoOf(() => {
      for (let i = 0; i < 100; i++) {
        fs.create(1, `F${i}.TXT`, 0o644, 0, 0);
        made++;
      }
    });
    expect(err).toBe('ENOSPC');
    expect(made).toBe(16);
    const f = fs.lookup(1, 'F0.TXT');
    expect(await errnoOf(() => fs.write(f, 0, Buffer.alloc(2 * 1024 * 1024, 1)))).toBe('ENOSPC');
    fs.close();
    expectClean(img);
  });

  it('lists a 10,000-entry directory on FAT32 (and creates 1,000 through the driver)', async () => {
    const img = join(tmp, 'many.img');
    mkfs(img, { bits: 32, kib: 65536, args: ['-F', '32', '-s', '1'] });
    // mtools needs ~10 s for 10,000 names (and FatFs ~25 s): write the directory directly
    const N = 10_000;
    writeBigDir(img, 'Many Entries', N, (i) => `entry number ${i}.txt`);
    expectClean(img);
    const fs = await open(img, false);
    const dir = resolve(fs, 'many entries');
    let t = performance.now();
    const list = fs.readdir(dir);
    const tList = performance.now() - t;
    expect(list.length).toBe(N);
    expect(new Set(list.map((e) => e.ino)).size).toBe(N);
    t = performance.now();
    for (const e of list) expect(fs.getattr(e.ino).size).toBe(0);
    const tStat = performance.now() - t;
    expect(fs.lookup(dir, 'ENTRY NUMBER 9999.TXT')).toBe(list.find((e) => e.name === 'entry number 9999.txt')!.ino);
    expect(fs.getattr(dir).size).toBe(Math.ceil((N * 3 + 2) * 32 / 512) * 512); // 2 LFN + 1 short entry per name

    const made = fs.mkdir(1, 'made', 0o755, 0, 0);
    t = performance.now();
    for (let i = 0; i < 1000; i++) fs.create(made, `created file ${i}.dat`, 0o644, 0, 0);
    const tCreate = performance.now() - t;
    expect(fs.readdir(made).length).toBe(1000);
    console.log(`FAT32: readdir ×${N}: ${tList.toFixed(0)} ms; getattr ×${N}: ${tStat.toFixed(0)} ms; create ×1,000: ${tCreate.toFixed(0)} ms`);
    fs.close();
    expectClean(img);
    expect(sh('mdir', ['-i', img, '-b', '::/made']).trim().split('\n').length).toBe(1000);
  });

  it('reads a large file (prints MiB/s)', async () => {
    const img = join(tmp, 'large.img');
    const size = 96 * 1024 * 1024;
    mkfs(img, { bits: 32, kib: 300 * 1024, args: ['-F', '32', '-s', process.env.FAT_SPC ?? '8'] });
    const src = join(tmp, 'large.bin');
    const chunk = pattern(1024 * 1024, 3);
    const fd = openSync(src, 'w');
    for (let i = 0; i < size / chunk.length; i++) {
      chunk.writeUInt32LE(i, 0);
      writeSync(fd, chunk);
    }
    closeSync(fd);
    sh('mcopy', ['-i', img, src, '::/large.bin']);
    const fs = await open(img, true);
    const ino = fs.lookup(1, 'LARGE.BIN');
    expect(fs.getattr(ino).size).toBe(size);
    const t = performance.now();
    for (let off = 0, i = 0; off < size; off += chunk.length, i++) {
      const b = Buffer.from(fs.read(ino, off, chunk.length));
      chunk.writeUInt32LE(i, 0);
      if (!b.equals(chunk)) throw new Error(`mismatch at ${off}`);
    }
    const s = (performance.now() - t) / 1000;
    console.log(`FAT32 (${fs.statfs().bsize} B clusters): read ${size >> 20} MiB in 1 MiB chunks: ${(size / 1048576 / s).toFixed(0)} MiB/s`);
    fs.close();
    rmSync(src);
  });

  it('corrects a wrong FSInfo free count on statfs, like Linux recounting', async () => {
    const img = join(tmp, 'fsinfo.img');
    mkfs(img, { bits: 32, kib: 65536, args: ['-F', '32', '-s', '1'] });
    const fd = openSync(img, 'r+');
    const b = Buffer.alloc(4);
    b.writeUInt32LE(1234);
    writeSync(fd, b, 0, 4, 512 + 488);
    closeSync(fd);
    const ro = await open(img, true);
    const real = ro.statfs().bfree;
    expect(real).toBeGreaterThan(100_000);
    ro.close();
    const fs = await open(img, false);
    expect(fs.statfs().bfree).toBe(real);
    const f = fs.create(1, 'x', 0o644, 0, 0);
    fs.write(f, 0, Buffer.alloc(4096, 1));
    expect(fs.statfs().bfree).toBe(real - 8);
    fs.close();
    expectClean(img);

    // FSInfo claiming a full disk: FatFs alone would refuse to allocate
    const fd2 = openSync(img, 'r+');
    b.writeUInt32LE(0);
    writeSync(fd2, b, 0, 4, 512 + 488);
    closeSync(fd2);
    const fs2 = await open(img, false);
    const g = fs2.create(1, 'y', 0o644, 0, 0);
    fs2.write(g, 0, Buffer.alloc(4096, 2));
    expect(fs2.statfs().bfree).toBe(real - 16);
    fs2.close();
    expectClean(img);
  });

  it('opens more volumes than one js-fatfs instance holds', async () => {
    const img = join(tmp, 'small.img');
    mkfs(img, { bits: 12, kib: 1024, args: ['-F', '12'] });
    sh('mcopy', ['-i', img, join(tmp, 'tree', 'hello.txt'), '::/']);
    const vols = await Promise.all(Array.from({ length: 12 }, () => open(img, true)));
    expect(instanceCount()).toBeGreaterThanOrEqual(2);
    expect(allInstancesUtc()).toBe(true);
    for (const fs of vols) expect(text(fs.read(fs.lookup(1, 'hello.txt'), 0, 100))).toBe('hello, world\n');
    for (const fs of vols) fs.close();
  });
});
