/**
 * The in-process ISO 9660 reader (src/fs/iso9660) against the trees its
 * fixtures were made from (fixtures/make-iso.sh keeps them in
 * fixtures/out/iso-src/): plain level 1/2/3, Joliet only, Rock Ridge with
 * symlinks, hard links, a fifo, devices, long names and a tree deep enough to be
 * relocated, zisofs-compressed files, a cloud-init seed and an isohybrid-style image. Then a
 * multi-extent file and corrupt volumes made by patching the images in memory.
 * (The CLI and the comparison with the appliance: test/iso9660-cli.test.ts.)
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DT_DIR, type FsDriver } from '../src/fs/fs-driver.js';
import { openIso9660 } from '../src/fs/iso9660/iso-driver.js';
import { fixture, sha256 } from './helpers/fixtures.js';
import { FileDevice, fsErrorOf } from './helpers/host-tools.js';
import { MemSyncDevice } from './helpers/fuzz-walk.js';
import { IMAGES } from './helpers/iso-fixtures.js';

const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000;
/** make-iso.sh's fixed time on every source file: 2021-03-04 05:06:07 UTC. */
const T = Date.UTC(2021, 2, 4, 5, 6, 7) / 1000;

interface Seen {
  ino: number;
  type: number;
}

function walk(fs: FsDriver, dir: number, path: string, out: Map<string, Seen>): void {
  for (const e of fs.readdir(dir)) {
    const p = `${path}/${e.name}`;
    out.set(p, { ino: e.ino, type: e.type });
    if (e.type === DT_DIR) walk(fs, e.ino, p, out);
  }
}

