/**
 * The libosinfo short id libguestfs derives for a Linux guest from its
 * distro and version (inspect-get-osinfo), e.g. fedora40, debian12,
 * ubuntu22.04, alpinelinux3.19, sle15sp5.
 */
export function linuxOsinfo(distro: string, major: number, minor: number): string {
  switch (distro) {
    case 'centos':
      if (major >= 8) return `centos${major}`;
      if (major === 7) return 'centos7.0';
      if (major === 6) return `centos6.${minor}`;
      break;
    case 'circle':
    case 'rocky':
      if (major >= 8) return `${distro}${major}`;
      break;
    case 'debian':
      if (major >= 4) return `debian${major}`;
      break;
    case 'fedora':
    case 'mageia':
      return `${distro}${major}`;
    case 'sles': {
      const base = major >= 15 ? 'sle' : 'sles';
      return minor === 0 ? `${base}${major}` : `${base}${major}sp${minor}`;
    }
    case 'ubuntu':
      return `ubuntu${major}.${String(minor).padStart(2, '0')}`;
    case 'archlinux':
    case 'gentoo':
    case 'voidlinux':
      return distro;
    case 'altlinux':
      return major >= 8 ? `alt${major}.${minor}` : `altlinux${major}.${minor}`;
  }
  if (distro !== 'unknown' && (major > 0 || minor > 0)) return `${distro}${major}.${minor}`;
  return 'unknown';
}
