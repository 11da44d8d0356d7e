/**
 * statfs as Linux's xfs_fs_statfs reports it for a freshly mounted filesystem:
 * blocks = data blocks less an internal log; free = the AGFs' free blocks
 * (plus their free-list blocks) less the allocator's per-AG set-aside and the
 * free-space btrees' own blocks; inode totals from the superblock counters.
 */
import type { StatVfs } from '../fs-driver.js';
import type { BlockReader } from './bmap.js';
import { parseAgf, type XfsGeometry } from './superblock.js';

const ST_RDONLY = 1;
const NAME_MAX = 255;
/** XFS_ALLOC_AGFL_RESERVE + 4 blocks per AG the allocator never hands out (xfs_alloc_set_aside). */
const SET_ASIDE_PER_AG = 8;
const INODES_PER_CHUNK = 64;

export function xfsStatfs(geo: XfsGeometry, read: BlockReader): StatVfs {
  let free = 0, allocbtBlocks = 0;
  for (let ag = 0; ag < geo.agCount; ag++) {
    const agf = parseAgf(read((ag * geo.agBlocks) * geo.blockSize + geo.sectSize, geo.sectSize), geo, ag);
    free += agf.freeblks + agf.flcount;
    // free-space btree blocks beyond the roots (rmap btree blocks are not the allocator's)
    allocbtBlocks += Math.max(0, agf.btreeblks - (geo.rmapbt ? agf.rmapBlocks - 1 : 0));
  }
  const logBlocks = geo.logStart ? geo.logBlocks : 0;
  const bfree = Math.max(0, free - geo.agCount * SET_ASIDE_PER_AG - allocbtBlocks);
  // Inodes: what exists plus what the free space could hold, at most imax_pct of the blocks
  // (in whole inode chunks), and never fewer than exist.
  const inodesPerBlock = 2 ** geo.inoPBLog;
  let files = geo.icount + bfree * inodesPerBlock;
  if (geo.imaxPct) {
    const chunkBlocks = Math.max(1, INODES_PER_CHUNK / inodesPerBlock);
    const maxBlocks = Math.floor(Math.floor((geo.dblocks * geo.imaxPct) / 100) / chunkBlocks) * chunkBlocks;
    files = Math.min(files, maxBlocks * inodesPerBlock);
  }
  files = Math.max(files, geo.icount);
  const ffree = Math.max(0, files - (geo.icount - geo.ifree));
  const u = geo.uuid;
  const word = (o: number) => (u[o]! | (u[o + 1]! << 8) | (u[o + 2]! << 16) | (u[o + 3]! << 24)) >>> 0;
  return {
    bsize: geo.blockSize,
    frsize: geo.blockSize,
    blocks: geo.dblocks - logBlocks,
    bfree,
    bavail: bfree,
    files,
    ffree,
    favail: ffree,
    fsid: (word(0) ^ word(4)) >>> 0,
    flag: ST_RDONLY,
    namemax: NAME_MAX,
  };
}
