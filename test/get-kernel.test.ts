/**
 * guestkit get-kernel on the wasm backend against virt-get-kernel on the same
 * guests (test/golden/image-tools): the download lines, the files and their
 * names (-o, --prefix, --unversioned-names), the errors, and the image never
 * written; plus the version order that picks the newest kernel.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { copyFixture, fixture, scratch, sha256 } from './helpers/fixtures.js';
import { guestkitMessage, hostTree, libguestfsMessage, toolGolden } from './helpers/image-tools-golden.js';
import { compareVersion, kernelDestName } from '../src/inspect/kernel-files.js';

const W = ['--backend=wasm'];
let tmp: ReturnType<typeof scratch>;
beforeAll(() => { tmp = scratch(); });
afterAll(() => tmp.cleanup());

const withoutMtime = (tree: string) => tree.split('\n').map((l) => l.split(' ').filter((_, i) => i !== 3).join(' ')).join('\n');

describe('get-kernel', () => {
  it.each([
    ['get-kernel__fedora', 'k1', []],
    ['get-kernel__unversioned', 'k2', ['--unversioned-names', '--prefix', 'fc']],
  ])('%s: the same lines and files as virt-get-kernel, the image untouched', async (golden, dir, flags) => {
    mkdirSync(join(tmp.dir, dir));
    const before = sha256(fixture('fedora.img'));
    const r = await runCli(['get-kernel', ...W, '-a', fixture('fedora.img'), '-o', dir, ...flags], { cwd: tmp.dir });
    const g = toolGolden(golden);
    expect(r.status, r.err).toBe(g.rc);
    expect(r.out).toBe(g.out.replaceAll('FIXTURES/', ''));
    expect(withoutMtime(hostTree(join(tmp.dir, dir)))).toBe(withoutMtime(g.tree!));
    expect(sha256(fixture('fedora.img'))).toBe(before);
  });

  it('several kernels and initramfs images: the highest versions (6.10 above 6.8, by number), both fetched', async () => {
    const img = copyFixture('fedora.img', tmp.dir);
    const boot = ['6.8.5-301.fc40.x86_64', '5.10.0-1.fc33.x86_64', '6.10.0-1.fc40.x86_64']
      .flatMap((v) => [`write /boot/vmlinuz-${v} k-${v}`, `write /boot/initramfs-${v}.img i-${v}`]).join(' : ').split(' ');
    const w = await runCli(['fish', ...W, '-a', img, '-i', ...boot]);
    expect(w.status, w.err).toBe(0);
    mkdirSync(join(tmp.dir, 'many'));
    const r = await runCli(['get-kernel', ...W, '-a', img, '-o', 'many', '--unversioned-names'], { cwd: tmp.dir });
    expect(r.status, r.err).toBe(0);
    expect(r.out).toBe('download: /boot/vmlinuz-6.10.0-1.fc40.x86_64 -> many/vmlinuz\ndownload: /boot/initramfs-6.10.0-1.fc40.x86_64.img -> many/initramfs\n');
    expect(readFileSync(join(tmp.dir, 'many', 'vmlinuz'), 'utf8')).toBe('k-6.10.0-1.fc40.x86_64');
    expect(readFileSync(join(tmp.dir, 'many', 'initramfs'), 'utf8')).toBe('i-6.10.0-1.fc40.x86_64');
  });

  it('-q: the files without the lines', async () => {
    mkdirSync(join(tmp.dir, 'q'));
    const r = await runCli(['get-kernel', ...W, '-q', '-a', fixture('fedora.img'), '-o', join(tmp.dir, 'q')]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toBe('');
    expect(readFileSync(join(tmp.dir, 'q', 'vmlinuz-6.8.5-301.fc40.x86_64'))).toHaveLength(7);
  });

  it.each([
    ['get-kernel__no-kernel', 'debian-efi.img'],
    ['get-kernel__no-os', 'ext4.img'],
  ])('%s: the same one-line error', async (golden, image) => {
    mkdirSync(join(tmp.dir, golden));
    const r = await runCli(['get-kernel', ...W, '-a', fixture(image), '-o', join(tmp.dir, golden)]);
    const g = toolGolden(golden);
    expect(r.status).toBe(g.rc);
    expect(r.err.split('\n').filter(Boolean), r.err).toHaveLength(1);
    expect(guestkitMessage(r.err, 'get-kernel')).toBe(libguestfsMessage(g.err));
    expect(hostTree(join(tmp.dir, golden))).toBe('');
  });

  it('an output directory that does not exist: one line, nothing written', async () => {
    const r = await runCli(['get-kernel', ...W, '-a', fixture('fedora.img'), '-o', join(tmp.dir, 'nodir')]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^guestkit get-kernel: error: download: .*nodir\/vmlinuz-6\.8\.5-301\.fc40\.x86_64: No such file or directory\n$/);
  });

  it('a Windows guest, and two -a: refused as virt-get-kernel refuses them', async () => {
    const win = await runCli(['get-kernel', ...W, '-a', fixture('windows.img'), '-o', tmp.dir]);
    expect(win.err).toBe('guestkit get-kernel: error: operating system ‘windows’ not supported\n');
    const two = await runCli(['get-kernel', ...W, '-a', fixture('fedora.img'), '-a', fixture('ext4.img')]);
    expect(two.err).toBe('guestkit get-kernel: error: --add option can only be given once\n');
  });
});

describe('the kernel choice', () => {
  it('versions compare as libguestfs compares them: numbers by value, the rest as text', () => {
    const kernels = ['/boot/vmlinuz-5.10.0-9-amd64', '/boot/vmlinuz-5.10.0-28-amd64', '/boot/vmlinuz-6.1.0-13-amd64', '/boot/vmlinuz-5.9.0-1-amd64'];
    expect([...kernels].sort(compareVersion).at(-1)).toBe('/boot/vmlinuz-6.1.0-13-amd64');
    expect(compareVersion('vmlinuz-5.10.0-28', 'vmlinuz-5.10.0-9')).toBeGreaterThan(0);
    expect(compareVersion('a-1.2', 'a-1.2')).toBe(0);
  });

  it('destination names: --unversioned-names cuts at the first dash, --prefix adds PREFIX-', () => {
    expect(kernelDestName('/boot/initrd.img-6.1.0-13-amd64', { unversioned: true })).toBe('initrd.img');
    expect(kernelDestName('/boot/vmlinuz-6.1.0', { prefix: 'deb' })).toBe('deb-vmlinuz-6.1.0');
    expect(kernelDestName('/boot/vmlinuz-6.1.0', { prefix: 'deb', unversioned: true })).toBe('deb-vmlinuz');
  });
});
