/**
 * guestkit copy-in, copy-out, tar-in and tar-out on the wasm backend, against
 * what virt-copy-in, virt-copy-out, virt-tar-in and virt-tar-out did on the same
 * fixtures (test/golden/image-tools, captured by its capture.sh), plus the safety
 * rules: nothing lands outside the host directory asked for, guest symlinks stay
 * links, a failing write leaves the image byte for byte as it was.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli, type CliResult } from './helpers/cli.js';
import { copyFixture, fixture, scratch, sha256 } from './helpers/fixtures.js';
import { encodeHeader, endOfArchive, paddingFor } from '../src/tar/tar-format.js';
import { guestkitMessage, hostTree, libguestfsMessage, toolGolden } from './helpers/image-tools-golden.js';

const W = ['--backend=wasm'];
const DEBIAN = fixture('debian-efi.img');

function expectSameError(r: CliResult, tool: string, golden: string): void {
  const g = toolGolden(golden);
  expect(r.status, r.err).toBe(g.rc);
  expect(r.out).toBe('');
  expect(r.err.split('\n').filter(Boolean), r.err).toHaveLength(1);
  expect(guestkitMessage(r.err, tool)).toBe(libguestfsMessage(g.err));
}

/** Drops the mtime column (4th) of tree lines: downloaded files get the time of the download. */
const withoutMtime = (tree: string) => tree.split('\n').map((l) => l.split(' ').filter((_, i) => i !== 3).join(' ')).join('\n');

let tmp: ReturnType<typeof scratch>;
beforeAll(() => { tmp = scratch(); });
afterAll(() => tmp.cleanup());

const freshDir = (name: string) => {
  const d = join(tmp.dir, name);
  mkdirSync(d);
  return d;
};

