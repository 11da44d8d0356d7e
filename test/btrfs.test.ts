/**
 * The in-process btrfs reader (src/fs/btrfs) against the tree it was made from:
 * fixtures/make-btrfs.sh builds btrfs.img with mkfs.btrfs --rootdir (DUP metadata,
 * no-holes, a 100,000-entry directory, hard links, long symlinks, unicode names)
 * from a host tree whose lstat/MD5 manifest (btrfs.json) is the truth, then the
 * appliance adds zlib/LZO/zstd-compressed files, a sparse file past 4 GiB and a
 * preallocated one. Subvolumes, the default subvolume and subvol=/subvolid= are
 * checked on opensuse.img's btrfs root (@, @/home, @/var, @/.snapshots, a nested one);
 * inspection of the Arch Linux btrfs guest through the CLI against virt-inspector's output;
 * RAID0, DUP and SINGLE profiles on small images made at test time.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPRESSED, INLINE_SIZE, PREALLOC, SPARSE, TIMES, compressibleText, type ManifestEntry as Expected } from '../fixtures/btrfs-layout.js';
import { DT_DIR, DT_FIFO, DT_LNK, DT_REG, type FsDriver } from '../src/fs/fs-driver.js';
import { openBtrfs, type BtrfsDriver } from '../src/fs/btrfs/btrfs-driver.js';
import { ITEM } from '../src/fs/btrfs/items.js';
import { crc32c } from '../src/fs/xfs/crc32c.js';
import { GOLDEN, fixture, sha256 } from './helpers/fixtures.js';
import { runCli } from './helpers/cli.js';
import { FileDevice, makeTempDir, pattern } from './helpers/host-tools.js';
import { PatchedDevice } from './helpers/patched-device.js';
import { errOf, md5Of } from './helpers/fs-driver-checks.js';

const IFMT: Record<Expected['type'], number> = { dir: 0o040000, reg: 0o100000, lnk: 0o120000, fifo: 0o010000 };
const DT: Record<Expected['type'], number> = { dir: DT_DIR, reg: DT_REG, lnk: DT_LNK, fifo: DT_FIFO };
/** opensuse.img's btrfs partition (sda2) starts at sector 18432. */
const SUSE_ROOT = { start: 18432 * 512, size: 245760 * 512 };
const SUPER = 0x10000, MIRROR = 0x4000000;

function walk(fs: FsDriver, dir: number, path: string, out: Map<string, { ino: number; type: number }>): void {
  for (const e of fs.readdir(dir)) {
    const p = `${path}/${e.name}`;
    out.set(p, { ino: e.ino, type: e.type });
    if (e.type === DT_DIR) walk(fs, e.ino, p, out);
  }
}

function resolve(fs: FsDriver, path: string): number {
  let ino = fs.rootIno;
  for (const part of path.split('/').filter(Boolean)) ino = fs.lookup(ino, part);
  return ino;
}

/** The compression byte of each EXTENT_DATA item of a file in the mounted subvolume (the fixture must really hold what it claims). */
function extentKinds(fs: BtrfsDriver, path: string): { compression: number; type: number }[] {
  const objectid = resolve(fs, path) % 2 ** 32;
  const { root } = fs.subvolumes.tree(fs.subvolId);
  return fs.reader.items(root, objectid, ITEM.EXTENT_DATA).map(({ data }) => ({ compression: data[16]!, type: data[20]! }));
}

