/**
 * The fs worker's btrfs queries (btrfs-subvolume-list, -get-default, and the
 * subvolume entries of list-filesystems): read from the driver of a mounted
 * guest path, or from the device opened read-only for the call. Paths are as
 * btrfs-progs prints them on that mount (see Subvolumes.list).
 */
import { FsError, type SyncDevice } from '../../fs/fs-driver.js';
import type { Vfs } from '../../fs/vfs.js';
import type { SubvolumeInfo } from '../../fs/btrfs/subvolumes.js';

export interface BtrfsInfo {
  defaultId: number;
  /** The subvolume mounted (at the path, or by a plain or btrfsvol: mount of the device). */
  mountedId: number;
  subvolumes: SubvolumeInfo[];
}

/** Where the filesystem is: a mounted guest path, or a device to open. */
export type BtrfsTarget = { path: string } | { deviceId: number; device: string; size: number; options: string };

export function btrfsOps(vfs: Vfs, device: (id: number, size: number) => SyncDevice) {
  return {
    async btrfsInfo(target: BtrfsTarget): Promise<BtrfsInfo> {
      const { BtrfsDriver, openBtrfs } = await import('../../fs/btrfs/btrfs-driver.js');
      if ('path' in target) {
        const { mount } = vfs.resolve(target.path, true);
        if (!(mount.driver instanceof BtrfsDriver)) throw new FsError('EINVAL', `${target.path}: not a btrfs filesystem`);
        const drv = mount.driver;
        return { defaultId: drv.subvolumes.defaultId(), mountedId: drv.subvolId, subvolumes: drv.subvolumes.list(drv.subvolId) };
      }
      // mounted as `btrfs subvolume list` would see it: the default subvolume, or the btrfsvol's
      const drv = openBtrfs(device(target.deviceId, target.size), { readOnly: true, options: target.options });
      try {
        return { defaultId: drv.subvolumes.defaultId(), mountedId: drv.subvolId, subvolumes: drv.subvolumes.list(drv.subvolId) };
      } finally {
        drv.close();
      }
    },
  };
}

export type BtrfsOps = ReturnType<typeof btrfsOps>;
