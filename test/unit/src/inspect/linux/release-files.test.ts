/** Distro, product name, version and build id from release files, with libguestfs's precedence. */
import { afterEach, describe, expect, it } from 'vitest';
import { dirReader, makeTree, type TreeEntry } from '../../../../helpers/dir-reader.js';
import { scratch } from '../../../../helpers/fixtures.js';
import { shellUnquote, simpleUnquote, parseKeyValues } from '../../../../../src/inspect/linux/key-value.js';
import { detectRelease, versionFromMajorMinor } from '../../../../../src/inspect/linux/release-files.js';

let tmp: ReturnType<typeof scratch> | undefined;
afterEach(() => tmp?.cleanup());

async function release(files: Record<string, TreeEntry>) {
  tmp = scratch();
  makeTree(tmp.dir, files);
  const warnings: string[] = [];
  return { data: await detectRelease(dirReader(tmp.dir, warnings)), warnings };
}

describe('key=value files', () => {
  it('unquotes values the way a shell reads them', () => {
    expect(shellUnquote('"Fedora Linux 40 (Server Edition)"')).toBe('Fedora Linux 40 (Server Edition)');
    expect(shellUnquote("'single $quoted'")).toBe('single $quoted');
    expect(shellUnquote('"say \\"hi\\" \\$HOME"')).toBe('say "hi" $HOME');
    expect(shellUnquote('plain\\ word')).toBe('plain word');
    expect(simpleUnquote('"Ubuntu 22.04.3 LTS"')).toBe('Ubuntu 22.04.3 LTS');
    expect(simpleUnquote('"unbalanced')).toBe('"unbalanced');
  });
  it('skips blanks and comments and keeps everything after the first =', () => {
    expect(parseKeyValues(['# c', '', 'A=1=2', 'B'], (v) => v)).toEqual([['A', '1=2'], ['B', '']]);
  });
  it('finds the first N.M, else N, anywhere in a string', () => {
    expect(versionFromMajorMinor('Fedora release 40 (Forty)')).toEqual([40, 0]);
    expect(versionFromMajorMinor('v3.19.1')).toEqual([3, 19]);
    expect(versionFromMajorMinor('trixie/sid')).toBeUndefined();
  });
});

