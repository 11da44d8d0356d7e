/**
 * Package format and package manager as functions of the distro and major
 * version, with libguestfs's table (Fedora ≥ 22 says dnf only when
 * /usr/bin/dnf is there; the RHEL family switches yum → dnf at 8).
 */
import type { GuestReader } from '../guest-reader.js';
import { isFileFollowing } from './guest-path.js';

const FORMAT: Record<string, string> = {};
const add = (table: Record<string, string>, value: string, distros: string) => {
  for (const d of distros.split(' ')) table[d] = value;
};
add(FORMAT, 'rpm', 'altlinux centos circle fedora kylin mageia mandriva meego neokylin opencloudos tencentos openeuler openmandriva opensuse oraclelinux redhat-based rhel rocky scientificlinux sles suse-based');
add(FORMAT, 'deb', 'debian kalilinux linuxmint ubuntu');
add(FORMAT, 'pacman', 'archlinux');
add(FORMAT, 'ebuild', 'gentoo');
add(FORMAT, 'pisi', 'pardus');
add(FORMAT, 'apk', 'alpinelinux');
add(FORMAT, 'xbps', 'voidlinux');

const MANAGER: Record<string, string> = {};
add(MANAGER, 'yum', 'meego');
add(MANAGER, 'dnf', 'neokylin openmandriva opencloudos tencentos openeuler');
add(MANAGER, 'apt', 'altlinux debian kalilinux linuxmint ubuntu');
add(MANAGER, 'pacman', 'archlinux');
add(MANAGER, 'portage', 'gentoo');
add(MANAGER, 'pisi', 'pardus');
add(MANAGER, 'urpmi', 'mageia mandriva');
add(MANAGER, 'zypper', 'opensuse sles suse-based');
add(MANAGER, 'apk', 'alpinelinux');
add(MANAGER, 'xbps', 'voidlinux');
const RHEL_FAMILY = new Set('centos circle kylin oraclelinux redhat-based rhel rocky scientificlinux'.split(' '));

export function packageFormatOf(distro: string): string {
  return Object.hasOwn(FORMAT, distro) ? FORMAT[distro] : 'unknown';
}

export async function packageManagementOf(r: GuestReader, distro: string, major: number): Promise<string> {
  if (distro === 'fedora') {
    if (major >= 22 && (await isFileFollowing(r, '/usr/bin/dnf'))) return 'dnf';
    // Major 0: the release file could not be parsed (RHBZ#1332025).
    return major >= 1 ? 'yum' : 'unknown';
  }
  if (RHEL_FAMILY.has(distro)) {
    if (major >= 8) return 'dnf';
    if (major >= 5) return 'yum';
    if (major >= 2) return 'up2date';
    return 'unknown';
  }
  return Object.hasOwn(MANAGER, distro) ? MANAGER[distro] : 'unknown';
}
