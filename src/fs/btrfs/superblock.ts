/**
 * The btrfs superblock: primary copy at 64 KiB, mirrors at 64 MiB and 256 GiB.
 * The newest copy with a valid magic, checksum and bytenr is used (the kernel
 * reads the primary; btrfs-progs falls back on mirrors: taking the newest valid
 * one reads a filesystem whose primary was damaged). Layout: btrfs on-disk
 * format, "Superblock" (little-endian fields).
 */
import { FsError, type SyncDevice } from '../fs-driver.js';
import { crc32c } from '../xfs/crc32c.js';

export const SUPER_OFFSETS = [0x10000, 0x4000000, 0x4000000000];
const SUPER_SIZE = 4096;
const MAGIC = '_BHRfS_M';
const CSUM_CRC32C = 0;
const CSUM_NAMES = ['crc32c', 'xxhash64', 'sha256', 'blake2b'];

/** incompat flags this reader understands. */
export const INCOMPAT = {
  MIXED_BACKREF: 0x1, DEFAULT_SUBVOL: 0x2, MIXED_GROUPS: 0x4, COMPRESS_LZO: 0x8, COMPRESS_ZSTD: 0x10,
  BIG_METADATA: 0x20, EXTENDED_IREF: 0x40, RAID56: 0x80, SKINNY_METADATA: 0x100, NO_HOLES: 0x200,
  METADATA_UUID: 0x400, RAID1C34: 0x800, ZONED: 0x1000, EXTENT_TREE_V2: 0x2000,
} as const;
const INCOMPAT_KNOWN = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800;
/** compat_ro: the block group tree moves BLOCK_GROUP_ITEMs out of the extent tree. */
export const COMPAT_RO_BLOCK_GROUP_TREE = 0x8;

export interface Superblock {
  /** Which copy was used (byte offset on the device). */
  at: number;
  fsid: Uint8Array;
  /** The UUID stamped in every tree block header (metadata_uuid when that feature is set). */
  metadataUuid: Uint8Array;
  generation: number;
  root: number;
  rootLevel: number;
  chunkRoot: number;
  chunkRootLevel: number;
  totalBytes: number;
  bytesUsed: number;
  numDevices: number;
  sectorSize: number;
  nodeSize: number;
  stripeSize: number;
  incompat: number;
  compatRo: number;
  label: string;
  /** This device's devid (from the embedded dev_item). */
  devid: number;
  devTotalBytes: number;
  devBytesUsed: number;
  sysChunkArray: Uint8Array;
}

export const u64 = (dv: DataView, o: number): number => dv.getUint32(o + 4, true) * 0x100000000 + dv.getUint32(o, true);

export function corrupt(what: string): FsError {
  return new FsError('EUCLEAN', `btrfs: ${what}: filesystem is corrupt`);
}

/** Parses one 4 KiB superblock copy; undefined when it is not a btrfs superblock at all. */
export function parseSuperblock(buf: Uint8Array, at: number): Superblock | undefined {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (new TextDecoder('latin1').decode(buf.subarray(0x40, 0x48)) !== MAGIC) return undefined;
  const csumType = dv.getUint16(0xc4, true);
  if (csumType !== CSUM_CRC32C) {
    const name = CSUM_NAMES[csumType] ?? `type ${csumType}`;
    throw new FsError('ENOTSUP', `btrfs: ${name} checksums are not supported by the wasm backend (only crc32c): use --backend=appliance`);
  }
  if (dv.getUint32(0, true) !== crc32c(buf.subarray(0x20, SUPER_SIZE))) throw corrupt(`superblock at byte ${at}: checksum mismatch`);
  if (u64(dv, 0x30) !== at) throw corrupt(`superblock at byte ${at} records another location`);
  const sectorSize = dv.getUint32(0x90, true), nodeSize = dv.getUint32(0x94, true);
  const pow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;
  if (!pow2(sectorSize) || sectorSize < 4096 || sectorSize > 65536 || !pow2(nodeSize) || nodeSize < sectorSize || nodeSize > 65536) {
    throw corrupt('superblock sector or node size is invalid');
  }
  const sysSize = dv.getUint32(0xa0, true);
  if (sysSize > 2048) throw corrupt('superblock system chunk array is too large');
  const incompat = u64(dv, 0xbc);
  const unknown = incompat & ~INCOMPAT_KNOWN;
  if (unknown || dv.getUint32(0xc0, true)) {
    throw new FsError('ENOTSUP', `btrfs: unknown incompatible features 0x${(unknown >>> 0).toString(16)}: use --backend=appliance`);
  }
  if (incompat & INCOMPAT.ZONED) throw new FsError('ENOTSUP', 'btrfs: zoned filesystems are not supported by the wasm backend: use --backend=appliance');
  const fsid = buf.slice(0x20, 0x30);
  const label = buf.subarray(0x12b, 0x22b);
  const nul = label.indexOf(0);
  return {
    at,
    fsid,
    metadataUuid: incompat & INCOMPAT.METADATA_UUID ? buf.slice(0x23b, 0x24b) : fsid,
    generation: u64(dv, 0x48),
    root: u64(dv, 0x50),
    chunkRoot: u64(dv, 0x58),
    totalBytes: u64(dv, 0x70),
    bytesUsed: u64(dv, 0x78),
    numDevices: u64(dv, 0x88),
    sectorSize,
    nodeSize,
    stripeSize: dv.getUint32(0x9c, true),
    compatRo: u64(dv, 0xb4),
    incompat,
    rootLevel: dv.getUint8(0xc6),
    chunkRootLevel: dv.getUint8(0xc7),
    label: new TextDecoder('utf-8').decode(nul < 0 ? label : label.subarray(0, nul)),
    devid: u64(dv, 0xc9),
    devTotalBytes: u64(dv, 0xc9 + 8),
    devBytesUsed: u64(dv, 0xc9 + 16),
    sysChunkArray: buf.slice(0x32b, 0x32b + sysSize),
  };
}

/** Reads every superblock copy the device holds and returns the newest valid one. */
export function readSuperblock(device: SyncDevice): Superblock {
  let best: Superblock | undefined;
  let firstError: FsError | undefined;
  for (const at of SUPER_OFFSETS) {
    if (at + SUPER_SIZE > device.size) break;
    const buf = new Uint8Array(SUPER_SIZE);
    device.read(at, buf);
    try {
      const sb = parseSuperblock(buf, at);
      if (sb && (!best || sb.generation > best.generation)) best = sb;
    } catch (e) {
      // an unsupported feature applies to every copy; a corrupt copy may have a good mirror
      if (e instanceof FsError && e.errno !== 'EUCLEAN') throw e;
      firstError ??= e as FsError;
    }
  }
  if (best) return best;
  throw firstError ?? new FsError('EINVAL', 'btrfs: no btrfs superblock (bad magic number)');
}
