/**
 * The in-process xfs reader (src/fs/xfs) against the trees it was made from:
 * fixtures/make-xfs.sh builds xfs-v5.img (CRCs, ftype, big timestamps, a
 * 100,000-entry btree directory) and xfs-v4.img (no CRCs, no ftype) from
 * host trees whose lstat/MD5 manifests (xfs-v*.json) are the truth. Then the
 * stock Fedora-shaped guest (LVM, xfs root) through the CLI: read-only tools
 * stay on the wasm backend and print what the appliance prints.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOLES, TIMES, type ManifestEntry as Expected } from '../fixtures/xfs-layout.js';
import { DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_UNKNOWN, FsError, type FsDriver, type SyncDevice } from '../src/fs/fs-driver.js';
import { crc32cWithHole } from '../src/fs/xfs/crc32c.js';
import { openXfs } from '../src/fs/xfs/xfs-driver.js';
import { runCli } from './helpers/cli.js';
import { GOLDEN, fixture, sha256 } from './helpers/fixtures.js';
import { FileDevice, fsErrorOf, pattern } from './helpers/host-tools.js';

const haveQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
/** The guestfish words of test/golden/xfs/guestfish__xfs-v4_xfs-v5.out (v4 is /dev/sda, v5 /dev/sdb). */
const GUESTFISH_SCRIPT = ('run : mount-ro /dev/sda / : readdir /small : readdir /deep : statns /times.txt : umount / : ' +
  'mount-ro /dev/sdb / : readdir /small : readdir /deep : statns /times.txt : statvfs /').split(' ');

const IFMT: Record<Expected['type'], number> = { dir: 0o040000, reg: 0o100000, lnk: 0o120000, fifo: 0o010000, chr: 0o020000, blk: 0o060000 };
const DT: Record<Expected['type'], number> = { dir: DT_DIR, reg: DT_REG, lnk: DT_LNK, fifo: DT_FIFO, chr: DT_CHR, blk: DT_BLK };
const linuxDev = (major: number, minor: number) => (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);

/** A read-only view of a device with some bytes replaced (corruption without copying the image). */
class PatchedDevice implements SyncDevice {
  readonly readOnly = true;
  constructor(private readonly base: SyncDevice, private readonly patches: Map<number, number>) {}
  get size(): number {
    return this.base.size;
  }
  read(offset: number, into: Uint8Array): void {
    this.base.read(offset, into);
    for (const [at, v] of this.patches) if (at >= offset && at < offset + into.length) into[at - offset] = v;
  }
  write(): void {
    throw new Error('read-only');
  }
  flush(): void {}
}

function walk(fs: FsDriver, dir: number, path: string, out: Map<string, { ino: number; type: number }>): void {
  for (const e of fs.readdir(dir)) {
    const p = `${path}/${e.name}`;
    out.set(p, { ino: e.ino, type: e.type });
    if ((fs.getattr(e.ino).mode & 0o170000) === 0o040000) walk(fs, e.ino, p, out);
  }
}

function md5Of(fs: FsDriver, ino: number, size: number): string {
  const h = createHash('md5');
  for (let off = 0; off < size; off += 1 << 20) h.update(fs.read(ino, off, 1 << 20));
  return h.digest('hex');
}