describe('copy-out', () => {
  it('a file: the same file as virt-copy-out', async () => {
    const out = freshDir('co-file');
    const r = await runCli(['copy-out', ...W, '-a', DEBIAN, '/etc/hostname', out]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(withoutMtime(hostTree(out))).toBe(withoutMtime(toolGolden('copy-out__file').tree!));
  });

  it('a directory: the same tree (modes, sizes, times, the symlink as a link) as virt-copy-out', async () => {
    const out = freshDir('co-dir');
    const r = await runCli(['copy-out', ...W, '-a', DEBIAN, '/etc', out]);
    expect(r.status, r.err).toBe(0);
    expect(hostTree(out)).toBe(toolGolden('copy-out__dir').tree);
  });

  it('guest symlinks that point out of the tree (absolute, ../../..) are stored as links, never followed on the host', async () => {
    const parent = freshDir('co-safety');
    const out = join(parent, 'out');
    mkdirSync(out);
    const r = await runCli(['copy-out', ...W, '-a', fixture('ext4.img'), '-m', '/dev/sda', '/home/user', out]);
    expect(r.status, r.err).toBe(0);
    expect(readdirSync(parent)).toEqual(['out']);
    expect(lstatSync(join(out, 'user/docs/link-up')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(out, 'user/hello.txt'), 'utf8')).toBe('hello, world\n');
    const tree = hostTree(out);
    expect(tree).toContain('./user/docs/link-up -> ../../../etc/os-release');
    expect(tree).toContain('./user/link-absolute -> /etc/hostname');
    expect(tree).toContain('./user/dangling -> /nonexistent/target');
    // Hard links stay one file.
    expect(statSync(join(out, 'user/hardlink')).ino).toBe(statSync(join(out, 'user/original')).ino);
  });

  it.each([
    ['copy-out__missing', ['/nope', 'OUT']],
    ['copy-out__dest-missing', ['/etc/hostname', 'nodir']],
    ['copy-out__dest-file', ['/etc/hostname', 'notadir']],
  ])('%s: the same one-line error, nothing written', async (golden, words) => {
    const out = freshDir(`co-${golden}`);
    writeFileSync(join(tmp.dir, 'notadir'), 'x\n');
    const r = await runCli(['copy-out', ...W, '-a', DEBIAN, ...words.map((w) => (w === 'OUT' ? out : w))], { cwd: tmp.dir });
    expectSameError(r, 'copy-out', golden);
    expect(readdirSync(out)).toEqual([]);
    expect(existsSync(join(tmp.dir, 'nodir'))).toBe(false);
  });

  it('too few words: guestfish\'s usage line, exit 1', async () => {
    const r = await runCli(['copy-out', ...W, '-a', DEBIAN]);
    const g = toolGolden('copy-out__no-args');
    expect(r.status).toBe(g.rc);
    expect(r.err).toBe(g.err);
  });

  it('-d (libvirt) is refused in one line', async () => {
    const r = await runCli(['copy-out', ...W, '-d', 'myguest', '/etc', tmp.dir]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^guestkit copy-out: error: libvirt guests \(-d\) are not supported: give the guest's disk images with -a\n$/);
  });
});

/** The host tree capture.sh copies in (same names, modes and times). */
function makeCopyInSource(): string {
  const src = freshDir('ci-src');
  mkdirSync(join(src, 'tree/sub'), { recursive: true });
  writeFileSync(join(src, 'tree/sub/f.txt'), 'hello\n');
  symlinkSync('sub/f.txt', join(src, 'tree/link'));
  chmodSync(join(src, 'tree/sub'), 0o750);
  utimesSync(join(src, 'tree/sub/f.txt'), 1600000000, 1600000000);
  writeFileSync(join(src, 'one.txt'), 'one\n');
  chmodSync(join(src, 'one.txt'), 0o600);
  utimesSync(join(src, 'one.txt'), 1650000000, 1650000000);
  return src;
}

/** virt-ls -lR --time-t lines with the times that depend on when the copy ran masked (atime, ctime; mtime of host-made dirs). */
function maskTimes(listing: string): string {
  return listing.split('\n').map((l) => {
    const f = l.split(/\s+/);
    if (f.length < 6) return l;
    const keepMtime = f[0] === '-'; // files: the source's times; dirs and links: when the test made them
    return [f[0], f[1], f[2], 'A', keepMtime ? f[4] : 'M', 'C', ...f.slice(6)].join(' ');
  }).join('\n');
}

describe('copy-in', () => {
  let img: string;
  let src: string;
  beforeAll(() => {
    img = copyFixture('debian-efi.img', freshDir('ci-img'));
    src = makeCopyInSource();
  });

  it('files and directories land as virt-copy-in puts them (modes, mtimes, owners, the symlink as a link)', async () => {
    const r = await runCli(['copy-in', ...W, '-a', img, 'one.txt', 'tree', '/root'], { cwd: src });
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const ls = await runCli(['ls', ...W, '-a', img, '-lR', '--time-t', '/root']);
    // The owners are the host's (root here, as when the goldens were captured).
    expect(maskTimes(ls.out)).toBe(maskTimes(toolGolden('copy-in__verify').out));
  });

  it.each([
    ['copy-in__dest-missing', ['one.txt', '/nope']],
    ['copy-in__dest-file', ['one.txt', '/etc/hostname']],
    ['copy-in__src-missing', ['in/missing', '/root']],
  ])('%s: the same one-line error, the image unchanged', async (golden, words) => {
    const before = sha256(img);
    const r = await runCli(['copy-in', ...W, '-a', img, ...words], { cwd: src });
    expectSameError(r, 'copy-in', golden);
    expect(sha256(img)).toBe(before);
  });
});

describe('qcow2', () => {
  it('copy-out from debian.qcow2 (--format, -m) leaves it untouched; copy-in into a copy keeps it a clean qcow2', async () => {
    const qcow = fixture('debian.qcow2');
    const before = sha256(qcow);
    const out = freshDir('qcow-out');
    const r = await runCli(['copy-out', ...W, '--format=qcow2', '-a', qcow, '-m', '/dev/sda2', '/etc/hostname', out]);
    expect(r.status, r.err).toBe(0);
    expect(readFileSync(join(out, 'hostname'), 'utf8')).toBe('debian-guest\n');
    expect(sha256(qcow)).toBe(before);
    const copy = copyFixture('debian.qcow2', freshDir('qcow-in'));
    writeFileSync(join(out, 'added.txt'), 'added\n');
    const w = await runCli(['copy-in', ...W, '-a', copy, '-m', '/dev/sda2', join(out, 'added.txt'), '/etc']);
    expect(w.status, w.err).toBe(0);
    expect((await runCli(['cat', ...W, '-a', copy, '-m', '/dev/sda2', '/etc/added.txt'])).out).toBe('added\n');
    expect(execFileSync('qemu-img', ['check', copy], { encoding: 'utf8' })).toMatch(/No errors were found/);
  });
});

describe('tar-out', () => {
  it('the same members, modes, owners and times as virt-tar-out (order aside)', async () => {
    const r = await runCli(['tar-out', ...W, '-a', DEBIAN, '/etc', '-']);
    expect(r.status, r.err).toBe(0);
    const listing = execFileSync('tar', ['-tvf', '-', '--full-time', '--numeric-owner'], { input: r.stdoutBytes, encoding: 'utf8' });
    const sorted = (s: string) => s.split('\n').filter(Boolean).sort();
    expect(sorted(listing)).toEqual(sorted(toolGolden('tar-out__etc').out));
  });

  it('a missing directory: the same error, no file left at the path', async () => {
    const out = join(tmp.dir, 'missing.tar');
    const r = await runCli(['tar-out', ...W, '-a', DEBIAN, '/nope', out]);
    expectSameError(r, 'tar-out', 'tar-out__missing');
    expect(existsSync(out)).toBe(false);
  });

  it('compress:gzip, excludes and long names round-trip through the host tar', async () => {
    const out = join(tmp.dir, 'home.tgz');
    const r = await runCli(['tar-out', ...W, '-a', fixture('ext4.img'), '-m', '/dev/sda', '/home', out, 'compress:gzip', 'excludes:numbers.txt']);
    expect(r.status, r.err).toBe(0);
    const names = execFileSync('tar', ['-tzf', out], { encoding: 'utf8' }).split('\n');
    expect(names).toContain('./user/long-symlink');
    expect(names).toContain('./user/hello.txt');
    expect(names.some((n) => n.includes('numbers.txt'))).toBe(false);
    const verbose = execFileSync('tar', ['-tvzf', out], { encoding: 'utf8' });
    expect(verbose).toContain(`./user/long-symlink -> ${'x'.repeat(100)}`);
    expect(verbose).toMatch(/\.\/user\/(hardlink link to \.\/user\/original|original link to \.\/user\/hardlink)/);
  });
});

describe('tar-in', () => {
  let img: string;
  beforeAll(() => { img = copyFixture('debian-efi.img', freshDir('ti-img')); });

  it('an archive with a ".." member is refused whole: one line, exit 1, the image unchanged', async () => {
    // Made here: GNU tar itself strips "../" when it creates an archive. ok.txt comes first, so a partial unpack would show.
    const tar = join(tmp.dir, 'evil.tar');
    const member = (name: string, body: string) => {
      const data = Buffer.from(body);
      return [...encodeHeader({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: 1700000000 }), data, paddingFor(data.length)];
    };
    const parts = [...member('ok.txt', 'fine\n'), ...member('../evil.txt', 'evil\n')];
    const body = Buffer.concat(parts);
    writeFileSync(tar, Buffer.concat([body, endOfArchive(body.length)]));
    const before = sha256(img);
    const r = await runCli(['tar-in', ...W, '-a', img, tar, '/root']);
    expect(r.status).toBe(1);
    expect(r.err).toBe("guestkit tar-in: error: tar-in: ../evil.txt: Member name contains '..'\n");
    expect(sha256(img)).toBe(before);
    // virt-tar-in (GNU tar in the appliance) says the same of that member, among other lines.
    expect(toolGolden('tar-in__dotdot').err).toContain("tar: ../evil.txt: Member name contains '..'");
  });

  it('a leading "/" stays inside the directory; a member below a symlink the archive made is refused', async () => {
    const file = (name: string, body: string) => {
      const data = Buffer.from(body);
      return [...encodeHeader({ name, type: 'file', mode: 0o640, uid: 0, gid: 0, size: data.length, mtime: 1700000000 }), data, paddingFor(data.length)];
    };
    const archive = (parts: Uint8Array[]) => { const b = Buffer.concat(parts); return Buffer.concat([b, endOfArchive(b.length)]); };
    const abs = join(tmp.dir, 'abs.tar');
    writeFileSync(abs, archive(file('/abs.txt', 'abs\n')));
    const ok = await runCli(['tar-in', ...W, '-a', img, abs, '/home']);
    expect(ok.status, ok.err).toBe(0);
    expect((await runCli(['cat', ...W, '-a', img, '/home/abs.txt'])).out).toBe('abs\n');
    const through = join(tmp.dir, 'through.tar');
    const link = encodeHeader({ name: 'etc-link', type: 'symlink', linkname: '/etc', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 1700000000 });
    writeFileSync(through, archive([...link, ...file('etc-link/hostname', 'owned\n')]));
    const before = sha256(img);
    const r = await runCli(['tar-in', ...W, '-a', img, through, '/home']);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^guestkit tar-in: error: tar-in: etc-link\/hostname: Cannot open: member is below a symbolic link the archive made\n$/);
    expect(sha256(img)).toBe(before);
    expect((await runCli(['cat', ...W, '-a', img, '/etc/hostname'])).out).toBe('debian-efi\n');
  });

  it('not a tar archive, and a missing directory: one line, the image unchanged', async () => {
    const before = sha256(img);
    writeFileSync(join(tmp.dir, 'plain.txt'), 'not a tar\n');
    expectSameError(await runCli(['tar-in', ...W, '-a', img, join(tmp.dir, 'plain.txt'), '/root']), 'tar-in', 'tar-in__not-tar');
    const t = join(tmp.dir, 't.tar');
    execFileSync('tar', ['-C', tmp.dir, '-cf', t, 'plain.txt']);
    expectSameError(await runCli(['tar-in', ...W, '-a', img, t, '/nope']), 'tar-in', 'tar-in__dest-missing');
    expect(sha256(img)).toBe(before);
  });

  it.each(['pax', 'gnu'])('long and UTF-8 names from a %s archive (GNU tar made it)', async (format) => {
    const src = freshDir(`names-${format}`);
    const long = 'l'.repeat(150);
    writeFileSync(join(src, long), 'long\n');
    writeFileSync(join(src, 'ünï 日本.txt'), 'u\n');
    const tar = join(tmp.dir, `names.${format}.tar`);
    execFileSync('tar', ['-C', src, `--format=${format}`, '-cf', tar, '.']);
    const ext4 = copyFixture('ext4.img', freshDir(`names-img-${format}`));
    const r = await runCli(['tar-in', ...W, '-a', ext4, '-m', '/dev/sda', tar, '/tmp']);
    expect(r.status, r.err).toBe(0);
    expect((await runCli(['cat', ...W, '-a', ext4, '-m', '/dev/sda', `/tmp/${long}`])).out).toBe('long\n');
    expect((await runCli(['cat', ...W, '-a', ext4, '-m', '/dev/sda', '/tmp/ünï 日本.txt'])).out).toBe('u\n');
  });

  it('what tar-out packs, tar-in unpacks the same: owners, modes, mtimes, links (through standard input, gzip)', async () => {
    const packed = await runCli(['tar-out', ...W, '-a', fixture('ext4.img'), '-m', '/dev/sda', '/home', '-', 'compress:gzip']);
    expect(packed.status, packed.err).toBe(0);
    execFileSync(process.execPath, [CLI, 'tar-in', ...W, '-a', img, '-', '/root', 'compress:gzip'], { input: packed.stdoutBytes });
    const a = await runCli(['ls', ...W, '-a', fixture('ext4.img'), '-m', '/dev/sda', '-lR', '--time-t', '--uids', '/home']);
    const b = await runCli(['ls', ...W, '-a', img, '-lR', '--time-t', '--uids', '/root']);
    // Without the atime and ctime columns (set when unpacking) and the top directory's own line.
    const norm = (s: string, top: string) => s.split('\n').slice(1).map((l) => l.split(/\s+/).filter((_, i) => i !== 5 && i !== 7).join(' ').replace(` ${top}/`, ' /X/')).join('\n');
    expect(norm(b.out, '/root')).toBe(norm(a.out, '/home'));
    expect(b.out).toContain('/root/user/docs/link-up -> ../../../etc/os-release');
  });
});
