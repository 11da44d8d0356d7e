/**
 * What inspection finds about one operating system, in libguestfs's names and values
 * (inspect-get-* return exactly these strings; 'unknown' where a fact could not be found).
 */
export interface Application2 {
  app2_name: string;
  app2_display_name: string;
  app2_epoch: number;
  app2_version: string;
  app2_release: string;
  app2_arch: string;
  app2_install_path: string;
  app2_trans_path: string;
  app2_publisher: string;
  app2_url: string;
  app2_source_package: string;
  app2_summary: string;
  app2_description: string;
  app2_spare1: string;
  app2_spare2: string;
  app2_spare3: string;
  app2_spare4: string;
}

export const APPLICATION2_FIELDS = [
  'app2_name', 'app2_display_name', 'app2_epoch', 'app2_version', 'app2_release', 'app2_arch', 'app2_install_path',
  'app2_trans_path', 'app2_publisher', 'app2_url', 'app2_source_package', 'app2_summary', 'app2_description',
  'app2_spare1', 'app2_spare2', 'app2_spare3', 'app2_spare4',
] as const;

/** An application record with every field empty (epoch 0), to fill in. */
export function emptyApplication(name: string): Application2 {
  return {
    app2_name: name, app2_display_name: '', app2_epoch: 0, app2_version: '', app2_release: '', app2_arch: '',
    app2_install_path: '', app2_trans_path: '', app2_publisher: '', app2_url: '', app2_source_package: '',
    app2_summary: '', app2_description: '', app2_spare1: '', app2_spare2: '', app2_spare3: '', app2_spare4: '',
  };
}

export type OsType = 'linux' | 'windows' | 'freebsd' | 'netbsd' | 'openbsd' | 'hurd' | 'dos' | 'minix' | 'unknown';

/** Facts about one root; fields mirror inspect-get-*. */
export interface OsFacts {
  /** The root filesystem's mountable name (/dev/sda2, /dev/VG/LV, /dev/sda2:subvol). */
  root: string;
  type: OsType;
  distro: string;
  productName: string;
  productVariant: string;
  majorVersion: number;
  minorVersion: number;
  arch: string;
  hostname: string;
  packageFormat: string;
  packageManagement: string;
  /** 'installed' | 'installer' | 'unknown' */
  format: string;
  isLive: boolean;
  /** Mountpoint → mountable, the root's own '/' included (from fstab on Linux; {'/': root} on Windows). */
  mountpoints: Record<string, string>;
  /** Every filesystem belonging to this OS (root first, then fstab's, then swap). */
  filesystems: string[];
  /** Windows only (else undefined). */
  windowsSystemroot?: string;
  windowsCurrentControlSet?: string;
  windowsSoftwareHive?: string;
  windowsSystemHive?: string;
  /** Drive letter ('C') → mountable. Windows only; {} elsewhere. */
  driveMappings: Record<string, string>;
  /** Windows build id or Linux VERSION_ID-ish build, when known ('unknown' otherwise). */
  buildId: string;
  /** libosinfo short id (e.g. 'debian12', 'fedora40', 'win10'), 'unknown' when not derivable. */
  osinfo: string;
  /** Filled lazily by inspect-list-applications2. */
  applications?: Application2[];
}

/** A fresh record for a root, every fact unknown. */
export function unknownFacts(root: string): OsFacts {
  return {
    root, type: 'unknown', distro: 'unknown', productName: 'unknown', productVariant: 'unknown',
    majorVersion: 0, minorVersion: 0, arch: 'unknown', hostname: 'unknown', packageFormat: 'unknown',
    packageManagement: 'unknown', format: 'unknown', isLive: false, mountpoints: { '/': root }, filesystems: [root],
    driveMappings: {}, buildId: 'unknown', osinfo: 'unknown',
  };
}
