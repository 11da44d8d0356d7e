/**
 * The Linux detector: decides whether the filesystem inspection has mounted at
 * '/' is a Linux root (libguestfs's test: /etc is a directory, /bin is a
 * directory or the symlink usr/bin, and /etc/fstab or /etc/hosts is a file)
 * and fills in its facts. Each fact that cannot be found stays 'unknown'
 * (with a warning where a file was there but unreadable); nothing throws.
 */
import type { DeviceIndex } from '../device-index.js';
import type { GuestReader } from '../guest-reader.js';
import type { OsFacts } from '../types.js';
import { guestArchitecture } from './elf-arch.js';
import { parseFstab, resolveFstab } from './fstab.js';
import { linuxHostname } from './hostname.js';
import { linuxOsinfo } from './osinfo.js';
import { packageFormatOf, packageManagementOf } from './package-kind.js';
import { detectRelease } from './release-files.js';
import { readFollowing } from './guest-path.js';

export async function isLinuxRoot(r: GuestReader): Promise<boolean> {
  if (!(await r.isDir('/etc'))) return false;
  if (!(await r.isDir('/bin')) && (await r.readlink('/bin')) !== 'usr/bin') return false;
  return (await r.isFile('/etc/fstab')) || (await r.isFile('/etc/hosts'));
}

export async function inspectLinuxRoot(r: GuestReader, dev: DeviceIndex, facts: OsFacts): Promise<boolean> {
  if (!(await isLinuxRoot(r))) return false;
  facts.type = 'linux';
  facts.format = 'installed';
  facts.isLive = false;
  facts.productVariant = 'unknown';

  const release = await detectRelease(r);
  if (release.distro === undefined) r.warn('no release file identifies the distribution');
  facts.distro = release.distro ?? 'unknown';
  facts.productName = release.productName ?? 'unknown';
  [facts.majorVersion, facts.minorVersion] = release.version ?? [0, 0];
  facts.buildId = release.buildId ?? 'unknown';
  facts.osinfo = linuxOsinfo(facts.distro, facts.majorVersion, facts.minorVersion);
  facts.packageFormat = packageFormatOf(facts.distro);
  facts.packageManagement = await packageManagementOf(r, facts.distro, facts.majorVersion);

  facts.arch = (await guestArchitecture(r)) ?? 'unknown';
  facts.hostname = (await linuxHostname(r)) ?? 'unknown';

  const fstab = await mountsFromFstab(r, dev, facts.root);
  if (fstab.length > 0) {
    facts.mountpoints = Object.fromEntries(fstab.filter(([, mp]) => mp.startsWith('/')).map(([m, mp]) => [mp, m]));
    // libguestfs leaves '/' out when fstab has no line for it; -i needs it, so it is added.
    if (!Object.hasOwn(facts.mountpoints, '/')) facts.mountpoints = { '/': facts.root, ...facts.mountpoints };
    facts.filesystems = fstab.map(([m]) => m);
  } else {
    facts.mountpoints = { '/': facts.root };
    facts.filesystems = [facts.root];
  }
  return true;
}

async function mountsFromFstab(r: GuestReader, dev: DeviceIndex, root: string): Promise<[string, string][]> {
  const bytes = await readFollowing(r, '/etc/fstab');
  if (bytes === null) {
    if (await r.exists('/etc/fstab')) r.warn('/etc/fstab: not a regular file or unreadable');
    return [];
  }
  const lines = parseFstab(new TextDecoder('utf-8').decode(bytes), r.warn);
  return resolveFstab(lines, { root, dev, r });
}
