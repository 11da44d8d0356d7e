/**
 * An ext2/3/4 inode's creation time (i_crtime), read from the inode table on the
 * device: the driver's attributes are POSIX stat's, which has no creation time,
 * and filesystem-walk reports it as sleuthkit does. 0 when the inode has no room
 * for it (128-byte inodes: ext2, old ext3).
 */
import type { SyncDevice, Timespec } from '../fs-driver.js';

function bytesAt(dev: SyncDevice, offset: number, length: number): DataView {
  const b = new Uint8Array(length);
  dev.read(offset, b);
  return new DataView(b.buffer);
}

/** A reader of crtimes for the filesystem on `dev`. */
export function extCrtimeReader(dev: SyncDevice): (ino: number) => Timespec {
  const sb = bytesAt(dev, 1024, 1024);
  const firstDataBlock = sb.getUint32(20, true);
  const blockSize = 1024 << sb.getUint32(24, true);
  const inodesPerGroup = sb.getUint32(40, true);
  const inodeSize = sb.getUint32(76, true) >= 1 ? sb.getUint16(88, true) : 128;
  const is64 = (sb.getUint32(96, true) & 0x80) !== 0;
  const descSize = is64 ? sb.getUint16(254, true) : 32;
  const gdt = (firstDataBlock + 1) * blockSize;
  return (ino) => {
    if (inodeSize <= 128 || ino < 1) return { sec: 0, nsec: 0 };
    const group = Math.floor((ino - 1) / inodesPerGroup);
    const desc = bytesAt(dev, gdt + group * descSize, descSize);
    const table = desc.getUint32(8, true) + (descSize >= 64 ? desc.getUint32(0x28, true) * 2 ** 32 : 0);
    const inode = bytesAt(dev, table * blockSize + ((ino - 1) % inodesPerGroup) * inodeSize, inodeSize);
    // i_crtime and i_crtime_extra end at byte 152 of the inode; i_extra_isize says how far the extra part goes.
    if (128 + inode.getUint16(128, true) < 152) return { sec: 0, nsec: 0 };
    const extra = inode.getUint32(148, true);
    return { sec: inode.getInt32(144, true) + (extra & 3) * 2 ** 32, nsec: extra >>> 2 };
  };
}