describe('btrfs read by the wasm driver', () => {
  const manifest = JSON.parse(readFileSync(fixture('btrfs.json'), 'utf8')) as Record<string, Expected>;
  let dev: FileDevice;
  let fs: BtrfsDriver;
  const seen = new Map<string, { ino: number; type: number }>();
  beforeAll(() => {
    dev = new FileDevice(fixture('btrfs.img'), true);
    fs = openBtrfs(dev, { readOnly: true });
    walk(fs, fs.rootIno, '', seen);
  });
  afterAll(() => {
    fs.close();
    dev.close();
  });

  it('lists exactly the tree it was made from (plus what the appliance wrote), with d_type', () => {
    const added = [...COMPRESSED.flatMap((c) => [c.path, c.inline]), SPARSE.path, PREALLOC.path];
    expect([...seen.keys()].sort()).toEqual([...Object.keys(manifest), ...added].sort());
    for (const [p, e] of Object.entries(manifest)) expect(seen.get(p)!.type, p).toBe(DT[e.type]);
    expect(fs.readdir(resolve(fs, '/big'))).toHaveLength(100_000);
  });

  it('stats every entry as the host tree (type, mode, owner, size, links, mtime); times with nanoseconds, past 2038', () => {
    for (const [p, e] of Object.entries(manifest)) {
      const a = fs.getattr(seen.get(p)!.ino);
      expect(a.mode, p).toBe(IFMT[e.type] | e.mode);
      expect([a.uid, a.gid, a.nlink], p).toEqual([e.uid, e.gid, e.nlink]);
      if (e.size >= 0) expect(a.size, p).toBe(e.size);
      // mkfs.btrfs 6.2 --rootdir stores whole seconds (btrfs inspect-internal dump-tree shows .0);
      // the appliance's writes moved /compressed's and stamped /times.txt's
      if (p !== '/compressed' && p !== TIMES.path) expect(a.mtime, p).toEqual({ sec: e.mtime.sec, nsec: 0 });
    }
    const t = fs.getattr(resolve(fs, TIMES.path));
    expect([t.atime, t.mtime]).toEqual([TIMES.atime, TIMES.mtime]);
  });

  it('reads every file and link as the host tree (content MD5s, inline and regular extents, symlink targets, hard links)', () => {
    let empty = 0;
    for (const [p, e] of Object.entries(manifest)) {
      const ino = seen.get(p)!.ino;
      if (e.type === 'reg' && e.md5) expect(md5Of(fs, ino, e.size), p).toBe(e.md5);
      // (one empty file in 100: the 100,000 in big/ are alike)
      if (e.type === 'reg' && !e.md5 && empty++ % 100 === 0) expect(fs.read(ino, 0, 100), p).toHaveLength(0);
      if (e.type === 'lnk') expect(fs.readlink(ino), p).toBe(e.target);
    }
    const groups = new Map<number, Set<number>>();
    for (const [p, e] of Object.entries(manifest)) {
      if (e.linkGroup) groups.set(e.linkGroup, (groups.get(e.linkGroup) ?? new Set()).add(seen.get(p)!.ino));
    }
    expect(groups.size).toBe(1);
    for (const inos of groups.values()) expect(inos.size).toBe(1);
    expect(extentKinds(fs, '/inline-max.bin')).toEqual([{ compression: 0, type: 0 }]);
    expect(extentKinds(fs, '/data/small-regular.bin')).toEqual([{ compression: 0, type: 1 }]);
  });

  it('reads zlib, LZO and zstd extents, regular and inline, and reads across extent boundaries', () => {
    for (const c of COMPRESSED) {
      const text = compressibleText(c.size);
      const ino = resolve(fs, c.path);
      expect(Buffer.from(fs.read(ino, 0, c.size)).toString(), c.kind).toBe(text);
      // 128 KiB per compressed extent: a read straddling two
      expect(Buffer.from(fs.read(ino, 131_000, 2_000)).toString(), c.kind).toBe(text.slice(131_000, 133_000));
      const kind = { zlib: 1, lzo: 2, zstd: 3 }[c.kind];
      const kinds = extentKinds(fs, c.path);
      expect(kinds.length, c.kind).toBeGreaterThan(2);
      expect(kinds.every((k) => k.compression === kind && k.type === 1), c.kind).toBe(true);
      expect(Buffer.from(fs.read(resolve(fs, c.inline), 0, INLINE_SIZE)).toString(), c.kind).toBe(compressibleText(INLINE_SIZE));
      expect(extentKinds(fs, c.inline), c.kind).toEqual([{ compression: kind, type: 0 }]);
    }
  });

  it('reads holes (no-holes: no extent at all) as zeroes and data past 4 GiB; preallocated extents as zeroes', () => {
    const sparse = resolve(fs, SPARSE.path);
    expect(fs.getattr(sparse).size).toBe(SPARSE.offset + SPARSE.data.length);
    expect(Buffer.from(fs.read(sparse, SPARSE.offset - 10, 100)).toString()).toBe('\0'.repeat(10) + SPARSE.data);
    expect(fs.read(sparse, 2 ** 32 + 12345, 4096).every((b) => b === 0)).toBe(true);
    expect(fs.getattr(sparse).blocks).toBe(8);
    const pre = resolve(fs, PREALLOC.path);
    expect(fs.getattr(pre).size).toBe(PREALLOC.size);
    expect(fs.read(pre, 0, PREALLOC.size).every((b) => b === 0)).toBe(true);
    expect(extentKinds(fs, PREALLOC.path).every((k) => k.type === 2)).toBe(true);
  });

  it('statfs: btrfs_statfs figures (as the appliance kernel reports them for this image)', () => {
    const expected = JSON.parse(readFileSync(fixture('btrfs-statvfs.json'), 'utf8')) as Record<string, number>;
    const st = fs.statfs();
    expect({ bsize: st.bsize, blocks: st.blocks, bfree: st.bfree, bavail: st.bavail, files: st.files, namemax: st.namemax })
      .toEqual({ bsize: expected.bsize, blocks: expected.blocks, bfree: expected.bfree, bavail: expected.bavail, files: expected.files, namemax: expected.namemax });
  });

  it('refuses every write with EROFS and a read-write open', () => {
    const d: FsDriver = fs, root = fs.rootIno;
    expect(errOf(() => d.write(resolve(d, '/hello.txt'), 0, new Uint8Array(1))).errno).toBe('EROFS');
    expect(errOf(() => d.mkdir(root, 'x', 0o755, 0, 0)).errno).toBe('EROFS');
    expect(errOf(() => d.unlink(root, 'hello.txt')).errno).toBe('EROFS');
    expect(errOf(() => openBtrfs(dev, { readOnly: false })).errno).toBe('EROFS');
    expect(errOf(() => openBtrfs(dev, { readOnly: true, options: 'subvol=nope' })).errno).toBe('ENOENT');
  });

  it('uses the superblock mirror when the primary is corrupt; a corrupt tree block is EUCLEAN naming it', () => {
    const bad = new PatchedDevice(dev, new Map([[SUPER + 0x100, 0xff]]));
    const mirrored = openBtrfs(bad, { readOnly: true });
    expect(mirrored.sb.at).toBe(MIRROR);
    expect(mirrored.readdir(mirrored.rootIno).length).toBe(fs.readdir(fs.rootIno).length);
    const both = new PatchedDevice(dev, new Map([[SUPER + 0x100, 0xff], [MIRROR + 0x100, 0xff]]));
    expect(errOf(() => openBtrfs(both, { readOnly: true })).message).toMatch(/superblock at byte \d+: checksum mismatch/);
    // the root tree's block (DUP metadata: two copies): flip a byte past its header in one copy,
    // and it is read from the other, as the kernel does; in both, it is an error
    const copies = fs.chunks.map(fs.sb.root, 1)[0]!.copies;
    expect(copies).toHaveLength(2);
    const one = openBtrfs(new PatchedDevice(dev, new Map([[copies[0]!.physical + 200, 0x5a]])), { readOnly: true });
    expect(one.readdir(one.rootIno).length).toBe(fs.readdir(fs.rootIno).length);
    const e = errOf(() => openBtrfs(new PatchedDevice(dev, new Map(copies.map((c) => [c.physical + 200, 0x5a]))), { readOnly: true }));
    expect(e.errno).toBe('EUCLEAN');
    expect(e.message).toMatch(/root tree: tree block \d+: checksum mismatch/);
    const notBtrfs = new PatchedDevice(dev, new Map([[SUPER + 0x40, 0], [MIRROR + 0x40, 0]]));
    expect(errOf(() => openBtrfs(notBtrfs, { readOnly: true })).errno).toBe('EINVAL');
  });
});

