/**
 * Mountables that are not plain devices: libguestfs's "btrfsvol:DEVICE/SUBVOLUME" names a
 * btrfs subvolume (list-filesystems prints them; mounting one mounts DEVICE with
 * subvol=SUBVOLUME). DEVICE is a disk or partition (/dev/sda2) or an LV (/dev/VG/LV).
 */
export interface BtrfsVolume {
  device: string;
  subvol: string;
}

export function splitBtrfsvol(mountable: string): BtrfsVolume | undefined {
  if (!mountable.startsWith('btrfsvol:')) return undefined;
  const rest = mountable.slice('btrfsvol:'.length);
  const hit = /^(\/dev\/(?:sd|vd|hd|xvd)[a-z]+\d*)\/(.+)$/.exec(rest) ?? /^(\/dev\/[^/]+\/[^/]+)\/(.+)$/.exec(rest);
  return hit ? { device: hit[1]!, subvol: hit[2]! } : undefined;
}

export function btrfsvol(v: BtrfsVolume): string {
  return `btrfsvol:${v.device}/${v.subvol}`;
}