for (const v of ['v5', 'v4'] as const) {
  describe(`xfs ${v} read by the wasm driver`, () => {
    const manifest = JSON.parse(readFileSync(fixture(`xfs-${v}.json`), 'utf8')) as Record<string, Expected>;
    let dev: FileDevice;
    let fs: FsDriver;
    const seen = new Map<string, { ino: number; type: number }>();
    beforeAll(() => {
      dev = new FileDevice(fixture(`xfs-${v}.img`), true);
      fs = openXfs(dev, { readOnly: true });
      walk(fs, fs.rootIno, '', seen);
    });
    afterAll(() => {
      fs?.close();
      dev?.close();
    });

    it('lists exactly the tree it was made from, with d_type only where the filesystem records it', () => {
      expect([...seen.keys()].sort()).toEqual(Object.keys(manifest).sort());
      for (const [p, e] of seen) expect(e.type, p).toBe(v === 'v5' ? DT[manifest[p]!.type] : DT_UNKNOWN);
    });

    it('stats every entry as the host tree (type, mode, owner, size, device numbers)', () => {
      // mismatches collected and compared once: 100,000 entries make per-field expects slow
      const bad: string[] = [];
      for (const [p, want] of Object.entries(manifest)) {
        const a = fs.getattr(seen.get(p)!.ino);
        const got = { mode: a.mode, uid: a.uid, gid: a.gid, size: want.type === 'dir' ? -1 : a.size, rdev: want.rdev ? a.rdev : 0, blksize: a.blksize };
        const exp = { mode: IFMT[want.type] | want.mode, uid: want.uid, gid: want.gid, size: want.type === 'dir' ? -1 : want.size, rdev: want.rdev ? linuxDev(want.rdev.major, want.rdev.minor) : 0, blksize: 4096 };
        if (JSON.stringify(got) !== JSON.stringify(exp)) bad.push(`${p}: ${JSON.stringify(got)} != ${JSON.stringify(exp)}`);
      }
      expect(bad).toEqual([]);
      expect(fs.getattr(seen.get('/dev-sda1')!.ino).rdev).toBe(0x801);
      const dirs = Object.entries(manifest).filter(([, e]) => e.type === 'dir').map(([p]) => p);
      for (const d of dirs) {
        const subdirs = dirs.filter((x) => x.startsWith(`${d}/`) && !x.slice(d.length + 1).includes('/')).length;
        expect(fs.getattr(seen.get(d)!.ino).nlink, d).toBe(2 + subdirs);
      }
    });

    it('reads every file and link as the host tree (content MD5s, local and remote symlinks)', () => {
      const bad: string[] = [];
      for (const [p, want] of Object.entries(manifest)) {
        const ino = seen.get(p)!.ino;
        if (want.type === 'reg' && p !== '/holes.bin') {
          const got = want.size ? md5Of(fs, ino, want.size) : fs.read(ino, 0, 1).length;
          if (got !== (want.md5 ?? 0)) bad.push(`${p}: ${got}`);
        }
        if (want.type === 'lnk' && fs.readlink(ino) !== want.target) bad.push(`${p}: -> ${fs.readlink(ino)}`);
      }
      expect(bad).toEqual([]);
      expect(manifest['/link-remote']!.target!.length).toBeGreaterThan(600);
    });

    it('looks names up in every directory form (short-form, block, leaf, node, btree), and not absent ones', () => {
      const root = fs.rootIno;
      const at = (p: string) => p.split('/').filter(Boolean).reduce((d, n) => fs.lookup(d, n), root);
      for (const p of ['/small/s2', '/block/block-entry-39', '/leaf/leaf-directory-entry-with-a-longer-name-399', '/node/node-directory-entry-with-a-longer-name-2999', '/日本語.txt', '/emoji-🙂.txt']) {
        expect(at(p), p).toBe(seen.get(p)!.ino);
      }
      let deep = '/deep';
      for (let i = 1; i <= 40; i++) deep += `/d${i}`;
      expect(at(`${deep}/bottom.txt`)).toBe(seen.get(`${deep}/bottom.txt`)!.ino);
      if (v === 'v5') {
        for (const i of [0, 1, 4242, 50_000, 99_999]) {
          const p = `/big/f${String(i).padStart(6, '0')}-entry`;
          expect(at(p), p).toBe(seen.get(p)!.ino);
        }
      }
      expect(fsErrorOf(() => fs.lookup(at('/node'), 'node-directory-entry-with-a-longer-name-3000')).errno).toBe('ENOENT');
      expect(fsErrorOf(() => fs.lookup(root, 'no-such')).errno).toBe('ENOENT');
    });

    it('reads holes and unwritten extents as zeroes, and data past 4 GiB', () => {
      const ino = seen.get('/holes.bin')!.ino;
      const src = pattern(3 * HOLES.blockSize, HOLES.seed);
      expect(fs.getattr(ino).size).toBe(HOLES.size);
      expect(fs.getattr(ino).blocks).toBe(3 * 8);
      expect(Buffer.from(fs.read(ino, 0, 4096))).toEqual(src.subarray(0, 4096));
      // file blocks 1..15: a hole, the unwritten block 10, a hole
      expect(fs.read(ino, 4096, 15 * 4096).every((b) => b === 0)).toBe(true);
      expect(fs.read(ino, 3 * 2 ** 30, 1 << 20).every((b) => b === 0)).toBe(true);
      const tail = fs.read(ino, HOLES.lastBlock * 4096 - 10, 200);
      expect(tail.length).toBe(110);
      expect(tail.subarray(0, 10).every((b) => b === 0)).toBe(true);
      expect(Buffer.from(tail.subarray(10))).toEqual(src.subarray(8192, 8292));
      expect(fs.read(ino, HOLES.size, 10).length).toBe(0);
    });

    it('reads times with nanoseconds, before 1970 and (v5 big timestamps) after 2038', () => {
      const a = fs.getattr(seen.get('/times.txt')!.ino);
      expect(a.atime).toEqual(TIMES.atime);
      expect(a.mtime).toEqual(TIMES.mtime);
      expect(a.ctime).toEqual(v === 'v5' ? TIMES.ctimeV5 : TIMES.ctimeV4);
    });

    it('statfs: data blocks less the internal log, free space from the AGFs, inode counts', () => {
      const s = fs.statfs();
      const sb = Buffer.alloc(512);
      dev.read(0, sb);
      const dblocks = Number(sb.readBigUInt64BE(8)), logBlocks = sb.readUInt32BE(96), icount = Number(sb.readBigUInt64BE(128)), ifree = Number(sb.readBigUInt64BE(136));
      expect(s.bsize).toBe(4096);
      expect(s.blocks).toBe(dblocks - logBlocks);
      expect(s.bfree).toBeGreaterThan(0);
      expect(s.bfree).toBeLessThan(s.blocks);
      expect(s.bavail).toBe(s.bfree);
      expect(s.files - s.ffree).toBe(icount - ifree);
      expect(icount - ifree).toBe(Object.keys(manifest).length + 1 + metadataInodes(sb));
      expect(s.namemax).toBe(255);
    });

    it('refuses every write with EROFS, and a read-write open', () => {
      const root = fs.rootIno, f = seen.get('/hello.txt')!.ino;
      expect(fsErrorOf(() => fs.write(f, 0, new Uint8Array(1))).errno).toBe('EROFS');
      expect(fsErrorOf(() => fs.create(root, 'x', 0o644, 0, 0)).errno).toBe('EROFS');
      expect(fsErrorOf(() => fs.mkdir(root, 'x', 0o755, 0, 0)).errno).toBe('EROFS');
      expect(fsErrorOf(() => fs.unlink(root, 'hello.txt')).errno).toBe('EROFS');
      expect(fsErrorOf(() => fs.rename(root, 'hello.txt', root, 'y')).errno).toBe('EROFS');
      expect(fsErrorOf(() => fs.setattr(f, { mode: 0o600 })).errno).toBe('EROFS');
      expect(fsErrorOf(() => openXfs(dev, { readOnly: false })).errno).toBe('EROFS');
    });
  });
}

