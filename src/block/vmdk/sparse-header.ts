/**
 * The hosted sparse extent header ("KDMV", VMware Virtual Disk Format 1.1,
 * section 4), little-endian, one sector. Every field the read path trusts
 * (grain size, grain table size, grain directory place, capacity) is checked
 * here, so a lying header becomes one ImageError, never a wild read.
 * streamOptimized files may keep the real header in a footer at the end
 * (gdOffset = GD_AT_END): that footer is read and checked the same way.
 */
export const SECTOR = 512;
export const SPARSE_MAGIC = 0x564d444b; // "KDMV" read little-endian
export const COWD_MAGIC = 0x44574f43; // "COWD": VMware 3 / ESX vmfsSparse extents

const FLAG_REDUNDANT_GT = 1 << 1;
const FLAG_ZERO_GRAIN = 1 << 2;
const FLAG_MARKERS = 1 << 17;
const COMPRESSION_DEFLATE = 1;
/** gdOffset of a stream whose grain directory is written after the grains (read the footer). */
export const GD_AT_END = 0xffffffffffffffffn;

const MARKER_EOS = 0;
const MARKER_FOOTER = 3;

/** Grains of 1 sector .. 64 MiB (VMware writes 64 KiB; qemu refuses over 1 GiB). */
export const MAX_GRAIN_SECTORS = 128 * 1024;
/** Grain tables of at most 512 entries, as qemu enforces (the spec fixes 512). */
export const MAX_GTES_PER_GT = 512;
/** qemu's limit on the grain directory (its L1 table): 32 MiB. */
const MAX_GD_BYTES = 32 * 1024 * 1024;

export interface SparseHeader {
  version: number;
  flags: number;
  /** Sectors of guest data the extent holds. */
  capacity: number;
  grainSectors: number;
  descriptorOffset: number;
  descriptorSectors: number;
  gtesPerGt: number;
  /** Byte offsets of the grain directory and of its redundant copy (0: none). */
  gdOffset: number;
  rgdOffset: number;
  /** Entries in the grain directory. */
  gdEntries: number;
  compressed: boolean;
  markers: boolean;
  zeroGrains: boolean;
  /** True when the header came from the footer (gdOffset was GD_AT_END in the first sector). */
  fromFooter: boolean;
}

export function u64(v: DataView, at: number): bigint {
  return v.getBigUint64(at, true);
}

/** The sector number in `n` as a byte offset, or a problem when it is beyond what a JS number holds. */
function bytesOf(n: bigint, what: string): number | string {
  if (n > BigInt(Math.floor(Number.MAX_SAFE_INTEGER / SECTOR))) return `${what} (${n}) is out of range`;
  return Number(n) * SECTOR;
}

/**
 * Parses the sparse header in the first sector `head` of a file of `fileSize`
 * bytes. `footer` is the file's last 1536 bytes (footer marker, footer, end of
 * stream), needed when the header says GD_AT_END. Returns a problem string.
 */
