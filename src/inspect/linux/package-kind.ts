/**
 * Package format and package manager as functions of the distro and major
 * version, with libguestfs's table (Fedora ≥ 22 says dnf only when
 * /usr/bin/dnf is there; the RHEL family switches yum → dnf at 8).
 */
import type { GuestReader } from '../guest-reader.js';
import { isFileFollowing } from './guest-path.js';

/** [package format, package manager ('by version' for Fedora and the RHEL family), distros]. */
const ROWS: [string, string, string][] = [
  ['rpm', 'by version', 'fedora centos circle kylin oraclelinux redhat-based rhel rocky scientificlinux'],
  ['rpm', 'dnf', 'neokylin openmandriva opencloudos tencentos openeuler'],
  ['rpm', 'yum', 'meego'],
  ['rpm', 'urpmi', 'mageia mandriva'],
  ['rpm', 'zypper', 'opensuse sles suse-based'],
  ['rpm', 'apt', 'altlinux'],
  ['deb', 'apt', 'debian kalilinux linuxmint ubuntu'],
  ['pacman', 'pacman', 'archlinux'],
  ['ebuild', 'portage', 'gentoo'],
  ['pisi', 'pisi', 'pardus'],
  ['apk', 'apk', 'alpinelinux'],
  ['xbps', 'xbps', 'voidlinux'],
];
const KIND = new Map(ROWS.flatMap(([format, manager, distros]) => distros.split(' ').map((d) => [d, { format, manager }] as const)));

export function packageFormatOf(distro: string): string {
  return KIND.get(distro)?.format ?? 'unknown';
}

export async function packageManagementOf(r: GuestReader, distro: string, major: number): Promise<string> {
  const manager = KIND.get(distro)?.manager ?? 'unknown';
  if (manager !== 'by version') return manager;
  if (distro === 'fedora') {
    if (major >= 22 && (await isFileFollowing(r, '/usr/bin/dnf'))) return 'dnf';
    // Major 0: the release file could not be parsed (RHBZ#1332025).
    return major >= 1 ? 'yum' : 'unknown';
  }
  if (major >= 8) return 'dnf';
  if (major >= 5) return 'yum';
  if (major >= 2) return 'up2date';
  return 'unknown';
}