/** Inodes the filesystem uses for itself: root excluded (counted with the tree), quota and realtime inodes. */
function metadataInodes(sb: Buffer): number {
  // rbmino and rsumino exist on every xfs (even without a realtime device); no quota inodes here
  return [64, 72].filter((o) => sb.readBigUInt64BE(o) !== 0n && sb.readBigUInt64BE(o) !== 0xffffffffffffffffn).length;
}

describe('xfs corruption is reported, never read past', () => {
  const v5 = () => new FileDevice(fixture('xfs-v5.img'), true);
  const v4 = () => new FileDevice(fixture('xfs-v4.img'), true);

  it('a superblock CRC mismatch (v5) and a realtime device (v4) are refused at open', () => {
    const d5 = v5(), d4 = v4();
    try {
      const e = fsErrorOf(() => openXfs(new PatchedDevice(d5, new Map([[108, 0x41]])), { readOnly: true }));
      expect(e.errno).toBe('EUCLEAN');
      expect(e.message).toBe('xfs: superblock checksum mismatch: filesystem is corrupt');
      // sb_rblocks = 1
      const rt = fsErrorOf(() => openXfs(new PatchedDevice(d4, new Map([[23, 1]])), { readOnly: true }));
      expect(rt.errno).toBe('ENOTSUP');
      expect(rt.message).toMatch(/realtime device .* use --backend=appliance/);
      expect(fsErrorOf(() => openXfs(new PatchedDevice(d4, new Map([[0, 0]])), { readOnly: true })).errno).toBe('EINVAL');
    } finally {
      d5.close();
      d4.close();
    }
  });

  it('an inode or directory block whose CRC does not match is EUCLEAN naming it; a v5 superblock with a fixed CRC still opens', () => {
    const d = v5();
    try {
      const fs = openXfs(d, { readOnly: true });
      const block = fs.lookup(fs.rootIno, 'block');
      const hello = fs.lookup(fs.rootIno, 'hello.txt');
      fs.close();
      const sb = Buffer.alloc(512);
      d.read(0, sb);
      const agBlkLog = sb[124]!, inoPBLog = sb[123]!, agBlocks = sb.readUInt32BE(84);
      const inodeByte = (ino: number) => {
        const agno = Math.floor(ino / 2 ** (agBlkLog + inoPBLog));
        const rest = ino % 2 ** (agBlkLog + inoPBLog);
        return (agno * agBlocks + Math.floor(rest / 2 ** inoPBLog)) * 4096 + (rest % 2 ** inoPBLog) * 512;
      };
      // a bit of the file's uid flipped
      const badInode = openXfs(new PatchedDevice(d, new Map([[inodeByte(hello) + 11, 1]])), { readOnly: true });
      const e = fsErrorOf(() => badInode.getattr(hello));
      expect(e.errno).toBe('EUCLEAN');
      expect(e.message).toBe(`xfs: inode ${hello}: checksum mismatch: filesystem is corrupt`);
      // the directory's data block: find it through its extent (the inode's first record)
      const ib = Buffer.alloc(512);
      d.read(inodeByte(block), ib);
      const fsb = Number((ib.readBigUInt64BE(176 + 8) >> 21n) & ((1n << 52n) - 1n)) + Number(ib.readBigUInt64BE(176) & 0x1ffn) * 2 ** 43;
      const agno = Math.floor(fsb / 2 ** agBlkLog);
      const at = (agno * agBlocks + (fsb % 2 ** agBlkLog)) * 4096;
      const badDir = openXfs(new PatchedDevice(d, new Map([[at + 200, 0x5a]])), { readOnly: true });
      const de = fsErrorOf(() => badDir.readdir(block));
      expect(de.errno).toBe('EUCLEAN');
      expect(de.message).toBe(`xfs: directory ${block}: data block checksum mismatch: filesystem is corrupt`);
      // a label change with its CRC recomputed is a valid superblock
      const sect = Buffer.alloc(512);
      d.read(0, sect);
      sect[108] = 0x41;
      const crc = crc32cWithHole(sect, 224);
      const patched = new Map<number, number>([[108, 0x41]]);
      for (let i = 0; i < 4; i++) patched.set(224 + i, (crc >>> (8 * i)) & 0xff);
      openXfs(new PatchedDevice(d, patched), { readOnly: true }).close();
    } finally {
      d.close();
    }
  });
});