export function parseSparseHeader(head: Uint8Array, fileSize: number, footer?: Uint8Array): SparseHeader | string {
  if (head.length < SECTOR || fileSize < SECTOR) return `vmdk image is truncated: the sparse header is cut short (file size ${fileSize})`;
  let v = new DataView(head.buffer, head.byteOffset, SECTOR);
  const magic = v.getUint32(0, true);
  if (magic === COWD_MAGIC) return 'is a VMware 3 / vmfsSparse (COWD) extent: not supported: convert it with qemu-img convert -O vmdk';
  if (magic !== SPARSE_MAGIC) return 'vmdk image is corrupt: bad sparse extent magic';
  let fromFooter = false;
  if (u64(v, 56) === GD_AT_END) {
    const f = footerHeader(footer, fileSize);
    if (typeof f === 'string') return f;
    v = f;
    fromFooter = true;
  }
  const version = v.getUint32(4, true);
  if (version < 1 || version > 3) return `vmdk image has unsupported sparse extent version ${version}`;
  const flags = v.getUint32(8, true);
  const capacity64 = u64(v, 12);
  const grain64 = u64(v, 20);
  const gtesPerGt = v.getUint32(44, true);
  if (grain64 < 1n || grain64 > BigInt(MAX_GRAIN_SECTORS) || (grain64 & (grain64 - 1n)) !== 0n) {
    return `vmdk image is corrupt: grain size ${grain64} sectors is out of range (a power of two, 1 to ${MAX_GRAIN_SECTORS})`;
  }
  if (gtesPerGt < 1 || gtesPerGt > MAX_GTES_PER_GT) return `vmdk image is corrupt: ${gtesPerGt} entries per grain table is out of range (1 to ${MAX_GTES_PER_GT})`;
  const capacityBytes = bytesOf(capacity64, 'its capacity');
  if (typeof capacityBytes === 'string') return `vmdk image is corrupt: ${capacityBytes}`;
  const grainSectors = Number(grain64);
  const capacity = capacityBytes / SECTOR;
  const gdEntries = Math.ceil(capacity / (grainSectors * gtesPerGt));
  if (gdEntries * 4 > MAX_GD_BYTES) return `vmdk image is corrupt: its grain directory is too large (${gdEntries} entries)`;
  const gdOffset = bytesOf(u64(v, 56), 'its grain directory offset');
  if (typeof gdOffset === 'string') return `vmdk image is corrupt: ${gdOffset}`;
  const redundant = (flags & FLAG_REDUNDANT_GT) !== 0;
  const rgd = redundant ? bytesOf(u64(v, 48), 'its redundant grain directory offset') : 0;
  const descriptorOffset = bytesOf(u64(v, 28), 'its descriptor offset');
  const descriptorSectors = bytesOf(u64(v, 36), 'its descriptor size');
  if (typeof descriptorOffset === 'string' || typeof descriptorSectors === 'string') return 'vmdk image is corrupt: bad descriptor offset or size';
  return {
    version,
    flags,
    capacity,
    grainSectors,
    descriptorOffset,
    descriptorSectors: descriptorSectors / SECTOR,
    gtesPerGt,
    gdOffset,
    rgdOffset: typeof rgd === 'string' ? 0 : rgd,
    gdEntries,
    compressed: v.getUint16(77, true) === COMPRESSION_DEFLATE,
    markers: (flags & FLAG_MARKERS) !== 0,
    zeroGrains: (flags & FLAG_ZERO_GRAIN) !== 0,
    fromFooter,
  };
}

/** The header copy in a stream's footer: [footer marker][header][end-of-stream marker] at the end of the file. */
function footerHeader(footer: Uint8Array | undefined, fileSize: number): DataView | string {
  if (!footer || footer.length < 3 * SECTOR || fileSize < 4 * SECTOR) {
    return `vmdk image is truncated: its grain directory is at the end of the stream, but the footer is missing (file size ${fileSize})`;
  }
  const f = new DataView(footer.buffer, footer.byteOffset + footer.length - 3 * SECTOR, 3 * SECTOR);
  const ok =
    f.getUint32(8, true) === 0 &&
    f.getUint32(12, true) === MARKER_FOOTER &&
    f.getUint32(SECTOR, true) === SPARSE_MAGIC &&
    u64(f, 2 * SECTOR) === 0n &&
    f.getUint32(2 * SECTOR + 8, true) === 0 &&
    f.getUint32(2 * SECTOR + 12, true) === MARKER_EOS;
  if (!ok) return 'vmdk image is corrupt or truncated: its grain directory is at the end of the stream, but there is no valid footer';
  const header = new DataView(footer.buffer, footer.byteOffset + footer.length - 2 * SECTOR, SECTOR);
  if (u64(header, 56) === GD_AT_END) return 'vmdk image is corrupt: the footer does not say where the grain directory is';
  return header;
}