describe('release files', () => {
  it('takes Fedora from os-release, BUILD_ID too', async () => {
    const { data } = await release({
      'usr/lib/os-release': 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=40\nPRETTY_NAME="Fedora Linux 40 (Workstation Edition)"\nBUILD_ID=20240416.n.0\n',
      'etc/os-release': { symlink: '../usr/lib/os-release' },
    });
    expect(data).toEqual({ distro: 'fedora', productName: 'Fedora Linux 40 (Workstation Edition)', version: [40, 0], buildId: '20240416.n.0' });
  });
  it("gets Debian's minor version from debian_version, which also becomes the product name", async () => {
    const { data } = await release({
      'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\nID=debian\n',
      'etc/debian_version': '12.5\n',
    });
    expect(data).toEqual({ distro: 'debian', productName: '12.5', version: [12, 5] });
  });
  it('reads Ubuntu and Alpine os-release as they are', async () => {
    expect((await release({ 'etc/os-release': 'ID=ubuntu\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu 22.04.3 LTS"\n' })).data)
      .toEqual({ distro: 'ubuntu', productName: 'Ubuntu 22.04.3 LTS', version: [22, 4] });
    expect((await release({ 'etc/os-release': 'ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n', 'etc/alpine-release': '3.19.1\n' })).data)
      .toEqual({ distro: 'alpinelinux', productName: 'Alpine Linux v3.19', version: [3, 19] });
  });
  it('gives rolling distros version 0.0 from os-release alone', async () => {
    const { data } = await release({ 'etc/os-release': 'NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\n', 'etc/arch-release': '' });
    expect(data).toEqual({ distro: 'archlinux', productName: 'Arch Linux', version: [0, 0], buildId: 'rolling' });
  });
  it('falls back to the legacy files when os-release is not usable, with a warning for an unknown ID', async () => {
    const { data, warnings } = await release({
      'etc/os-release': 'ID=somethingelse\nPRETTY_NAME="Weird"\n',
      'etc/redhat-release': 'Red Hat Enterprise Linux Server release 7.9 (Maipo)\n',
    });
    expect(data).toEqual({ distro: 'rhel', productName: 'Red Hat Enterprise Linux Server release 7.9 (Maipo)', version: [7, 9] });
    expect(warnings.join('\n')).toMatch(/unknown ID=somethingelse/);
  });
  it('tells the redhat-release flavours apart', async () => {
    const cases: [string, string, [number, number]][] = [
      ['Fedora release 28 (Twenty Eight)', 'fedora', [28, 0]],
      ['Red Hat Enterprise Linux AS release 4 (Nahant Update 9)', 'rhel', [4, 9]],
      ['CentOS Linux release 7.9.2009 (Core)', 'centos', [7, 9]],
      ['CentOS release 5 (Final)', 'centos', [5, 0]],
      ['Scientific Linux release 6.10 (Carbon)', 'scientificlinux', [6, 10]],
      ['Rocky Linux release 9.3 (Blue Onyx)', 'rocky', [9, 3]],
    ];
    for (const [line, distro, version] of cases) {
      expect((await release({ 'etc/redhat-release': `${line}\n` })).data).toEqual({ distro, productName: line, version });
      tmp?.cleanup();
    }
    const other = await release({ 'etc/redhat-release': 'Something Linux\n' });
    expect(other.data).toEqual({ distro: 'redhat-based', productName: 'Something Linux' });
  });
  it('uses lsb-release when it names a known distribution', async () => {
    const { data } = await release({ 'etc/lsb-release': 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=10.04\nDISTRIB_CODENAME=lucid\nDISTRIB_DESCRIPTION="Ubuntu 10.04.1 LTS"\n', 'etc/debian_version': 'squeeze/sid\n' });
    expect(data).toEqual({ distro: 'ubuntu', productName: 'Ubuntu 10.04.1 LTS', version: [10, 4] });
  });
  it('reads SLES and openSUSE from SuSE-release', async () => {
    expect((await release({ 'etc/SuSE-release': 'SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n' })).data)
      .toEqual({ distro: 'sles', productName: 'SUSE Linux Enterprise Server 11 (x86_64)', version: [11, 4] });
    tmp?.cleanup();
    expect((await release({ 'etc/SuSE-release': 'openSUSE 13.1 (x86_64)\nVERSION = 13.1\n' })).data)
      .toEqual({ distro: 'opensuse', productName: 'openSUSE 13.1 (x86_64)', version: [13, 1] });
  });
  it('knows Arch from an empty arch-release and Alpine from alpine-release', async () => {
    expect((await release({ 'etc/arch-release': '' })).data).toEqual({ distro: 'archlinux' });
    tmp?.cleanup();
    expect((await release({ 'etc/alpine-release': '3.18.4\n' })).data).toEqual({ distro: 'alpinelinux', productName: '3.18.4', version: [3, 18] });
  });
  it('degrades an unparseable os-release with nothing else to unknown facts and warnings', async () => {
    const { data, warnings } = await release({ 'etc/os-release': '\u0000\u0001garbage without equals\nVERSION_ID=x.y\n' });
    expect(data.distro).toBeUndefined();
    expect(data.version).toBeUndefined();
    expect(warnings.join('\n')).toMatch(/cannot parse a version from 'x\.y'/);
  });
  it('parses NeoKylin\'s V<major>Update<minor> VERSION_ID', async () => {
    const { data } = await release({ 'etc/os-release': 'ID=neokylin\nVERSION_ID=V7Update6\nPRETTY_NAME="NeoKylin Linux Advanced Server V7Update6"\n' });
    expect(data.version).toEqual([7, 6]);
  });
});