describe('btrfs subvolumes (opensuse.img)', () => {
  let file: FileDevice;
  let part: PatchedDevice;
  beforeAll(() => {
    file = new FileDevice(fixture('opensuse.img'), true);
    part = new PatchedDevice(file, new Map(), SUSE_ROOT.start, SUSE_ROOT.size);
  });
  afterAll(() => file.close());

  it('mounts the default subvolume (@), lists subvolumes as btrfs-progs does on that mount, and shows nested ones as directories', () => {
    const fs = openBtrfs(part, { readOnly: true });
    expect(fs.subvolId).toBe(256);
    expect(fs.subvolumes.defaultId()).toBe(256);
    expect(fs.subvolumes.list(256).map((v) => [v.id, v.topLevel, v.path])).toEqual([
      [256, 5, '@'], [257, 256, 'home'], [258, 256, 'var'], [259, 256, '.snapshots'], [260, 259, '.snapshots/1/snapshot'],
    ]);
    expect(fs.subvolumes.list().map((v) => v.path)).toEqual(['@', '@/home', '@/var', '@/.snapshots', '@/.snapshots/1/snapshot']);
    const home = resolve(fs, '/home');
    expect(fs.getattr(home).ino).toBe(256); // a subvolume's root directory
    expect(fs.readdir(home).map((e) => e.name)).toEqual(['tux']);
    expect(Buffer.from(fs.read(resolve(fs, '/home/tux/.profile'), 0, 100)).toString()).toMatch(/\S/);
    expect(fs.readdir(resolve(fs, '/.snapshots/1/snapshot'))).toEqual([]);
    expect(Buffer.from(fs.read(resolve(fs, '/etc/hostname'), 0, 100)).toString()).toBe('opensuse-guest\n');
  });

  it('subvol=PATH and subvolid=N choose the subvolume; subvol=/ is the top level', () => {
    for (const options of ['subvol=@/home', 'subvol=/@/home', 'subvolid=257']) {
      const fs = openBtrfs(part, { readOnly: true, options });
      expect(fs.subvolId, options).toBe(257);
      expect(fs.readdir(fs.rootIno).map((e) => e.name), options).toEqual(['tux']);
    }
    const top = openBtrfs(part, { readOnly: true, options: 'subvol=/' });
    expect(top.subvolId).toBe(5);
    expect(top.readdir(top.rootIno).map((e) => e.name)).toEqual(['@']);
    expect(errOf(() => openBtrfs(part, { readOnly: true, options: 'subvolid=999' })).errno).toBe('ENOENT');
  });
});

