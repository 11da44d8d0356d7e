/** The Linux detector over guest trees: which filesystems are Linux roots, and the facts it fills. */
import { afterEach, describe, expect, it } from 'vitest';
import { dirReader, makeTree, type TreeEntry } from '../../../../helpers/dir-reader.js';
import { scratch } from '../../../../helpers/fixtures.js';
import { makeDeviceIndex } from '../../../../../src/inspect/device-index.js';
import { unknownFacts } from '../../../../../src/inspect/types.js';
import { inspectLinuxRoot } from '../../../../../src/inspect/linux/linux-root.js';
import { linuxOsinfo } from '../../../../../src/inspect/linux/osinfo.js';
import { packageFormatOf, packageManagementOf } from '../../../../../src/inspect/linux/package-kind.js';

const X86_64 = (() => {
  const h = new Uint8Array(64);
  h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  h[16] = 2;
  h[18] = 62;
  return h;
})();
const dev = makeDeviceIndex([{ device: '/dev/sda1', type: 'ext4', uuid: 'u-1', label: 'root' }], ['/dev/sda'], ['/dev/sda1'], []);

let tmp: ReturnType<typeof scratch> | undefined;
afterEach(() => tmp?.cleanup());

async function inspect(files: Record<string, TreeEntry>) {
  tmp = scratch();
  makeTree(tmp.dir, files);
  const warnings: string[] = [];
  const facts = unknownFacts('/dev/sda1');
  const isRoot = await inspectLinuxRoot(dirReader(tmp.dir, warnings), dev, facts);
  return { isRoot, facts, warnings };
}

describe('Linux root detection', () => {
  it('leaves filesystems that are not a Linux root untouched', async () => {
    for (const files of [
      { 'grub2/grub.cfg': '', 'vmlinuz': '' }, // a /boot
      { 'etc/fstab': '', 'usr/bin/ls': X86_64 }, // no /bin
      { 'etc/passwd': '', 'bin/ls': X86_64 }, // neither fstab nor hosts
      { 'etc/hosts': '', 'bin': { symlink: '/usr/bin' } }, // /bin links somewhere else than usr/bin
    ] as Record<string, TreeEntry>[]) {
      const { isRoot, facts } = await inspect(files);
      expect(isRoot).toBe(false);
      expect(facts).toEqual(unknownFacts('/dev/sda1'));
      tmp?.cleanup();
    }
  });

  it('fills every fact of a Fedora root whose /bin is the usr/bin symlink', async () => {
    const { isRoot, facts, warnings } = await inspect({
      'usr/lib/os-release': 'ID=fedora\nVERSION_ID=39\nPRETTY_NAME="Fedora Linux 39 (Cloud Edition)"\n',
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'bin': { symlink: 'usr/bin' },
      'usr/bin/ls': X86_64,
      'usr/bin/dnf-3': '#!/usr/bin/python3\n',
      'usr/bin/dnf': { symlink: 'dnf-3' },
      'etc/hostname': '# set by cloud-init\n\nfed39\n',
      'etc/fstab': 'UUID=u-1 / ext4 defaults 1 1\n',
    });
    expect(isRoot).toBe(true);
    expect(warnings).toEqual([]);
    expect(facts).toEqual({
      ...unknownFacts('/dev/sda1'),
      type: 'linux', distro: 'fedora', productName: 'Fedora Linux 39 (Cloud Edition)', productVariant: 'unknown',
      majorVersion: 39, minorVersion: 0, arch: 'x86_64', hostname: 'fed39', packageFormat: 'rpm', packageManagement: 'dnf',
      format: 'installed', isLive: false, mountpoints: { '/': '/dev/sda1' }, filesystems: ['/dev/sda1'], osinfo: 'fedora39',
    });
  });

  it('says yum for a Fedora without dnf and for RHEL 7, dnf for RHEL 8', async () => {
    const base = { 'etc/hosts': '', 'bin/ls': X86_64 };
    expect((await inspect({ ...base, 'etc/redhat-release': 'Fedora release 30 (Thirty)\n' })).facts.packageManagement).toBe('yum');
    tmp?.cleanup();
    expect((await inspect({ ...base, 'etc/redhat-release': 'Red Hat Enterprise Linux Server release 7.9 (Maipo)\n' })).facts.packageManagement).toBe('yum');
    tmp?.cleanup();
    const rhel8 = await inspect({ ...base, 'etc/redhat-release': 'Red Hat Enterprise Linux release 8.9 (Ootpa)\n' });
    expect([rhel8.facts.packageManagement, rhel8.facts.osinfo]).toEqual(['dnf', 'rhel8.9']);
  });

  it('looks for the hostname in /etc/HOSTNAME, /etc/hostname, then HOSTNAME= in sysconfig/network', async () => {
    const base = { 'etc/hosts': '', 'bin/ls': X86_64 };
    expect((await inspect({ ...base, 'etc/HOSTNAME': 'old.suse\n', 'etc/hostname': 'new\n' })).facts.hostname).toBe('old.suse');
    tmp?.cleanup();
    expect((await inspect({ ...base, 'etc/hostname': '\n', 'etc/sysconfig/network': 'NETWORKING=yes\nHOSTNAME="rhel5.example.com"\n' })).facts.hostname).toBe('rhel5.example.com');
    tmp?.cleanup();
    expect((await inspect(base)).facts.hostname).toBe('unknown');
  });

  it('degrades what it cannot find to unknown, with warnings, and still reports the rest', async () => {
    const { isRoot, facts, warnings } = await inspect({
      'etc/hosts': '',
      'bin/ls': '#!/bin/sh\n',
      'etc/os-release': 'garbage\n',
      'etc/fstab': '/dev/vdq7 / ext4 defaults 0 1\nnonsense\n',
      'etc/hostname': 'still-here\n',
    });
    expect(isRoot).toBe(true);
    expect(facts).toMatchObject({
      type: 'linux', distro: 'unknown', productName: 'unknown', majorVersion: 0, arch: 'unknown', hostname: 'still-here',
      packageFormat: 'unknown', packageManagement: 'unknown', osinfo: 'unknown', mountpoints: { '/': '/dev/sda1' }, filesystems: ['/dev/sda1'],
    });
    expect(warnings.join('\n')).toMatch(/no release file identifies the distribution/);
    expect(warnings.join('\n')).toMatch(/\/dev\/vdq7 \(\/\) does not match any device/);
    expect(warnings.join('\n')).toMatch(/\/bin\/ls: not an ELF binary/);
  });

  it('adds / when fstab has filesystems but no root line (libguestfs leaves it out)', async () => {
    const { facts } = await inspect({ 'etc/hosts': '', 'bin/ls': X86_64, 'etc/fstab': 'LABEL=root /srv ext4 defaults 0 0\n' });
    expect(facts.mountpoints).toEqual({ '/': '/dev/sda1', '/srv': '/dev/sda1' });
    expect(facts.filesystems).toEqual(['/dev/sda1']);
  });
});

