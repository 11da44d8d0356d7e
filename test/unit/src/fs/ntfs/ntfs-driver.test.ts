import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DT_DIR, DT_LNK, DT_REG, FsError, type FsDriver, type SyncDevice } from '../../../../../src/fs/fs-driver.js';
import { closeAllQuietly, errno, FileDevice, fsErrorOf, hostToolEnv, makeTempDir, patchFile, resolve, runTool, text } from '../../../../helpers/host-tools.js';
import { loadNtfsModule, ntfsSetDosName, ntfsSetReparseData, openNtfs, type NtfsModule } from '../../../../../src/fs/ntfs/ntfs-driver.js';

const env = hostToolEnv();
const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000;

let tmp: string;
let mod: NtfsModule;
const devices: FileDevice[] = [];

const sh = (cmd: string, args: string[]) => runTool(env, cmd, args);

function shBuf(cmd: string, args: string[]): Buffer {
  return execFileSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
}

let imgSeq = 0;
/** A fresh NTFS image (sparse file + mkntfs, no mounting). */
function mkimg(sizeMiB: number, label = 'gk'): string {
  const img = join(tmp, `img${++imgSeq}.img`);
  writeFileSync(img, '');
  execFileSync('truncate', ['-s', `${sizeMiB}M`, img]);
  sh('mkntfs', ['-F', '-q', '-f', '-L', label, img]);
  return img;
}

/**
 * The host's checks: `ntfsfix -n` (MFT/mirror/boot sector) and
 * `ntfsresize -i -f`, which walks every MFT record and checks the cluster
 * accounting against $Bitmap (ntfsfix alone misses a wrong bitmap).
 */
