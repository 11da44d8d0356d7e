/**
 * guestkit make-fs (virt-make-fs) end to end on the in-process route: images
 * checked with e2fsck, sfdisk, qemu-img and guestkit's own readers; sizes
 * against what virt-make-fs chose (test/golden/imgtools/make-fs.json).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, lutimesSync, mkdirSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateSize } from '../src/imgtools/make-fs-size.js';
import { haveQemu } from './helpers/backends.js';
import { runCli } from './helpers/cli.js';
import { e2fsck, scratch } from './helpers/fixtures.js';

const tmp = scratch();
const src = join(tmp.dir, 'src');
const isRoot = process.getuid?.() === 0;

function duApparent(dir: string): number {
  return Number(execFileSync('du', ['--apparent-size', '-b', '-s', dir], { encoding: 'utf8' }).split('\t')[0]);
}

beforeAll(() => {
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'hello.txt'), 'hello\n');
  chmodSync(join(src, 'hello.txt'), 0o640);
  if (isRoot) chownSync(join(src, 'hello.txt'), 1000, 1000);
  utimesSync(join(src, 'hello.txt'), 1577934245, 1577934245);
  writeFileSync(join(src, 'sub', 'data.bin'), Buffer.alloc(300000, 7));
  symlinkSync('hello.txt', join(src, 'link'));
  lutimesSync(join(src, 'link'), 1577934245, 1577934245);
});
afterAll(() => tmp.cleanup());

function left(prefix: string): string[] {
  return readdirSync(tmp.dir).filter((n) => n.startsWith(prefix));
}

describe('make-fs', () => {
  it('makes an ext2 image of the estimated size from a directory, keeping owners, modes, times and symlinks', async () => {
    const out = join(tmp.dir, 'ext2.img');
    const r = await runCli(['make-fs', src, out]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(statSync(out).size).toBe(estimateSize(duApparent(src), 'ext2', false, 0));
    expect(e2fsck(out).status).toBe(0);
    const ls = await runCli(['ls', '-a', out, '-m', '/dev/sda', '--time-t', '-lR', '--uids', '/']);
    expect(ls.status).toBe(0);
    // (columns: size, uid, gid, atime, mtime, ctime)
    expect(ls.out).toMatch(new RegExp(`^- 0640 +6 +${isRoot ? '1000 1000' : '\\d+ +\\d+'} +\\d+ 1577934245 \\d+ /hello.txt$`, 'm'));
    expect(ls.out).toMatch(/^l 0777 .* \/link -> hello.txt$/m);
    expect(ls.out).toMatch(/^- 0644 .* 300000 .* \/sub\/data.bin$/m);
    const fss = await runCli(['filesystems', '-a', out, '-l']);
    expect(fss.out).toMatch(/\/dev\/sda +filesystem +ext2 /);
  });

  it('--type=ext4 --size=+1M --label: the estimate plus 1 MiB, labelled', async () => {
    const out = join(tmp.dir, 'ext4.img');
    const r = await runCli(['make-fs', '--type=ext4', '--size=+1M', '--label=DATA', src, out]);
    expect(r.status).toBe(0);
    expect(statSync(out).size).toBe(estimateSize(duApparent(src), 'ext4', false, 0) + 1048576);
    expect(e2fsck(out).status).toBe(0);
    const fss = await runCli(['filesystems', '-a', out, '-l']);
    expect(fss.out).toMatch(/\/dev\/sda +filesystem +ext4 +DATA /);
  });

  it('a tar.gz into vfat in a GPT partition, and a tar into NTFS in an MBR partition as qcow2', async () => {
    const plain = join(tmp.dir, 'plain');
    mkdirSync(join(plain, 'd'), { recursive: true });
    writeFileSync(join(plain, 'd', 'a.txt'), 'alpha\n');
    writeFileSync(join(plain, 'top.txt'), 'top\n');
    const tgz = join(tmp.dir, 'in.tar.gz');
    const tar = join(tmp.dir, 'in.tar');
    execFileSync('tar', ['-C', plain, '--owner=0', '--group=0', '-czf', tgz, '.']);
    execFileSync('tar', ['-C', plain, '--owner=0', '--group=0', '-cf', tar, '.']);

    const vfat = join(tmp.dir, 'vfat.img');
    const r1 = await runCli(['make-fs', '-t', 'vfat', '--partition=gpt', '--label=EFI', tgz, vfat]);
    expect(r1.err).toBe('');
    const table = execFileSync('sfdisk', ['-d', vfat], { encoding: 'utf8' });
    expect(table).toMatch(/label: gpt/);
    expect(table).toMatch(/start= +128, .*name="p1"/);
    expect((await runCli(['cat', '-a', vfat, '-m', '/dev/sda1', '/d/a.txt'])).out).toBe('alpha\n');
    expect((await runCli(['filesystems', '-a', vfat, '-l'])).out).toMatch(/\/dev\/sda1 +filesystem +vfat +EFI /);

    const ntfs = join(tmp.dir, 'ntfs.qcow2');
    const r2 = await runCli(['make-fs', '-t', 'ntfs', '--partition', '-F', 'qcow2', tar, ntfs]);
    expect(r2.err).toBe('');
    expect(execFileSync('qemu-img', ['check', ntfs], { encoding: 'utf8' })).toMatch(/No errors were found/);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', ntfs], { encoding: 'utf8' })) as Record<string, number>;
    // (qcow2 sizes are whole sectors: the estimate rounded up, as qemu-img create does for virt-make-fs)
    expect(info['virtual-size']).toBe(Math.ceil(estimateSize(statSync(tar).size, 'ntfs', true, 0) / 512) * 512);
    expect(info['actual-size']).toBeLessThan(info['virtual-size']!);
    expect((await runCli(['cat', '-a', ntfs, '-m', '/dev/sda1', '/top.txt'])).out).toBe('top\n');
    const parts = await runCli(['fish', '--ro', '-a', ntfs, 'run', ':', 'part-get-mbr-id', '/dev/sda', '1']);
    expect(parts.out).toBe('0x7\n');
  });

  it('a tar.xz into ext3 in a GPT partition: unpacked by the wasm backend, owners and times kept', async () => {
    const txz = join(tmp.dir, 'src.tar.xz');
    execFileSync('tar', ['-C', src, '-cJf', txz, '.']);
    const out = join(tmp.dir, 'ext3.img');
    const r = await runCli(['make-fs', '-t', 'ext3', '--partition=gpt', txz, out]);
    expect(r.err).toBe('');
    expect(e2fsck(out, 128 * 512).status).toBe(0);
    const ls = await runCli(['ls', '-a', out, '-m', '/dev/sda1', '--time-t', '-lR', '--uids', '/']);
    expect(ls.out).toMatch(new RegExp(`^- 0640 +6 +${isRoot ? '1000 1000' : '\\d+ +\\d+'} +\\d+ 1577934245 \\d+ /hello.txt$`, 'm'));
    expect(ls.out).toMatch(/^l 0777 .* \/link -> hello.txt$/m);
  });

  it.runIf(haveQemu)('xfs goes through the appliance (mkfs, tar-in), read back in process', async () => {
    const out = join(tmp.dir, 'xfs.img');
    // mkfs.xfs wants 300 MB at least; the file stays sparse
    const r = await runCli(['make-fs', '-t', 'xfs', '--size=320M', '--label=XD', src, out], { timeoutMs: 90000 });
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(statSync(out).size).toBe(320 * 1048576);
    const ls = await runCli(['ls', '-a', out, '-m', '/dev/sda', '--time-t', '-lR', '--uids', '/']);
    expect(ls.out).toMatch(new RegExp(`^- 0640 +6 +${isRoot ? '1000 1000' : '\\d+ +\\d+'} +\\d+ 1577934245 \\d+ /hello.txt$`, 'm'));
    expect(ls.out).toMatch(/^l 0777 .* \/link -> hello.txt$/m);
    expect((await runCli(['filesystems', '-a', out, '-l'])).out).toMatch(/\/dev\/sda +filesystem +xfs +XD /);
  }, 120000);

  it('bad input: one line, exit 1, no output and no temp file left', async () => {
    const junk = join(tmp.dir, 'junk.txt');
    writeFileSync(junk, 'not an archive\n');
    const r = await runCli(['make-fs', junk, join(tmp.dir, 'junk.img')]);
    expect(r.status).toBe(1);
    expect(r.err).toBe(`guestkit make-fs: error: ${junk}: input is not a directory, tar archive or compressed tar archive\n`);
    const missing = await runCli(['make-fs', join(tmp.dir, 'nope'), join(tmp.dir, 'junk.img')]);
    expect(missing.err).toMatch(/nope: No such file or directory\n$/);
    const wasmXfs = await runCli(['make-fs', '--backend=wasm', '-t', 'xfs', src, join(tmp.dir, 'junk.img')]);
    expect(wasmXfs.err).toBe('guestkit make-fs: error: make-fs --type=xfs: not supported by the wasm backend: use --backend=appliance\n');
    const tooSmall = await runCli(['make-fs', '--size=64K', src, join(tmp.dir, 'junk.img')]);
    expect(tooSmall.status).toBe(1);
    expect(tooSmall.err.trim().split('\n')).toHaveLength(1);
    expect(left('junk.img')).toEqual([]);
    // vfat holds no symlinks: virt-make-fs fails there too (test/golden/imgtools/make-fs.json)
    const vfat = await runCli(['make-fs', '--type=vfat', '--partition=gpt', src, join(tmp.dir, 'junk.img')]);
    expect(vfat.status).toBe(1);
    expect(vfat.err).toBe('guestkit make-fs: error: ln-s: /link: Operation not permitted\n');
    expect(left('junk.img')).toEqual([]);
    const floppy = join(tmp.dir, 'floppy.img');
    expect((await runCli(['make-fs', '--floppy', join(src, 'sub'), floppy])).status).toBe(0);
    expect(statSync(floppy).size).toBe(1474560);
    expect(execFileSync('sfdisk', ['-d', floppy], { encoding: 'utf8' })).toMatch(/start= +128, size= +2625, type=b$/m);
    const noArgs = await runCli(['make-fs', src]);
    expect(noArgs.status).toBe(1);
  });
});