function sourceTree(root: string, rel = '', out: string[] = []): string[] {
  for (const n of readdirSync(join(root, rel))) {
    const p = `${rel}/${n}`;
    out.push(p);
    if (lstatSync(join(root, p)).isDirectory()) sourceTree(root, p, out);
  }
  return out;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function withIso<T>(name: string, fn: (fs: FsDriver, dev: FileDevice) => T): T {
  const dev = new FileDevice(fixture(name), true);
  try {
    const fs = openIso9660(dev, { readOnly: true });
    try {
      return fn(fs, dev);
    } finally {
      fs.close();
    }
  } finally {
    dev.close();
  }
}

describe('iso9660 read by the wasm driver, against the source trees', () => {
  for (const [image, tree, kind] of IMAGES) {
    it(`${image} (${kind}): names, types, sizes, contents, modes, owners, times, link counts and targets`, () => {
      const src = fixture(join('iso-src', tree));
      // zisofs images record the change times of mkzftree's compressed copy, not of the plain tree
      const ctimeSrc = tree === 'zisofs' ? fixture('iso-src/zisofs-stored') : src;
      withIso(image, (fs) => {
        const seen = new Map<string, Seen>();
        walk(fs, fs.rootIno, '', seen);
        const expected = sourceTree(src).sort();
        // Rock Ridge keeps the relocated deep directories in /rr_moved, which Linux shows (empty).
        const extra = kind === 'rock' && tree === 'rock' ? ['/rr_moved'] : [];
        expect([...seen.keys()].sort()).toEqual([...expected, ...extra].sort());
        if (extra.length) expect(fs.readdir(seen.get('/rr_moved')!.ino)).toEqual([]);
        for (const p of expected) {
          const st = lstatSync(join(src, p));
          const a = fs.getattr(seen.get(p)!.ino);
          const type = st.mode & S_IFMT;
          expect(a.mode & S_IFMT, p).toBe(type);
          expect(a.mtime, p).toEqual({ sec: T, nsec: 0 });
          if (kind === 'rock') {
            expect([a.mode, a.uid, a.gid, a.nlink, a.rdev], p).toEqual([st.mode, st.uid, st.gid, st.nlink, st.rdev]);
            // (touch cannot set ctime: genisoimage records the source's change time)
            // (genisoimage's readlink of a symlink bumps its atime before it is recorded)
            // (and its readdir that of a directory)
            if (type === S_IFREG) expect(a.atime.sec, p).toBe(T);
            expect(a.ctime.sec, p).toBe(Math.floor(lstatSync(join(ctimeSrc, p)).ctimeMs / 1000));
          } else {
            // Linux's isofs defaults without Rock Ridge: r-x for all, root, one link.
            expect([a.mode & 0o7777, a.uid, a.gid, a.nlink], p).toEqual([0o555, 0, 0, 1]);
          }
          if (st.isSymbolicLink()) {
            const target = readlinkSync(join(src, p));
            expect(fs.readlink(a.ino), p).toBe(target);
            expect(a.size, p).toBe(Buffer.byteLength(target));
          } else if (type === S_IFREG) {
            expect(a.size, p).toBe(st.size);
            expect(sha(fs.read(a.ino, 0, st.size + 10)), p).toBe(sha256(join(src, p)));
          } else if (type === S_IFDIR) {
            expect(a.size % 2048, p).toBe(0);
          }
        }
      });
    });
  }

  it('Rock Ridge wins over Joliet, Joliet over plain names; lookups find what readdir lists', () => {
    withIso('iso-rock.iso', (fs) => {
      const long = 'a-very-long-rock-ridge-file-name-'.repeat(6) + '.txt';
      expect(fs.getattr(fs.lookup(fs.rootIno, long)).size).toBe(5);
      const deep = Array.from({ length: 12 }, (_, i) => `level${i + 1}`).reduce((d, n) => fs.lookup(d, n), fs.rootIno);
      expect(Buffer.from(fs.read(fs.lookup(deep, 'bottom.txt'), 0, 100)).toString()).toBe('bottom\n');
      expect(fsErrorOf(() => fs.lookup(fs.rootIno, 'HELLO.TXT;1')).errno).toBe('ENOENT');
    });
    withIso('iso-joliet.iso', (fs) => {
      expect(fs.readdir(fs.rootIno).map((e) => e.name).sort()).toEqual(['A Long File Name With Spaces.txt', 'Mixed Case Directory', 'name.with.dots.tar.gz']);
      // Joliet lookups ignore case, as in the appliance's kernel; plain names' do not
      const dir = fs.lookup(fs.lookup(fs.rootIno, 'mixed case DIRECTORY'), 'nested');
      expect(fs.lookup(dir, 'README.MD')).toBe(fs.lookup(dir, 'ReadMe.md'));
    });
    withIso('iso-l1.iso', (fs) => {
      expect(fs.getattr(fs.lookup(fs.rootIno, 'readme.txt')).size).toBe(16);
      for (const name of ['README.TXT', 'readme.txt;1', 'readme.txt.']) expect(fsErrorOf(() => fs.lookup(fs.rootIno, name)).errno).toBe('ENOENT');
    });
  });

  it('zisofs: reads across compressed blocks and all-zero blocks at any offset', () => {
    withIso('iso-zisofs.iso', (fs) => {
      for (const name of ['text.txt', 'zeroes.bin']) {
        const src = readFileSync(fixture(`iso-src/zisofs/${name}`));
        const ino = fs.lookup(fs.rootIno, name);
        for (const [at, n] of [[0, 10], [32760, 20], [65530, 70_000], [src.length - 5, 100]] as const) {
          expect(Buffer.from(fs.read(ino, at, n)), `${name} ${at}`).toEqual(src.subarray(at, at + n));
        }
      }
    });
  });

  it('statfs: the volume size in logical blocks, nothing free', () => {
    withIso('seed.iso', (fs, dev) => {
      const s = fs.statfs();
      expect(s.bsize).toBe(2048);
      expect(s.blocks * 2048).toBe(dev.size);
      expect([s.bfree, s.bavail, s.namemax]).toEqual([0, 0, 255]);
    });
  });

  it('refuses every write with EROFS, and a read-write open', () => {
    withIso('iso-rock.iso', (fs, dev) => {
      const root = fs.rootIno, f = fs.lookup(root, 'hello.txt');
      expect(fsErrorOf(() => fs.write(f, 0, new Uint8Array(1))).errno).toBe('EROFS');
      expect(fsErrorOf(() => fs.create(root, 'x', 0o644, 0, 0)).errno).toBe('EROFS');
      expect(fsErrorOf(() => fs.mkdir(root, 'x', 0o755, 0, 0)).errno).toBe('EROFS');
      expect(fsErrorOf(() => fs.unlink(root, 'hello.txt')).errno).toBe('EROFS');
      expect(fsErrorOf(() => fs.setattr(f, { mode: 0o600 })).errno).toBe('EROFS');
      expect(fsErrorOf(() => openIso9660(dev, { readOnly: false })).errno).toBe('EROFS');
      expect(fsErrorOf(() => fs.read(fs.lookup(root, 'bin'), 0, 1)).errno).toBe('EISDIR');
      expect(fsErrorOf(() => fs.readlink(f)).errno).toBe('EINVAL');
    });
  });
});

/** The whole image in memory, for patching. */
const load = (name: string) => new Uint8Array(readFileSync(fixture(name)));
const u32le = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint32(o, true);

/** Byte offsets of the directory records of the directory extent at `extent` (2048-byte blocks), with their identifiers. */
function records(img: Uint8Array, extent: number, length: number): { at: number; id: Uint8Array }[] {
  const out: { at: number; id: Uint8Array }[] = [];
  for (let pos = extent * 2048; pos < extent * 2048 + length;) {
    const len = img[pos]!;
    if (len === 0) {
      pos = (Math.floor(pos / 2048) + 1) * 2048;
      continue;
    }
    out.push({ at: pos, id: img.subarray(pos + 33, pos + 33 + img[pos + 32]!) });
    pos += len;
  }
  return out;
}

/** The root directory record of the volume descriptor in sector `sector` (16: primary; 17 here: Joliet). */
const rootExtent = (img: Uint8Array, sector: number) => ({ extent: u32le(img, sector * 2048 + 156 + 2), length: u32le(img, sector * 2048 + 156 + 10) });
const joliet = (s: string) => Buffer.from(s, 'utf16le').swap16();

describe('iso9660 structures the fixtures cannot make, and corruption', () => {
  it('a multi-extent file (level 3: several records of one name) reads as one file of the summed size', () => {
    // genisoimage splits only files of 4 GiB and more: make big.a (6144 bytes, whole blocks) and
    // big.b (3000 bytes) the two sections of one file, in the Joliet tree Linux reads here.
    const img = load('iso-l3.iso');
    expect(img[17 * 2048]).toBe(2); // the Joliet supplementary descriptor
    const root = rootExtent(img, 17);
    const recs = records(img, root.extent, root.length);
    const a = recs.find((r) => Buffer.from(r.id).equals(joliet('big.a')))!;
    const b = recs.find((r) => Buffer.from(r.id).equals(joliet('big.b')))!;
    expect(recs.indexOf(b)).toBe(recs.indexOf(a) + 1);
    img[a.at + 25]! |= 0x80;
    img.set(a.id.slice(), b.at + 33);
    const fs = openIso9660(new MemSyncDevice(img, img.length), { readOnly: true });
    expect(fs.readdir(fs.rootIno).map((e) => e.name).sort()).toEqual(['big.a', 'c.txt']);
    const ino = fs.lookup(fs.rootIno, 'big.a');
    expect(fs.getattr(ino).size).toBe(9144);
    const data = Buffer.from(fs.read(ino, 0, 20_000));
    expect(data.toString()).toBe('A'.repeat(6144) + 'B'.repeat(3000));
    expect(Buffer.from(fs.read(ino, 6140, 8)).toString()).toBe('AAAABBBB');
  });

  it('not an ISO, a truncated image, a broken record, a CE loop, a CL loop and a directory loop: typed errors naming what is wrong', () => {
    const good = load('iso-rock.iso');
    const open = (img: Uint8Array, len = img.length) => openIso9660(new MemSyncDevice(img, len), { readOnly: true });
    const ext4 = load('ext2.img');
    expect(fsErrorOf(() => open(ext4)).errno).toBe('EINVAL');
    expect(fsErrorOf(() => open(good, 16 * 2048 + 100)).message).toMatch(/^iso9660: volume descriptor 0 lies beyond the end of the device .*: the image is truncated$/);
    const root = rootExtent(good, 16);
    // the image cut inside the file data: the directory reads, the file does not
    const hello = records(good, root.extent, root.length).find((r) => Buffer.from(r.id).toString('latin1') === 'HELLO.TXT;1')!;
    const helloData = u32le(good, hello.at + 2) * 2048;
    const cut = open(good, helloData + 4);
    const e = fsErrorOf(() => cut.read(cut.lookup(cut.rootIno, 'hello.txt'), 0, 100));
    expect(e.errno).toBe('EIO');
    expect(e.message).toMatch(/beyond the end of the device .*: the image is truncated/);
    // a record length shorter than its identifier
    const bad = good.slice();
    bad[hello.at] = 34;
    expect(fsErrorOf(() => open(bad).readdir(open(bad).rootIno)).errno).toBe('EUCLEAN');
    // a CE entry pointing at itself: the record's system use area, continued into itself
    const loop = good.slice();
    const su = hello.at + 33 + hello.id.length + (hello.id.length % 2 === 0 ? 1 : 0);
    const ce = new Uint8Array([0x43, 0x45, 28, 1, ...le733(Math.floor(su / 2048)), ...le733(su % 2048), ...le733(28)]);
    loop.set(ce, su);
    const lf = open(loop);
    const le = fsErrorOf(() => lf.readdir(lf.rootIno));
    expect(le.errno).toBe('EUCLEAN');
    expect(le.message).toMatch(/continuation area chain \(CE\) loops/);
    // a CL placeholder pointing back at the root
    const cl = good.slice();
    const level1 = records(good, root.extent, root.length).find((r) => Buffer.from(r.id).toString('latin1') === 'LEVEL1')!;
    const l1 = { extent: u32le(good, level1.at + 2), length: u32le(good, level1.at + 10) };
    let deepest = l1;
    // ISO 9660 allows 8 levels: level8 is relocated, its placeholder (CL) sits in level7
    for (let i = 2; i <= 7; i++) {
      const r = records(good, deepest.extent, deepest.length).find((x) => Buffer.from(x.id).toString('latin1') === `LEVEL${i}`)!;
      deepest = { extent: u32le(good, r.at + 2), length: u32le(good, r.at + 10) };
    }
    const placeholder = records(good, deepest.extent, deepest.length).find((x) => Buffer.from(x.id).toString('latin1').startsWith('LEVEL8'))!;
    const pSu = placeholder.at + 33 + placeholder.id.length + (placeholder.id.length % 2 === 0 ? 1 : 0);
    const pLen = good[placeholder.at]! - (pSu - placeholder.at);
    const clAt = findSig(good.subarray(pSu, pSu + pLen), 'CL');
    expect(clAt).toBeGreaterThanOrEqual(0);
    cl.set(le733(root.extent), pSu + clAt + 4);
    const cf = open(cl);
    const deepIno = Array.from({ length: 7 }, (_, i) => `level${i + 1}`).reduce((d, n) => cf.lookup(d, n), cf.rootIno);
    const ce2 = fsErrorOf(() => cf.readdir(deepIno));
    expect(ce2.errno).toBe('EUCLEAN');
    // a plain directory record pointing at the root's extent
    const dirLoop = good.slice();
    dirLoop.set(le733(root.extent), level1.at + 2);
    const df = open(dirLoop);
    expect(fsErrorOf(() => df.readdir(df.rootIno)).message).toBe(`iso9660: directory 'level1' (record at byte ${level1.at}) is its own ancestor: the directory tree loops: the filesystem is corrupt`);
    expect(ce2.message).toBe(`iso9660: directory 'level8' (record at byte ${placeholder.at}) is its own ancestor: the directory tree loops: the filesystem is corrupt`);
  });
});

/** A both-endian 32-bit field (ECMA-119 7.3.3). */
function le733(v: number): number[] {
  return [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255, (v >>> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function findSig(area: Uint8Array, sig: string): number {
  for (let p = 0; p + 4 <= area.length && area[p + 2]! >= 4; p += area[p + 2]!) if (String.fromCharCode(area[p]!, area[p + 1]!) === sig) return p;
  return -1;
}