describe('osinfo ids', () => {
  it('follows libguestfs per distro', () => {
    expect(linuxOsinfo('debian', 12, 5)).toBe('debian12');
    expect(linuxOsinfo('ubuntu', 22, 4)).toBe('ubuntu22.04');
    expect(linuxOsinfo('centos', 7, 9)).toBe('centos7.0');
    expect(linuxOsinfo('centos', 6, 10)).toBe('centos6.10');
    expect(linuxOsinfo('centos', 9, 0)).toBe('centos9');
    expect(linuxOsinfo('sles', 15, 5)).toBe('sle15sp5');
    expect(linuxOsinfo('sles', 12, 0)).toBe('sles12');
    expect(linuxOsinfo('archlinux', 0, 0)).toBe('archlinux');
    expect(linuxOsinfo('altlinux', 10, 1)).toBe('alt10.1');
    expect(linuxOsinfo('alpinelinux', 3, 19)).toBe('alpinelinux3.19');
    expect(linuxOsinfo('opensuse', 0, 0)).toBe('unknown');
    expect(linuxOsinfo('unknown', 1, 0)).toBe('unknown');
  });
});

describe('package format and manager', () => {
  it('follow libguestfs per distro', async () => {
    tmp = scratch();
    const r = dirReader(tmp.dir);
    const kinds: [string, number, string, string][] = [
      ['ubuntu', 22, 'deb', 'apt'], ['archlinux', 0, 'pacman', 'pacman'], ['alpinelinux', 3, 'apk', 'apk'],
      ['sles', 15, 'rpm', 'zypper'], ['opensuse', 15, 'rpm', 'zypper'], ['altlinux', 10, 'rpm', 'apt'],
      ['mageia', 9, 'rpm', 'urpmi'], ['gentoo', 0, 'ebuild', 'portage'], ['voidlinux', 0, 'xbps', 'xbps'],
      ['centos', 6, 'rpm', 'yum'], ['rhel', 4, 'rpm', 'up2date'], ['rocky', 9, 'rpm', 'dnf'], ['fedora', 0, 'rpm', 'unknown'],
      ['slackware', 15, 'unknown', 'unknown'], ['unknown', 0, 'unknown', 'unknown'],
    ];
    for (const [distro, major, format, manager] of kinds) {
      expect([packageFormatOf(distro), await packageManagementOf(r, distro, major)]).toEqual([format, manager]);
    }
  });
});
