/**
 * statfs as Linux's btrfs_statfs reports it right after mount: sizes in
 * sectors; blocks = the device size divided by the data profile's copies;
 * free = blocks less what the block groups use (all types, divided the same
 * way) less the global block reserve; available = the data block groups' free
 * space plus unallocated device space a data chunk could still take.
 * btrfs keeps no inode counts: files and ffree are 0.
 */
import type { StatVfs } from '../fs-driver.js';
import { BG_DATA, profileFactor } from './chunks.js';
import { ITEM, OBJ } from './items.js';
import { COMPAT_RO_BLOCK_GROUP_TREE, corrupt, u64 } from './superblock.js';
import type { BtrfsDriver } from './btrfs-driver.js';

const ST_RDONLY = 1;
const NAME_MAX = 255;
const SZ_1M = 1024 * 1024, SZ_512M = 512 * SZ_1M;
const STRIPE_LEN = 64 * 1024;
const MAX_LEVEL = 8;
/** Items an unlink needs, which the global reserve must always cover (BTRFS_UNLINK_METADATA_UNITS). */
const UNLINK_UNITS = 6;
const FREE_SPACE_TREE = 0x1; // compat_ro FREE_SPACE_TREE

export function btrfsStatfs(drv: BtrfsDriver): StatVfs {
  const { sb } = drv;
  const bits = Math.log2(sb.sectorSize);
  const bgRoot = sb.compatRo & COMPAT_RO_BLOCK_GROUP_TREE
    ? drv.subvolumes.tree(OBJ.BLOCK_GROUP_TREE).root
    : drv.subvolumes.tree(OBJ.EXTENT_TREE).root;
  let totalUsed = 0, dataTotal = 0, dataUsed = 0, factor = 1, dataType = BG_DATA;
  for (const c of drv.chunks.all) {
    const d = drv.reader.get(bgRoot, { objectid: c.logical, type: ITEM.BLOCK_GROUP_ITEM, offset: c.length });
    if (!d || d.length < 24) throw corrupt(`chunk at ${c.logical} has no block group item`);
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const used = u64(dv, 0), flags = u64(dv, 16);
    const f = profileFactor(flags);
    totalUsed += used * f;
    if (flags & BG_DATA) {
      dataTotal += c.length * f;
      dataUsed += used * f;
      factor = f;
      dataType = flags;
    }
  }
  const blocks = Math.floor(Math.floor(sb.totalBytes / factor) / 2 ** bits);
  let bfree = blocks - Math.floor(Math.floor(totalUsed / factor) / 2 ** bits);
  const rsv = Math.floor(globalReserve(drv) / 2 ** bits);
  bfree = bfree >= rsv ? bfree - rsv : 0;
  const unallocated = unallocatedDataSpace(sb.devTotalBytes, sb.devBytesUsed, dataType);
  const bavail = Math.floor((Math.floor((dataTotal - dataUsed) / factor) + Math.floor(unallocated / factor)) / 2 ** bits);
  const w = (o: number) => ((sb.fsid[o]! << 24) | (sb.fsid[o + 1]! << 16) | (sb.fsid[o + 2]! << 8) | sb.fsid[o + 3]!) >>> 0;
  return {
    bsize: sb.sectorSize,
    frsize: sb.sectorSize,
    blocks,
    bfree,
    bavail,
    files: 0,
    ffree: 0,
    favail: 0,
    // the low word only (the full 64-bit value, with the subvolume id, is linuxFsid's in src/api)
    fsid: (w(0) ^ w(8)) >>> 0,
    flag: ST_RDONLY,
    namemax: NAME_MAX,
  };
}

/**
 * The global block reserve: what the extent, checksum and free-space trees (and the
 * block group tree) use, at least enough to change those trees and the root tree for an
 * unlink and its delayed refs, at most 512 MiB.
 */
function globalReserve(drv: BtrfsDriver): number {
  const { sb } = drv;
  // one item for the root tree itself, then one per tree counted
  let bytes = 0, items = 1;
  const trees: number[] = [OBJ.EXTENT_TREE, OBJ.CSUM_TREE, OBJ.FREE_SPACE_TREE];
  if (sb.compatRo & COMPAT_RO_BLOCK_GROUP_TREE) trees.push(OBJ.BLOCK_GROUP_TREE);
  for (const id of trees) {
    const r = drv.subvolumes.rootItem(id);
    if (!r) continue;
    bytes += r.bytesUsed;
    items++;
  }
  items += UNLINK_UNITS;
  const perItem = sb.nodeSize * MAX_LEVEL * 2;
  const delayedRefs = UNLINK_UNITS * perItem * (sb.compatRo & FREE_SPACE_TREE ? 2 : 1);
  return Math.min(Math.max(bytes, items * perItem + delayedRefs), SZ_512M);
}

/** Unallocated space of the (single) device a new data chunk could use: less the first MiB, whole stripes. */
function unallocatedDataSpace(total: number, used: number, dataType: number): number {
  const devStripes = dataType & 0x20 /* DUP */ ? 2 : 1;
  const minStripe = devStripes * STRIPE_LEN;
  let avail = Math.floor(Math.max(0, total - used) / STRIPE_LEN) * STRIPE_LEN;
  if (avail <= SZ_1M + minStripe) return 0;
  avail -= SZ_1M;
  return avail;
}
