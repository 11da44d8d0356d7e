/**
 * Inspection end to end: `guestkit inspect` prints virt-inspector's XML byte for byte
 * (goldens captured with libguestfs 1.48 on the same fixtures), the inspect-* commands,
 * -i on cat/ls/fish, the errors for no OS and several OSes, and that nothing is written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { runCli } from './helpers/cli.js';
import { GOLDEN, fixture, sha256 } from './helpers/fixtures.js';

/** Fixture → golden, for the guests the wasm backend reads (archlinux.img, btrfs: test/btrfs.test.ts and the appliance tests). */
const GUESTS = [
  { image: 'fedora.img', golden: 'fedora.xml', hostname: 'fedora-guest.example.com\n' },
  { image: 'debian-efi.img', golden: 'debian-efi.xml', hostname: 'debian-efi\n' },
  { image: 'alpine.img', golden: 'alpine.xml', hostname: 'alpine-guest\n' },
  { image: 'windows.img', golden: 'windows.xml', hostname: null },
];

describe.each(GUESTS)('inspection of $image (wasm)', ({ image, golden, hostname }) => {
  const goldenPath = join(GOLDEN, 'inspect', golden);

  it.runIf(existsSync(goldenPath))('guestkit inspect prints what virt-inspector prints, and writes nothing', async () => {
    const before = sha256(fixture(image));
    const r = await runCli(['inspect', '-a', fixture(image)], { timeoutMs: 60000 });
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toBe(readFileSync(goldenPath, 'utf8'));
    expect(sha256(fixture(image))).toBe(before);
  });

  it('--json carries the same facts; --no-applications leaves the applications out', async () => {
    const r = await runCli(['inspect', '--json', '--no-applications', '-a', fixture(image)], { timeoutMs: 60000 });
    expect(r.status).toBe(0);
    const data = JSON.parse(r.out) as { operatingsystems: Record<string, unknown>[] };
    expect(data.operatingsystems).toHaveLength(1);
    const os = data.operatingsystems[0]!;
    expect(os.applications).toBeUndefined();
    const xml = existsSync(goldenPath) ? readFileSync(goldenPath, 'utf8') : '';
    for (const key of ['root', 'name', 'distro', 'arch', 'hostname', 'osinfo'] as const) {
      if (xml) expect(xml).toContain(`<${key}>${os[key] as string}</${key}>`);
    }
  });

  it('cat, ls and fish mount the guest with -i (cat and ls also without -m)', async () => {
    if (hostname) {
      const cat = await runCli(['cat', '-a', fixture(image), '/etc/hostname']);
      expect(cat.err).toBe('');
      expect(cat.out).toBe(hostname);
      const catI = await runCli(['cat', '-i', '-a', fixture(image), '/etc/hostname']);
      expect(catI.out).toBe(hostname);
    }
    const ls = await runCli(['ls', '-i', '-a', fixture(image), '/']);
    expect(ls.status).toBe(0);
    expect(ls.out).toMatch(hostname ? /^etc$/m : /^Windows$/m);
    const fish = await runCli(['fish', '--ro', '-i', '-a', fixture(image), 'mountpoints']);
    expect(fish.err).toBe('');
    expect(fish.out).toMatch(/: \/\n/);
  });
});

describe('inspect commands', () => {
  it('report every fact of a Linux guest with LVM and a separate /boot', async () => {
    const g = new Guestfs();
    g.addDrive(fixture('fedora.img'), { readonly: true });
    await g.launch();
    try {
      expect(await g.inspectOs()).toEqual(['/dev/fedora/root']);
      expect(await g.inspectGetRoots()).toEqual(['/dev/fedora/root']);
      const root = '/dev/fedora/root';
      expect(await g.inspectGetType(root)).toBe('linux');
      expect(await g.inspectGetDistro(root)).toBe('fedora');
      expect(await g.inspectGetMajorVersion(root)).toBe(40);
      expect(await g.inspectGetMinorVersion(root)).toBe(0);
      expect(await g.inspectGetArch(root)).toBe('x86_64');
      expect(await g.inspectGetPackageFormat(root)).toBe('rpm');
      expect(await g.inspectGetPackageManagement(root)).toBe('dnf');
      expect(await g.inspectGetFormat(root)).toBe('installed');
      expect(await g.inspectIsLive(root)).toBe(false);
      expect(await g.inspectGetMountpoints(root)).toEqual({ '/': '/dev/fedora/root', '/boot': '/dev/sda1' });
      expect([...(await g.inspectGetFilesystems(root))].sort()).toEqual(['/dev/fedora/root', '/dev/fedora/swap', '/dev/sda1']);
      expect(await g.inspectGetDriveMappings(root)).toEqual({});
      await expect(g.inspectGetWindowsSystemroot(root)).rejects.toThrow(/not a Windows guest/);
      await expect(g.inspectGetType('/dev/sda1')).rejects.toThrow(/root device not found/);
      // inspect-os leaves nothing mounted; applications need the guest mounted (as in libguestfs).
      expect(await g.mounts()).toEqual([]);
      await g.mountRo(root, '/');
      await g.mountRo('/dev/sda1', '/boot');
      const apps = await g.inspectListApplications2(root);
      expect(apps.length).toBeGreaterThan(0);
      expect(apps.find((a) => a.app2_name === 'bash')?.app2_version).toMatch(/^\d/);
    } finally {
      await g.close();
    }
  });

  it('report Windows facts: systemroot, control set, drive letters', async () => {
    const g = new Guestfs();
    g.addDrive(fixture('windows.img'), { readonly: true });
    await g.launch();
    try {
      const [root] = await g.inspectOs();
      expect(root).toBe('/dev/sda1');
      expect(await g.inspectGetType(root!)).toBe('windows');
      expect(await g.inspectGetWindowsSystemroot(root!)).toBe('/Windows');
      expect(await g.inspectGetWindowsCurrentControlSet(root!)).toBe('ControlSet001');
      expect(await g.inspectGetDriveMappings(root!)).toEqual({ C: '/dev/sda1' });
      expect(await g.inspectGetProductVariant(root!)).toBe('Client');
    } finally {
      await g.close();
    }
  });

  it('finds no OS on a bare filesystem, and refuses -i on several', async () => {
    const g = new Guestfs();
    g.addDrive(fixture('ext4.img'), { readonly: true });
    await g.launch();
    expect(await g.inspectOs()).toEqual([]);
    await g.close();
    const none = await runCli(['ls', '-i', '-a', fixture('ext4.img'), '/']);
    expect(none.status).toBe(1);
    expect(none.err).toMatch(/^guestkit ls: error: .*no operating system was found on the disk.*\n$/);
    const two = await runCli(['cat', '-a', fixture('fedora.img'), '-a', fixture('alpine.img'), '/etc/hostname']);
    expect(two.status).toBe(1);
    expect(two.err).toMatch(/^guestkit cat: error: .*multi-boot operating systems are not supported by -i: found 2: \/dev\/sdb1 \(linux alpinelinux, Alpine Linux v3\.19\); \/dev\/fedora\/root \(linux fedora, .*\n$/);
  });
});