describe('xfs through the CLI (wasm backend by default for reading)', () => {
  it('cat -v on the stock Fedora guest (LVM, xfs root) says the wasm backend was chosen', async () => {
    const img = fixture('fedora-xfs.img');
    const before = sha256(img);
    const r = await runCli(['cat', '-v', '-a', img, '/etc/hostname']);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toBe('fedora-xfs.example.com\n');
    expect(r.err).toMatch(/^backend: wasm \(auto: ext4, vfat, xfs are read in process\)$/m);
    expect(sha256(img)).toBe(before);
  });

  it('forced onto wasm, an xfs drive mounts read-only only, and reads', async () => {
    const r = await runCli(['fish', '-v', '-a', fixture('xfs-v4.img'), 'run', ':', 'mount', '/dev/sda', '/'], { env: { GUESTKIT_BACKEND: 'wasm' } });
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/\/dev\/sda: xfs filesystems are read-only in the wasm backend: mount it read-only, or use --backend=appliance to write/);
    const ro = await runCli(['fish', '--ro', '-a', fixture('xfs-v4.img'), 'run', ':', 'mount-ro', '/dev/sda', '/', ':', 'cat', '/hello.txt', ':', 'readlink', '/link-remote'], { env: { GUESTKIT_BACKEND: 'wasm' } });
    expect(ro.status, ro.err).toBe(0);
    expect(ro.out).toMatch(/^hello, xfs\n\n\/long-target-component\/.*\/end\n$/);
  });

  it.skipIf(!haveQemu)('auto: a read-write mount of xfs on a read-only drive moves the session to the appliance (said under -v), image untouched', async () => {
    const img = fixture('xfs-v4.img');
    const before = sha256(img);
    const r = await runCli(['fish', '-v', '--ro', '-a', img, 'run', ':', 'mount', '/dev/sda', '/', ':', 'touch', '/new-file', ':', 'is-file', '/new-file'], { timeoutMs: 120_000 });
    expect(r.status, r.err).toBe(0);
    expect(r.out).toBe('true\n');
    expect(r.err).toMatch(/^backend: wasm \(auto: xfs is read in process\)\nbackend: moving to the appliance \(auto: mount: xfs is written only by the appliance\)\n/);
    expect(sha256(img)).toBe(before);
  }, 150_000);

  it('df and ls -lR on the Fedora guest stay on wasm and print what virt-df and virt-ls print', async () => {
    // the path as the goldens were captured with: virt-df prints it
    for (const [args, golden] of [[['df'], 'virt-df__fedora-xfs.out'], [['ls', '-lR', '/'], 'virt-ls__fedora-xfs__lR.out']] as const) {
      const r = await runCli([args[0], '-v', '-a', 'fixtures/out/fedora-xfs.img', ...args.slice(1)]);
      expect(r.status, r.err).toBe(0);
      expect(r.err).toMatch(/^backend: wasm /m);
      expect(r.out, args.join(' ')).toBe(readFileSync(join(GOLDEN, 'xfs', golden), 'utf8'));
    }
  });

  it('df and df -i on the xfs fixtures print what virt-df prints (v5 and v4 as one guest)', async () => {
    for (const [flags, golden] of [[[], 'virt-df__xfs-v5_xfs-v4.out'], [['-i'], 'virt-df__xfs-v5_xfs-v4__i.out']] as const) {
      const r = await runCli(['df', ...flags, '-a', 'fixtures/out/xfs-v5.img', '-a', 'fixtures/out/xfs-v4.img']);
      expect(r.status, r.err).toBe(0);
      expect(r.out, golden).toBe(readFileSync(join(GOLDEN, 'xfs', golden), 'utf8'));
    }
  });

  it('ls -lR of the v4 fixture, and fish readdir / statns / statvfs on both, print what virt-ls and guestfish print', async () => {
    const ls = await runCli(['ls', '-lR', '-a', 'fixtures/out/xfs-v4.img', '-m', '/dev/sda', '/']);
    expect(ls.status, ls.err).toBe(0);
    expect(ls.out).toBe(readFileSync(join(GOLDEN, 'xfs', 'virt-ls__xfs-v4__lR.out'), 'utf8'));
    const fish = await runCli(['fish', '--ro', '-a', 'fixtures/out/xfs-v4.img', '-a', 'fixtures/out/xfs-v5.img', ...GUESTFISH_SCRIPT]);
    expect(fish.status, fish.err).toBe(0);
    expect(fish.out).toBe(readFileSync(join(GOLDEN, 'xfs', 'guestfish__xfs-v4_xfs-v5.out'), 'utf8'));
  });

  it.skipIf(!haveQemu)('inspect on the Fedora guest prints on wasm what it prints on the appliance', async () => {
    const img = fixture('fedora-xfs.img');
    const w = await runCli(['inspect', '-v', '-a', img]);
    expect(w.status, w.err).toBe(0);
    expect(w.err).toMatch(/^backend: wasm /m);
    const a = await runCli(['inspect', '--backend=appliance', '-a', img], { timeoutMs: 120_000 });
    expect(a.status, a.err).toBe(0);
    expect(w.out).toContain('<hostname>fedora-xfs.example.com</hostname>');
    expect(w.out).toBe(a.out);
  }, 150_000);
});
