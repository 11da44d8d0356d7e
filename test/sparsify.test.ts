/**
 * guestkit sparsify (virt-sparsify) on a disk with dirty free space (see
 * helpers/dirty-disk.ts), in process: the copy has the same virtual size, the
 * same files (guestkit diff, checksums), a clean ext4 (e2fsck), the swap's
 * label and UUID, and far fewer allocated bytes; --in-place punches the same
 * holes. Progress lines are checked against virt-sparsify's (times masked).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveQemu } from './helpers/backends.js';
import { CLI, runCli } from './helpers/cli.js';
import { makeDirtyDisk, SWAP_UUID } from './helpers/dirty-disk.js';
import { e2fsck, fixture, GOLDEN, scratch } from './helpers/fixtures.js';

const tmp = scratch();
let disk = '';
const MiB = 1024 * 1024;

beforeAll(async () => {
  disk = await makeDirtyDisk(tmp.dir);
}, 30000);
afterAll(() => tmp.cleanup());

const allocated = (f: string) => statSync(f).blocks * 512;
const maskTimes = (s: string) => s.replace(/^\[ *\d+\.\d\] /gm, '[TIME] ');
const golden = (name: string) => readFileSync(join(GOLDEN, 'imgtools', name), 'utf8');

async function sameContent(a: string, b: string): Promise<void> {
  const sums = async (img: string) =>
    (await runCli(['fish', '--ro', '-a', img, '-m', '/dev/sda1', 'find', '/', ':', 'checksum', 'sha256', '/keep.bin', ':', 'cat', '/etc/hostname'])).out;
  expect(await sums(a)).toMatch(/^keep.bin$/m);
  expect(await sums(b)).toBe(await sums(a));
}

describe('sparsify', () => {
  it('copy mode: same size and files, swap header kept, free space unallocated', async () => {
    const out = join(tmp.dir, 'out.img');
    const r = await runCli(['sparsify', disk, out]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(maskTimes(r.out)).toBe(
      '[TIME] Examine source disk\n[TIME] Fill free space in /dev/sda1 with zero\n[TIME] Clearing Linux swap on /dev/sda2\n' +
        '[TIME] Copy to destination and make sparse\n[TIME] Sparsify operation completed with no errors.\n' +
        'guestkit sparsify: Before deleting the old disk, carefully check that the target disk boots and works correctly.\n',
    );
    // virt-sparsify's lines, in the same words (its run also creates an overlay, which the in-process route does not need).
    const upstream = maskTimes(golden('sparsify-copy.out')).split('\n').filter((l) => !l.includes('overlay'));
    for (const l of upstream.slice(0, 1).concat(upstream.slice(2, 4))) expect(maskTimes(r.out)).toContain(l);
    expect(statSync(out).size).toBe(statSync(disk).size);
    expect(allocated(disk)).toBeGreaterThan(20 * MiB);
    expect(allocated(out)).toBeLessThan(allocated(disk) - 18 * MiB);
    expect(e2fsck(out, MiB).status).toBe(0);
    expect(execFileSync('sfdisk', ['-d', out], { encoding: 'utf8' }).replace(/out\.img/g, '')).toBe(execFileSync('sfdisk', ['-d', disk], { encoding: 'utf8' }).replace(/dirty\.img/g, ''));
    const swap = (await runCli(['filesystems', '-a', out, '--all', '-l', '--uuid'])).out;
    expect(swap).toMatch(new RegExp(`/dev/sda2 +filesystem +swap +SWAPL .*${SWAP_UUID}`));
    await sameContent(disk, out);
  });

  it('--convert qcow2 and --ignore: qemu-img check clean, ignored filesystem copied as it is', async () => {
    const out = join(tmp.dir, 'out.qcow2');
    const r = await runCli(['sparsify', '-q', '--convert', 'qcow2', '--ignore', '/dev/sda1', disk, out]);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
    expect(execFileSync('qemu-img', ['check', out], { encoding: 'utf8' })).toMatch(/No errors were found/);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', out], { encoding: 'utf8' })) as Record<string, number>;
    expect(info['virtual-size']).toBe(statSync(disk).size);
    // sda1's 6 MiB of deleted data stayed (ignored), sda2's 14 MiB of swap went.
    expect(info['actual-size']).toBeGreaterThan(6 * MiB);
    expect(info['actual-size']).toBeLessThan(12 * MiB);
    await sameContent(disk, out);
  });

  it('--compress: zlib-compressed qcow2 clusters, qemu-img check clean, the same bytes as the uncompressed copy', async () => {
    const plain = join(tmp.dir, 'plain.img');
    const small = join(tmp.dir, 'small.qcow2');
    expect((await runCli(['sparsify', '-q', disk, plain])).status).toBe(0);
    const r = await runCli(['sparsify', '-q', '--convert', 'qcow2', '--compress', '-o', 'compat=1.1,cluster_size=32k,compression_type=zlib', disk, small]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(execFileSync('qemu-img', ['check', small], { encoding: 'utf8' })).toMatch(/No errors were found/);
    // Free space zeroed as in the plain copy, data identical.
    expect(execFileSync('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', plain, small], { encoding: 'utf8' })).toBe('Images are identical.\n');
    const check = JSON.parse(execFileSync('qemu-img', ['check', '--output=json', small], { encoding: 'utf8' })) as Record<string, number>;
    expect(check['compressed-clusters']).toBeGreaterThan(0);
    expect((JSON.parse(execFileSync('qemu-img', ['info', '--output=json', small], { encoding: 'utf8' })) as Record<string, number>)['cluster-size']).toBe(32768);
    // The filesystem's metadata and text deflate (the fixture's random files do not).
    const uncompressed = join(tmp.dir, 'uncompressed.qcow2');
    expect((await runCli(['sparsify', '-q', '--convert', 'qcow2', '-o', 'cluster_size=32k', disk, uncompressed])).status).toBe(0);
    expect(statSync(small).size).toBeLessThan(statSync(uncompressed).size);
    const zstd = await runCli(['sparsify', '--convert', 'qcow2', '--compress', '-o', 'compression_type=zstd', disk, join(tmp.dir, 'z.qcow2')]);
    expect(zstd.err).toBe("guestkit sparsify: error: -o compression_type=zstd: guestkit's qcow2 writer compresses with zlib only\n");
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith('z.qcow2'))).toEqual([]);
  });

  it('--in-place punches holes in the raw file and --zero clears a whole device', async () => {
    const img = join(tmp.dir, 'inplace.img');
    copyFileSync(disk, img);
    const before = allocated(img);
    const r = await runCli(['sparsify', '--in-place', '--zero', '/dev/sda2', img]);
    expect(r.status).toBe(0);
    expect(maskTimes(r.out)).toBe('[TIME] Trimming /dev/sda1\n[TIME] Zeroing /dev/sda2\n[TIME] Sparsify in-place operation completed with no errors\n');
    expect(maskTimes(golden('sparsify-inplace.out')).split('\n')[1]).toBe('[TIME] Sparsify in-place operation completed with no errors');
    expect(allocated(img)).toBeLessThan(before - 18 * MiB);
    expect(statSync(img).size).toBe(statSync(disk).size);
    expect(e2fsck(img, MiB).status).toBe(0);
    await sameContent(disk, img);
  });

  it('reads an NBD URI as its input (guestkit serve --run)', async () => {
    const out = join(tmp.dir, 'from-nbd.img');
    const r = await runCli(['serve', '--run', `node ${CLI} sparsify -q "$uri" ${out}`, disk]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(statSync(out).size).toBe(statSync(disk).size);
    expect(allocated(out)).toBeLessThan(allocated(disk) - 18 * MiB);
    await sameContent(disk, out);
  });

  it.runIf(haveQemu)('ntfs goes the virt-sparsify way: overlay, zero-free-space in the appliance, sparse qcow2 copy', async () => {
    const img = join(tmp.dir, 'ntfs.img');
    copyFileSync(fixture('windows.img'), img);
    const junk = join(tmp.dir, 'junk.bin');
    writeFileSync(junk, randomBytes(3 * MiB));
    // dirty free space: a file written and deleted through the wasm backend's NTFS driver
    const dirty = await runCli(['fish', '--backend=wasm', '-a', img, '-m', '/dev/sda1', 'upload', junk, '/junk.bin', ':', 'rm', '/junk.bin']);
    expect(dirty.err).toBe('');
    const out = join(tmp.dir, 'ntfs.qcow2');
    const r = await runCli(['sparsify', '--convert', 'qcow2', '--tmp', tmp.dir, img, out], { timeoutMs: 90000 });
    expect(r.err).toBe('');
    expect(maskTimes(r.out).split('\n').slice(0, 3)).toEqual([
      `[TIME] Create overlay file in ${tmp.dir} to protect source disk`, '[TIME] Examine source disk', '[TIME] Fill free space in /dev/sda1 with zero',
    ]);
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith('sparsify'))).toEqual([]); // the overlay is gone
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', out], { encoding: 'utf8' })) as Record<string, number>;
    expect(info['virtual-size']).toBe(statSync(img).size);
    expect(info['actual-size']).toBeLessThan(allocated(img) - 2 * MiB);
    const list = async (f: string) => (await runCli(['fish', '--ro', '-a', f, '-m', '/dev/sda1', 'find', '/'])).out;
    expect(await list(out)).toBe(await list(img));
  }, 120000);

  it('--machine-readable lists the features as virt-sparsify does; bad uses fail in one line, leaving nothing', async () => {
    expect((await runCli(['sparsify', '--machine-readable'])).out).toBe(golden('sparsify-mr.out'));
    const raw = await runCli(['sparsify', '--compress', disk, join(tmp.dir, 'x.img')]);
    expect(raw.err).toBe('guestkit sparsify: error: --compress cannot be used for raw output.  Remove this option or use --convert qcow2.\n');
    const same = await runCli(['sparsify', disk, disk]);
    expect(same.status).toBe(1);
    const junk = await runCli(['sparsify', fixture('truncated.qcow2'), join(tmp.dir, 'x.img')]);
    expect(junk.status).toBe(1);
    expect(junk.err.trim().split('\n')).toHaveLength(1);
    const wasmOnly = await runCli(['sparsify', '--backend=wasm', join(tmp.dir, '..', 'nope.img'), join(tmp.dir, 'x.img')]);
    expect(wasmOnly.status).toBe(1);
    // --check-tmpdir=fail: an overlay could outgrow --tmp (a sparse disk twice the free space there); status 2, no VM started
    const st = statfsSync(tmp.dir);
    const huge = join(tmp.dir, 'huge.img');
    execFileSync('truncate', ['-s', String(Math.ceil((2 * st.bavail * st.bsize) / 512) * 512), huge]);
    const fail = await runCli(['sparsify', '--backend=appliance', '--check-tmpdir=fail', '--tmp', tmp.dir, '--format', 'raw', huge, join(tmp.dir, 'x.img')]);
    expect(fail.status).toBe(2);
    expect(fail.err).toMatch(/^guestkit sparsify: warning: There may not be enough free space on .*\nExiting because --check-tmpdir=fail was set\.\n$/s);
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith('x.img') || n.startsWith('sparsify'))).toEqual([]);
  });
});