describe('btrfs guests through the CLI (auto stays on wasm)', () => {
  it('inspects the Arch Linux btrfs guest as virt-inspector does, in process, writing nothing', async () => {
    const image = fixture('archlinux.img');
    const before = sha256(image);
    const r = await runCli(['inspect', '-v', '-a', image], { timeoutMs: 60_000 });
    expect(r.status, r.err).toBe(0);
    expect(r.err).toMatch(/^backend: wasm \(auto: btrfs(, vfat)? (is|are) read in process\)/m);
    expect(r.out).toBe(readFileSync(join(GOLDEN, 'inspect', 'archlinux.xml'), 'utf8'));
    expect(sha256(image)).toBe(before);
  });
});

describe('btrfs data and metadata profiles on one device', () => {
  const tmp = makeTempDir('gk-btrfs-profiles-');
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const data = pattern(3_000_000, 17);
  mkdirSync(join(tmp, 'tree'));
  writeFileSync(join(tmp, 'tree', 'big.bin'), data);
  writeFileSync(join(tmp, 'tree', 'small'), 'small\n');

  // (raid1 and raid10 need two devices: mkfs.btrfs refuses them on one)
  it.each([['raid0', 0x8], ['dup', 0x20], ['single', 0]])('reads a filesystem made with -d %s -m %s', (profile, bit) => {
    const img = join(tmp, `${profile}.img`);
    writeFileSync(img, '');
    truncateSync(img, 300 << 20);
    execFileSync('mkfs.btrfs', ['-q', '-f', '-d', profile, '-m', profile, '-r', join(tmp, 'tree'), img], { stdio: 'ignore' });
    const dev = new FileDevice(img, true);
    try {
      const fs = openBtrfs(dev, { readOnly: true });
      const dataChunks = fs.chunks.all.filter((c) => c.type & 0x1);
      expect(dataChunks.length).toBeGreaterThan(0);
      expect(dataChunks.every((c) => (c.type & 0x28) === bit)).toBe(true);
      expect(Buffer.from(fs.read(resolve(fs, '/big.bin'), 0, data.length)).equals(data)).toBe(true);
      expect(Buffer.from(fs.read(resolve(fs, '/small'), 0, 100)).toString()).toBe('small\n');
    } finally {
      dev.close();
    }
  });
});