function ntfsfixClean(img: string): void {
  const r = spawnSync('ntfsfix', ['-n', img], { env, encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  expect(r.status, out).toBe(0);
  expect(out).toMatch(/processed successfully/);
  expect(out).not.toMatch(/error|corrupt|inconsisten|fail/i);
  const r2 = spawnSync('ntfsresize', ['-i', '-f', img], { env, encoding: 'utf8' });
  const out2 = `${r2.stdout}${r2.stderr}`;
  expect(r2.status, out2).toBe(0);
  expect(out2).toMatch(/Accounting clusters/);
  expect(out2).not.toMatch(/error|inconsisten|fail|mismatch/i);
}

/** Names in a directory as the host's ntfsls shows them (default options). */
function ntfsls(img: string, path = '/'): string[] {
  return sh('ntfsls', ['-p', path, img]).split('\n').filter((l) => l !== '' && l !== '.' && l !== '..').sort();
}

function open(img: string, readOnly: boolean, opts: { caseSensitive?: boolean } = {}, m: NtfsModule = mod): FsDriver {
  const dev = new FileDevice(img, readOnly);
  devices.push(dev);
  return openNtfs(m, dev, { readOnly, ...opts });
}

const bytes = (s: string) => new TextEncoder().encode(s);
const names = (fs: FsDriver, dir: number) => fs.readdir(dir).map((e) => e.name).sort();

beforeAll(async () => {
  tmp = makeTempDir('gk-ntfs-');
  mod = await loadNtfsModule();
});

afterAll(() => {
  closeAllQuietly(devices);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('ntfs driver: reading', () => {
  it('an empty volume: root, statfs and readdir as ntfs-3g shows them', () => {
    const img = mkimg(16, 'empty');
    const fs = open(img, true);
    expect(fs.type).toBe('ntfs');
    expect(fs.rootIno).toBe(5);
    const root = fs.getattr(5);
    expect(root.mode).toBe(S_IFDIR | 0o777);
    expect(root.nlink).toBe(1);
    expect(root.uid).toBe(0);
    // no '.', '..', $MFT ...: the host's ntfsls shows nothing either
    expect(fs.readdir(5)).toEqual([]);
    expect(ntfsls(img)).toEqual([]);
    // metadata files can still be looked up by name, like on ntfs-3g
    expect(fs.lookup(5, '$MFT')).toBe(0);
    const info = sh('ntfsinfo', ['-m', img]);
    const st = fs.statfs();
    expect(st.bsize).toBe(Number(/Cluster Size: (\d+)/.exec(info)![1]));
    expect(st.blocks).toBe(Number(/Volume Size in Clusters: (\d+)/.exec(info)![1]));
    expect(st.bfree).toBeGreaterThan(0);
    expect(st.bfree).toBeLessThan(st.blocks);
    expect(st.files).toBeGreaterThan(st.ffree);
    expect(st.namemax).toBe(255);
    expect(st.flag & 1).toBe(1); // ST_RDONLY
    expect(errno(() => fs.lookup(5, 'missing'))).toBe('ENOENT');
    expect(errno(() => fs.getattr(123456))).toMatch(/^E/);
    fs.close();
  });

  it('reads files copied in by the host (ntfscp), nested and UTF-8 named', () => {
    const img = mkimg(16);
    const host = join(tmp, 'hostfile.txt');
    writeFileSync(host, 'from the host\n');
    sh('ntfscp', ['-q', img, host, '/Host File.TXT']);
    const fs = open(img, true);
    expect(names(fs, 5)).toEqual(['Host File.TXT']);
    const ino = fs.lookup(5, 'host file.txt');
    expect(text(fs.read(ino, 0, 100))).toBe('from the host\n');
    expect(text(fs.read(ino, 5, 3))).toBe('the');
    expect(fs.read(ino, 1000, 10).length).toBe(0);
    const a = fs.getattr(ino);
    expect(a.mode).toBe(S_IFREG | 0o777);
    expect(a.size).toBe(14);
    expect(a.nlink).toBe(1);
    expect(errno(() => fs.read(5, 0, 10))).toBe('EISDIR');
    fs.close();
  });

  it('reads a 200 MiB file fast', () => {
    const img = mkimg(300);
    const host = join(tmp, 'big.bin');
    const size = 200 * 1024 * 1024;
    const want = createHash('sha256');
    {
      // a distinct 32-bit value in every word: catches misplaced blocks
      const words = new Uint32Array(size / 4);
      for (let i = 0; i < words.length; i++) words[i] = Math.imul(i, 2654435761) >>> 0;
      const buf = Buffer.from(words.buffer);
      writeFileSync(host, buf);
      want.update(buf);
    }
    sh('ntfscp', ['-q', img, host, '/big.bin']);
    rmSync(host);
    const fs = open(img, true);
    const ino = fs.lookup(5, 'BIG.BIN');
    expect(fs.getattr(ino).size).toBe(size);
    const got = createHash('sha256');
    const chunk = 8 * 1024 * 1024;
    let ms = 0;
    let total = 0;
    for (let off = 0; off < size; off += chunk) {
      const t0 = performance.now();
      const b = fs.read(ino, off, chunk);
      ms += performance.now() - t0;
      total += b.length;
      got.update(b);
    }
    const secs = ms / 1000;
    console.log(`ntfs: read 200 MiB in ${secs.toFixed(2)} s = ${(200 / secs).toFixed(0)} MiB/s (8 MiB reads)`);
    expect(total).toBe(size);
    expect(got.digest('hex')).toBe(want.digest('hex'));
    // one big read too
    const t1 = performance.now();
    const all = fs.read(ino, 0, size);
    const secs1 = (performance.now() - t1) / 1000;
    console.log(`ntfs: read 200 MiB in one call: ${secs1.toFixed(2)} s = ${(200 / secs1).toFixed(0)} MiB/s`);
    expect(all.length).toBe(size);
    fs.close();

    // and writes: 64 MiB in 8 MiB calls into a new file
    const rw = open(img, false);
    const w = rw.create(5, 'written.bin', 0o644, 0, 0);
    const t2 = performance.now();
    for (let off = 0; off < 64 * 1024 * 1024; off += chunk) rw.write(w, off, all.subarray(off, off + chunk));
    rw.flush();
    const secs2 = (performance.now() - t2) / 1000;
    console.log(`ntfs: wrote 64 MiB in ${secs2.toFixed(2)} s = ${(64 / secs2).toFixed(0)} MiB/s (8 MiB writes)`);
    const back = rw.read(w, 0, 64 * 1024 * 1024);
    expect(Buffer.from(back).equals(Buffer.from(all.subarray(0, 64 * 1024 * 1024)))).toBe(true);
    rw.close();
    ntfsfixClean(img);
  });
});

describe('ntfs driver: writing', () => {
  it('builds a tree the host tools see, and ntfsfix -n finds nothing', () => {
    const img = mkimg(16);
    let fs = open(img, false);
    const a = fs.mkdir(5, 'a', 0o755, 0, 0);
    const b = fs.mkdir(a, 'b', 0o755, 0, 0);
    const c = fs.mkdir(b, 'c', 0o755, 0, 0);
    const f1 = fs.create(c, 'deep.txt', 0o644, 0, 0);
    fs.write(f1, 0, bytes('deep data\n'));
    const u = fs.mkdir(5, '日本語', 0o755, 0, 0);
    const f2 = fs.create(u, 'café é.txt', 0o644, 0, 0);
    fs.write(f2, 0, bytes('unicode ✓\n'));
    expect(fs.getattr(a).mode & S_IFMT).toBe(S_IFDIR);
    expect(fs.readdir(5).map((e) => [e.name, e.type]).sort()).toEqual([['a', DT_DIR], ['日本語', DT_DIR]]);
    expect(fs.readdir(u)).toEqual([{ name: 'café é.txt', ino: f2, type: DT_REG }]);
    fs.close();

    ntfsfixClean(img);
    expect(ntfsls(img)).toEqual(['a', '日本語']);
    expect(ntfsls(img, '/a/b/c')).toEqual(['deep.txt']);
    expect(ntfsls(img, '/日本語')).toEqual(['café é.txt']);
    expect(sh('ntfscat', [img, '/a/b/c/deep.txt'])).toBe('deep data\n');
    expect(sh('ntfscat', [img, '/日本語/café é.txt'])).toBe('unicode ✓\n');
    expect(sh('ntfsinfo', ['-F', '/a/b/c/deep.txt', img])).toMatch(/Number of Hard Links:\s+1/);

    fs = open(img, true);
    expect(resolve(fs, '/a/b/c/deep.txt')).toBe(f1);
    expect(resolve(fs, '/A/B/C/DEEP.TXT')).toBe(f1);
    expect(resolve(fs, '/日本語/CAFÉ É.TXT')).toBe(f2); // upcase table covers é
    expect(fs.lookup(c, '..')).toBe(b);
    expect(fs.lookup(c, '.')).toBe(c);
    expect(fs.lookup(5, '..')).toBe(5);
    fs.close();
  });

  it('case rules: case-insensitive lookup, exact match preferred, EEXIST in another case', () => {
    const img = mkimg(16);
    let fs = open(img, false, { caseSensitive: true });
    const lower = fs.create(5, 'foo', 0o644, 0, 0);
    const upper = fs.create(5, 'FOO', 0o644, 0, 0); // allowed when case-sensitive
    expect(errno(() => fs.lookup(5, 'Foo'))).toBe('ENOENT');
    expect(errno(() => fs.create(5, 'foo', 0o644, 0, 0))).toBe('EEXIST');
    fs.close();
    ntfsfixClean(img);
    expect(ntfsls(img)).toEqual(['FOO', 'foo']);

    fs = open(img, false);
    expect(fs.lookup(5, 'foo')).toBe(lower);
    expect(fs.lookup(5, 'FOO')).toBe(upper);
    expect([lower, upper]).toContain(fs.lookup(5, 'Foo'));
    expect(errno(() => fs.create(5, 'fOO', 0o644, 0, 0))).toBe('EEXIST');
    expect(errno(() => fs.mkdir(5, 'fOo', 0o755, 0, 0))).toBe('EEXIST');
    const d = fs.mkdir(5, 'Dir', 0o755, 0, 0);
    expect(errno(() => fs.symlink(5, 'DIR', 'x', 0, 0))).toBe('EEXIST');
    expect(errno(() => fs.link(lower, 5, 'dir'))).toBe('EEXIST');
    // unlink by another case removes the one found
    fs.unlink(5, 'FOO');
    expect(names(fs, 5)).toEqual(['Dir', 'foo']);
    fs.unlink(5, 'FOO');
    expect(names(fs, 5)).toEqual(['Dir']);
    // a rename that only changes case
    fs.rename(5, 'dir', 5, 'DIR');
    expect(fs.readdir(5)).toEqual([{ name: 'DIR', ino: d, type: DT_DIR }]);
    fs.close();
    ntfsfixClean(img);
    expect(ntfsls(img)).toEqual(['DIR']);
  });

  it('writes, overwrites, truncates, deletes and renames; the host agrees', () => {
    const img = mkimg(32);
    let fs = open(img, false);
    const docs = fs.mkdir(5, 'Docs', 0o755, 0, 0);
    const f = fs.create(docs, 'a.txt', 0o644, 0, 0);
    expect(fs.getattr(f).size).toBe(0);
    fs.write(f, 0, bytes('hello world'));
    fs.write(f, 6, bytes('WORLD!'));
    expect(text(fs.read(f, 0, 100))).toBe('hello WORLD!');
    // sparse extension and a large non-resident write
    const big = new Uint8Array(3 * 1024 * 1024 + 123);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const g = fs.create(docs, 'big.dat', 0o644, 0, 0);
    fs.write(g, 0, big);
    fs.write(g, 10 * 1024 * 1024, bytes('tail'));
    expect(fs.getattr(g).size).toBe(10 * 1024 * 1024 + 4);
    expect(fs.read(g, 5 * 1024 * 1024, 16)).toEqual(new Uint8Array(16));
    expect(Buffer.from(fs.read(g, 0, big.length)).equals(Buffer.from(big))).toBe(true);
    // truncate: shrink, grow (zeros), to zero
    fs.truncate(f, 5);
    expect(text(fs.read(f, 0, 100))).toBe('hello');
    fs.truncate(f, 8);
    expect(fs.read(f, 0, 100)).toEqual(new Uint8Array([104, 101, 108, 108, 111, 0, 0, 0]));
    fs.truncate(g, 2 * 1024 * 1024);
    expect(fs.getattr(g).size).toBe(2 * 1024 * 1024);
    const before = fs.statfs().bfree;
    // deletes free the space
    const h = fs.create(5, 'tmp.bin', 0o644, 0, 0);
    fs.write(h, 0, new Uint8Array(4 * 1024 * 1024).fill(1));
    expect(fs.statfs().bfree).toBeLessThan(before - 1000);
    fs.unlink(5, 'tmp.bin');
    expect(fs.statfs().bfree).toBe(before);
    expect(errno(() => fs.getattr(h))).toBe('ENOENT');
    // renames: within a dir, across dirs, over an existing file, a directory
    fs.rename(docs, 'a.txt', docs, 'b.txt');
    const other = fs.mkdir(5, 'Other', 0o755, 0, 0);
    fs.rename(docs, 'b.txt', other, 'c.txt');
    expect(fs.lookup(other, 'c.txt')).toBe(f);
    const victim = fs.create(other, 'victim', 0o644, 0, 0);
    fs.write(victim, 0, bytes('old'));
    fs.rename(other, 'c.txt', other, 'VICTIM');
    expect(fs.lookup(other, 'victim')).toBe(f);
    expect(names(fs, other)).toEqual(['VICTIM']);
    expect(errno(() => fs.getattr(victim))).toBe('ENOENT');
    fs.rename(5, 'Docs', other, 'Docs2');
    expect(resolve(fs, '/Other/Docs2/big.dat')).toBe(g);
    expect(fs.lookup(docs, '..')).toBe(other);
    expect(errno(() => fs.rename(5, 'Other', docs, 'loop'))).toBe('EINVAL');
    // directory over an empty directory; not over a non-empty one
    const e1 = fs.mkdir(5, 'e1', 0o755, 0, 0);
    fs.mkdir(5, 'e2', 0o755, 0, 0);
    fs.rename(5, 'e1', 5, 'e2');
    expect(fs.lookup(5, 'e2')).toBe(e1);
    expect(errno(() => fs.rename(5, 'e2', 5, 'Other'))).toBe('ENOTEMPTY');
    expect(errno(() => fs.rename(5, 'e2', other, 'VICTIM'))).toBe('ENOTDIR');
    expect(errno(() => fs.rename(other, 'VICTIM', 5, 'e2'))).toBe('EISDIR');
    // unlink/rmdir rules
    expect(errno(() => fs.rmdir(5, 'Other'))).toBe('ENOTEMPTY');
    expect(errno(() => fs.unlink(5, 'Other'))).toBe('EISDIR');
    expect(errno(() => fs.rmdir(other, 'VICTIM'))).toBe('ENOTDIR');
    expect(errno(() => fs.unlink(5, 'nothing'))).toBe('ENOENT');
    expect(errno(() => fs.unlink(5, '$MFT'))).toBe('EPERM');
    fs.rmdir(5, 'e2');
    fs.flush();
    fs.close();

    ntfsfixClean(img);
    expect(ntfsls(img)).toEqual(['Other']);
    expect(ntfsls(img, '/Other')).toEqual(['Docs2', 'VICTIM']);
    expect(ntfsls(img, '/Other/Docs2')).toEqual(['big.dat']);
    expect(sh('ntfscat', [img, '/Other/VICTIM'])).toBe('hello\0\0\0');
    const hostBig = shBuf('ntfscat', [img, '/Other/Docs2/big.dat']);
    expect(hostBig.length).toBe(2 * 1024 * 1024);
    expect(hostBig.equals(Buffer.from(big.subarray(0, 2 * 1024 * 1024)))).toBe(true);

    // and the other way: after a reopen everything reads back
    fs = open(img, true);
    expect(text(fs.read(resolve(fs, '/Other/victim'), 0, 100))).toBe('hello\0\0\0');
    fs.close();
  });

  it('hard links, symlinks (Interix, as ntfs-3g makes them), times, chmod ignored', () => {
    const img = mkimg(16);
    let fs = open(img, false);
    const f = fs.create(5, 'file', 0o644, 0, 0);
    fs.write(f, 0, bytes('data'));
    fs.link(f, 5, 'link2');
    expect(fs.getattr(f).nlink).toBe(2);
    expect(fs.lookup(5, 'link2')).toBe(f);
    const d = fs.mkdir(5, 'd', 0o755, 0, 0);
    expect(errno(() => fs.link(d, 5, 'dlink'))).toBe('EPERM');
    const s = fs.symlink(5, 'sym', '../some/where', 0, 0);
    expect(fs.getattr(s).mode).toBe(S_IFLNK | 0o777);
    expect(fs.getattr(s).size).toBe('../some/where'.length);
    expect(fs.readlink(s)).toBe('../some/where');
    expect(fs.readdir(5).find((e) => e.name === 'sym')?.type).toBe(DT_LNK);
    expect(errno(() => fs.readlink(f))).toBe('EINVAL');
    // times with 100 ns precision
    fs.setattr(f, { mtime: { sec: 1_600_000_000, nsec: 123_456_700 }, atime: { sec: 1_000_000_000, nsec: 0 } });
    let a = fs.getattr(f);
    expect(a.mtime).toEqual({ sec: 1_600_000_000, nsec: 123_456_700 });
    expect(a.atime).toEqual({ sec: 1_000_000_000, nsec: 0 });
    // before 1970 too
    fs.setattr(f, { mtime: { sec: -86_400, nsec: 500 } });
    expect(fs.getattr(f).mtime).toEqual({ sec: -86_400, nsec: 500 });
    fs.setattr(f, { mtime: { sec: 1_600_000_000, nsec: 123_456_700 } });
    // chmod/chown: accepted, nothing changes (ntfs-3g's "silent")
    fs.setattr(f, { mode: 0o600, uid: 1000, gid: 1000 });
    a = fs.getattr(f);
    expect(a.mode).toBe(S_IFREG | 0o777);
    expect(a.uid).toBe(0);
    fs.unlink(5, 'file');
    expect(fs.getattr(f).nlink).toBe(1);
    fs.close();

    ntfsfixClean(img);
    expect(ntfsls(img)).toEqual(['d', 'link2', 'sym']);
    expect(sh('ntfscat', [img, '/link2'])).toBe('data');
    expect(sh('ntfsinfo', ['-F', '/link2', img])).toMatch(/File Altered Time:\s+Sun Sep 13 12:26:40 2020/);
    fs = open(img, true);
    expect(fs.readlink(fs.lookup(5, 'sym'))).toBe('../some/where');
    expect(fs.getattr(fs.lookup(5, 'link2')).mtime).toEqual({ sec: 1_600_000_000, nsec: 123_456_700 });
    fs.close();
  });

  it('junctions and Windows symlinks read as ntfs-3g translates them', () => {
    const img = mkimg(16);
    const fs = open(img, false);
    const win = fs.mkdir(5, 'Windows', 0o755, 0, 0);
    const sys32 = fs.mkdir(win, 'System32', 0o755, 0, 0);
    fs.create(sys32, 'kernel32.dll', 0o644, 0, 0);
    const utf16 = (s: string) => Buffer.from(s, 'utf16le');
    const reparse = (tag: number, body: Buffer) => {
      const hdr = Buffer.alloc(8);
      hdr.writeUInt32LE(tag, 0);
      hdr.writeUInt16LE(body.length, 4);
      return new Uint8Array(Buffer.concat([hdr, body]));
    };
    const junction = (target: string) => {
      const subst = utf16(target), print = utf16(target.replace(/^\\\?\?\\/, ''));
      const h = Buffer.alloc(8);
      h.writeUInt16LE(0, 0);
      h.writeUInt16LE(subst.length, 2);
      h.writeUInt16LE(subst.length + 2, 4);
      h.writeUInt16LE(print.length, 6);
      return reparse(0xa0000003, Buffer.concat([h, subst, Buffer.alloc(2), print, Buffer.alloc(2)]));
    };
    const winlink = (target: string, relative: boolean) => {
      const subst = utf16(target);
      const h = Buffer.alloc(12);
      h.writeUInt16LE(0, 0);
      h.writeUInt16LE(subst.length, 2);
      h.writeUInt16LE(subst.length, 4);
      h.writeUInt16LE(subst.length, 6);
      h.writeUInt32LE(relative ? 1 : 0, 8);
      return reparse(0xa000000c, Buffer.concat([h, subst, subst]));
    };
    // a junction "Docs" -> C:\WINDOWS\system32 (case fixed from the disk)
    const j = fs.mkdir(5, 'Docs', 0o755, 0, 0);
    ntfsSetReparseData(fs, j, junction('\\??\\C:\\WINDOWS\\system32'));
    // a junction to something not on this volume
    const j2 = fs.mkdir(5, 'Elsewhere', 0o755, 0, 0);
    ntfsSetReparseData(fs, j2, junction('\\??\\D:\\data'));
    // Windows symlinks: relative, absolute, full
    const s1 = fs.create(sys32, 'rel.lnk', 0o644, 0, 0);
    ntfsSetReparseData(fs, s1, winlink('kernel32.dll', true));
    const s2 = fs.create(5, 'abs.lnk', 0o644, 0, 0);
    ntfsSetReparseData(fs, s2, winlink('\\windows\\system32\\KERNEL32.DLL', true));
    const s3 = fs.create(5, 'full.lnk', 0o644, 0, 0);
    ntfsSetReparseData(fs, s3, winlink('\\??\\C:\\Windows\\System32\\kernel32.dll', false));
    expect(fs.getattr(j).mode).toBe(S_IFLNK | 0o777);
    expect(fs.readlink(j)).toBe('/Windows/System32');
    expect(fs.getattr(j).size).toBe('/Windows/System32'.length);
    expect(fs.readlink(j2)).toBe('/.NTFS-3G/D:/data');
    expect(fs.readlink(s1)).toBe('kernel32.dll');
    expect(fs.readlink(s2)).toBe('/Windows/System32/kernel32.dll');
    expect(fs.readlink(s3)).toBe('/Windows/System32/kernel32.dll');
    const types = Object.fromEntries(fs.readdir(5).map((e) => [e.name, e.type]));
    expect(types).toEqual({ Windows: DT_DIR, Docs: DT_LNK, Elsewhere: DT_LNK, 'abs.lnk': DT_LNK, 'full.lnk': DT_LNK });
    expect(errno(() => fs.read(s1, 0, 10))).toBe('EINVAL');
    expect(errno(() => fs.readdir(j))).toBe('ENOTDIR');
    expect(errno(() => fs.create(j, 'x', 0o644, 0, 0))).toBe('ENOTDIR');
    // junctions and links are removed like symlinks
    expect(errno(() => fs.rmdir(5, 'Elsewhere'))).toBe('ENOTDIR');
    fs.unlink(5, 'abs.lnk');
    fs.unlink(5, 'Elsewhere');
    fs.close();
    ntfsfixClean(img);
    expect(ntfsls(img)).toEqual(['Docs', 'Windows', 'full.lnk']);
  });

  it('DOS 8.3 names (as Windows writes them): hidden in readdir, usable in lookup', () => {
    const img = mkimg(16);
    let fs = open(img, false);
    const f = fs.create(5, 'Long File Name.txt', 0o644, 0, 0);
    fs.write(f, 0, bytes('long'));
    const d = fs.mkdir(5, 'Program Files', 0o755, 0, 0);
    ntfsSetDosName(fs, 5, 'long file name.txt', 'LONGFI~1.TXT');
    ntfsSetDosName(fs, 5, 'Program Files', 'PROGRA~1');
    expect(fs.readdir(5).map((e) => e.name).sort()).toEqual(['Long File Name.txt', 'Program Files']);
    expect(fs.lookup(5, 'PROGRA~1')).toBe(d);
    expect(fs.lookup(5, 'longfi~1.txt')).toBe(f);
    expect(fs.getattr(f).nlink).toBe(2); // the MFT link count counts the DOS name (as ntfs-3g shows)
    fs.create(d, 'x', 0o644, 0, 0);
    fs.rename(5, 'Long File Name.txt', d, 'moved.txt');
    expect(errno(() => fs.lookup(5, 'LONGFI~1.TXT'))).toBe('ENOENT');
    expect(fs.getattr(f).nlink).toBe(1);
    fs.close();
    ntfsfixClean(img);
    expect(ntfsls(img)).toEqual(['Program Files']);
    expect(ntfsls(img, '/Program Files')).toEqual(['moved.txt', 'x']);
    fs = open(img, false);
    fs.unlink(fs.lookup(5, 'progra~1'), 'X');
    fs.unlink(fs.lookup(5, 'progra~1'), 'moved.txt');
    fs.rmdir(5, 'PROGRA~1'); // by its DOS name: both names go
    expect(fs.readdir(5)).toEqual([]);
    fs.close();
    ntfsfixClean(img);
    expect(sh('ntfsls', ['-a', img]).split('\n').filter((l) => l && !l.startsWith('.'))).toEqual([]);
  });

  it('a 10,000-entry directory', () => {
    const img = mkimg(64);
    let fs = open(img, false);
    const d = fs.mkdir(5, 'many', 0o755, 0, 0);
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) fs.create(d, `file-${String(i).padStart(5, '0')}.txt`, 0o644, 0, 0);
    const t1 = performance.now();
    fs.close();
    fs = open(img, true);
    const t2 = performance.now();
    const list = fs.readdir(d);
    const t3 = performance.now();
    console.log(`ntfs: 10,000 creates ${((t1 - t0) / 1000).toFixed(2)} s, readdir ${(t3 - t2).toFixed(0)} ms`);
    expect(list.length).toBe(10_000);
    expect(new Set(list.map((e) => e.name)).size).toBe(10_000);
    expect(list.every((e) => e.type === DT_REG)).toBe(true);
    expect(fs.lookup(d, 'FILE-09999.TXT')).toBe(list.find((e) => e.name === 'file-09999.txt')!.ino);
    fs.close();
    ntfsfixClean(img);
    expect(ntfsls(img, '/many').length).toBe(10_000);
  });
});

describe('ntfs driver: resources', () => {
  it('no heap growth over many operations; two volumes in one module', () => {
    const img1 = mkimg(16), img2 = mkimg(16);
    const a = open(img1, false), b = open(img2, false);
    const da = a.mkdir(5, 'A', 0o755, 0, 0);
    const db = b.mkdir(5, 'B', 0o755, 0, 0);
    const round = (i: number) => {
      const f = a.create(da, `f${i}`, 0o644, 0, 0);
      a.write(f, 0, new Uint8Array(3000).fill(i & 0xff));
      a.read(f, 0, 5000);
      a.getattr(f);
      a.lookup(da, `F${i}`);
      a.rename(da, `f${i}`, da, `g${i}`);
      a.readdir(da);
      a.unlink(da, `g${i}`);
      const g = b.create(db, `x${i}`, 0o644, 0, 0);
      b.truncate(g, 10_000);
      b.setattr(g, { mtime: { sec: i, nsec: 0 } });
      b.symlink(db, `s${i}`, 'x', 0, 0);
      b.readlink(b.lookup(db, `s${i}`));
      b.unlink(db, `s${i}`);
      b.unlink(db, `x${i}`);
      b.statfs();
    };
    for (let i = 0; i < 300; i++) round(i);
    const before = mod.heapUsed();
    for (let i = 300; i < 1300; i++) round(i);
    const grew = mod.heapUsed() - before;
    console.log(`ntfs: heap growth over 1000 rounds: ${grew} bytes`);
    expect(grew).toBeLessThan(64 * 1024);
    expect(a.readdir(da)).toEqual([]);
    expect(b.readdir(db)).toEqual([]);
    a.close();
    b.close();
    ntfsfixClean(img1);
    ntfsfixClean(img2);
    expect(ntfsls(img1)).toEqual(['A']);
    expect(ntfsls(img2)).toEqual(['B']);
  });
});

describe('ntfs driver: errors', () => {
  it('EROFS when read-only; nothing written', () => {
    const img = mkimg(16);
    let fs = open(img, false);
    const f = fs.create(5, 'f', 0o644, 0, 0);
    fs.close();
    const before = createHash('sha256').update(shBuf('cat', [img])).digest('hex');
    fs = open(img, true);
    expect(fs.readOnly).toBe(true);
    expect(errno(() => fs.create(5, 'g', 0o644, 0, 0))).toBe('EROFS');
    expect(errno(() => fs.mkdir(5, 'g', 0o755, 0, 0))).toBe('EROFS');
    expect(errno(() => fs.write(f, 0, bytes('x')))).toBe('EROFS');
    expect(errno(() => fs.truncate(f, 0))).toBe('EROFS');
    expect(errno(() => fs.unlink(5, 'f'))).toBe('EROFS');
    expect(errno(() => fs.rename(5, 'f', 5, 'g'))).toBe('EROFS');
    expect(errno(() => fs.setattr(f, { mode: 0o600 }))).toBe('EROFS');
    expect(errno(() => fs.symlink(5, 's', 't', 0, 0))).toBe('EROFS');
    fs.close();
    expect(createHash('sha256').update(shBuf('cat', [img])).digest('hex')).toBe(before);
    // a read-only device cannot be opened read-write
    const dev = new FileDevice(img, true);
    devices.push(dev);
    expect(errno(() => openNtfs(mod, dev, { readOnly: false }))).toBe('EROFS');
  });

  it('a hibernated volume: read-only is fine, read-write is refused', () => {
    const img = mkimg(16);
    const hib = Buffer.alloc(8192);
    hib.write('hibr', 0);
    const host = join(tmp, 'hiberfil.sys');
    writeFileSync(host, hib);
    sh('ntfscp', ['-q', img, host, '/hiberfil.sys']);
    const err = fsErrorOf(() => open(img, false));
    expect(err.errno).toBe('EROFS');
    expect(err.message).toMatch(/hibernated/);
    const fs = open(img, true);
    expect(names(fs, 5)).toEqual(['hiberfil.sys']);
    fs.close();
  });

  it('a corrupt boot sector gives a clean FsError', () => {
    const img = mkimg(16);
    patchFile(img, 3, Buffer.from('XXXXXXXX')); // the "NTFS    " signature
    const err = fsErrorOf(() => open(img, true));
    expect(err.errno).toBe('EINVAL');
    expect(err.message).toMatch(/not an NTFS volume/);
    // garbage everywhere in the boot sector (and its backup)
    const img2 = mkimg(16);
    patchFile(img2, 0, Buffer.alloc(512, 0xa5));
    patchFile(img2, 16 * 1024 * 1024 - 512, Buffer.alloc(512, 0xa5));
    expect(errno(() => open(img2, true))).toBe('EINVAL');
    expect(mod.dead).toBe(false);
  });

  it('corrupt MFT records give clean FsErrors (no crash, no hang)', () => {
    const base = mkimg(16);
    {
      const fs = open(base, false);
      const d = fs.mkdir(5, 'dir', 0o755, 0, 0);
      for (let i = 0; i < 20; i++) fs.write(fs.create(d, `f${i}`, 0o644, 0, 0), 0, new Uint8Array(5000).fill(i));
      fs.close();
    }
    const boot = Buffer.alloc(512);
    const bfd = openSync(base, 'r');
    readSync(bfd, boot, 0, 512, 0);
    closeSync(bfd);
    const cluster = boot.readUInt16LE(11) * boot[13];
    const mftOff = Number(boot.readBigUInt64LE(0x30)) * cluster;
    const mirrOff = Number(boot.readBigUInt64LE(0x38)) * cluster;
    const orig = shBuf('cat', [base]);
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    let failures = 0, successes = 0;
    for (let round = 0; round < 24; round++) {
      const img = join(tmp, `corrupt${round}.img`);
      const buf = Buffer.from(orig);
      if (round === 0) buf.fill(0xee, mftOff, mftOff + 1024); // $MFT's own record
      else if (round === 1) {
        buf.fill(0xee, mftOff, mftOff + 4096); // and the mirror
        buf.fill(0xee, mirrOff, mirrOff + 4096);
      } else if (round === 2) buf.fill(0, mftOff + 5 * 1024, mftOff + 6 * 1024); // root
      else {
        // random bytes in random records (system and user)
        for (let k = 0; k < 40; k++) {
          const rec = Math.floor(rnd() * 90);
          const off = mftOff + rec * 1024 + Math.floor(rnd() * 1024);
          buf[off] = Math.floor(rnd() * 256);
        }
      }
      writeFileSync(img, buf);
      try {
        const fs = open(img, round % 2 === 1);
        try {
          const walk = (dir: number, depth: number) => {
            for (const e of fs.readdir(dir)) {
              try {
                const a = fs.getattr(e.ino);
                if ((a.mode & S_IFMT) === S_IFDIR && depth < 4) walk(e.ino, depth + 1);
                else if ((a.mode & S_IFMT) === S_IFREG) fs.read(e.ino, 0, 100_000);
              } catch (err) {
                if (!(err instanceof FsError)) throw err;
              }
            }
          };
          walk(5, 0);
          if (round % 2 === 0) fs.create(5, `new${round}`, 0o644, 0, 0);
        } catch (err) {
          if (!(err instanceof FsError)) throw err;
          failures++;
        } finally {
          try {
            fs.close();
          } catch (err) {
            if (!(err instanceof FsError)) throw err;
          }
        }
        successes++;
      } catch (err) {
        if (!(err instanceof FsError)) throw err;
        expect(err.errno).toMatch(/^E[A-Z]+$/);
        failures++;
      }
      rmSync(img);
    }
    console.log(`ntfs: corrupt MFT rounds: ${successes} opened, ${failures} clean errors`);
    expect(failures).toBeGreaterThanOrEqual(2);
    expect(mod.dead).toBe(false);
  });

  it('a wasm abort marks the module dead and later calls throw', async () => {
    const m2 = await loadNtfsModule();
    const img = mkimg(16);
    const fs = open(img, true, {}, m2);
    expect(() => m2.invoke(() => m2.em._gk_test_abort())).toThrow(/aborted/);
    expect(m2.dead).toBe(true);
    expect(() => fs.getattr(5)).toThrow(/unusable/);
    fs.close(); // no throw: nothing to release in a dead module
    // the shared module is unaffected
    expect(mod.dead).toBe(false);
    const fs2 = open(img, true);
    expect(fs2.readdir(5)).toEqual([]);
    fs2.close();
  });

  it('device errors become EIO with the cause', () => {
    const img = mkimg(16);
    const host = join(tmp, 'data.bin');
    writeFileSync(host, Buffer.alloc(100_000, 7));
    sh('ntfscp', ['-q', img, host, '/data.bin']);
    const inner = new FileDevice(img, true);
    devices.push(inner);
    let fail = false;
    const dev: SyncDevice = {
      size: inner.size,
      readOnly: true,
      read: (o, b) => {
        if (fail) throw new Error('disk on fire');
        inner.read(o, b);
      },
      write: () => {},
      flush: () => {},
    };
    const fs = openNtfs(mod, dev, { readOnly: true });
    const ino = fs.lookup(5, 'data.bin');
    expect(errno(() => fs.getattr(100_000))).toBe('ENOENT'); // beyond the MFT
    fail = true;
    const err = fsErrorOf(() => fs.read(ino, 0, 100_000));
    expect(err.errno).toBe('EIO');
    expect(err.message).toMatch(/disk on fire/);
    fail = false;
    expect(fs.read(ino, 0, 100_000)).toEqual(new Uint8Array(100_000).fill(7));
    fs.close();
    expect(mod.dead).toBe(false);
  });
});
