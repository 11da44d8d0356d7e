/**
 * The qcow2 header (versions 2 and 3) and its extensions, parsed and checked
 * before a single guest byte is read: every field the read path trusts (cluster
 * size, L1 table place and size, virtual size, feature bits) is validated here,
 * so a lying header becomes one ImageError naming the file, never a wild read.
 */
import { ImageError } from '../../errors/index.js';
import { qcow2Problem } from '../format.js';

/** Raised when the image is valid but needs qemu to be read (backing files of other formats or behind protocols). */
export class Qcow2NeedsQemu extends ImageError {
  constructor(disk: string, problem: string) {
    super(disk, problem);
    this.name = 'Qcow2NeedsQemu';
  }
}

export type CompressionType = 'zlib' | 'zstd';

export interface Qcow2Header {
  version: 2 | 3;
  clusterBits: number;
  clusterSize: number;
  /** Virtual (guest) size in bytes. */
  size: number;
  l1Size: number;
  l1Offset: number;
  headerLength: number;
  dirty: boolean;
  /** Compatible feature bit 0: refcounts may be stale (the dirty bit then says so). */
  lazyRefcounts: boolean;
  extendedL2: boolean;
  compression: CompressionType;
  refcountOrder: number;
  snapshots: number;
  /** Host offset and length in clusters of the refcount table. */
  refcountTableOffset: number;
  refcountTableClusters: number;
  /** Autoclear feature bits (bitmaps, raw external data): a writer that does not know them clears them. */
  autoclear: bigint;
  /** All incompatible feature bits as stored (the dirty bit among them). */
  incompatible: bigint;
  backingName?: string;
  backingFormat?: string;
  /** Names of incompatible/compatible/autoclear feature bits from the feature-name table. */
  featureNames: Map<string, string>;
}

const MAGIC = 0x514649fb;
const EXT_END = 0;
const EXT_BACKING_FORMAT = 0xe2792aca;
const EXT_FEATURE_TABLE = 0x6803f857;
const EXT_DATA_FILE = 0x44415441;

const INCOMPAT_DIRTY = 1n << 0n;
const INCOMPAT_CORRUPT = 1n << 1n;
const INCOMPAT_DATA_FILE = 1n << 2n;
const INCOMPAT_COMPRESSION = 1n << 3n;
const INCOMPAT_EXTL2 = 1n << 4n;
const INCOMPAT_KNOWN = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;

/** qemu's own limits: the L1 table at most 32 MiB, the virtual size at most 2^61 (we: what a JS number holds exactly). */
const MAX_L1_BYTES = 32 * 1024 * 1024;
const MAX_VIRTUAL_SIZE = Number.MAX_SAFE_INTEGER;

/** Bytes of one L2 entry. */
export function l2EntryBytes(h: Pick<Qcow2Header, 'extendedL2'>): number {
  return h.extendedL2 ? 16 : 8;
}

/**
 * Parses and validates the header found in `head` (the image's first cluster, or
 * all of the file when it is shorter). `name` is the file as the user named it.
 */
export function parseQcow2Header(head: Uint8Array, fileSize: number, name: string): Qcow2Header {
  const bad = (problem: string): never => {
    throw new ImageError(name, `qcow2 image is corrupt: ${problem}`);
  };
  const problem = qcow2Problem(head, fileSize);
  if (problem) throw new ImageError(name, problem);
  const v = new DataView(head.buffer, head.byteOffset, head.length);
  if (v.getUint32(0) !== MAGIC) bad('bad magic number');
  const version = v.getUint32(4) as 2 | 3;
  const clusterBits = v.getUint32(20);
  const clusterSize = 2 ** clusterBits;
  const size64 = v.getBigUint64(24);
  if (size64 > BigInt(MAX_VIRTUAL_SIZE)) bad(`virtual size ${size64} is too large`);
  const size = Number(size64);
  const crypt = v.getUint32(32);
  if (crypt !== 0) throw new ImageError(name, 'is an encrypted qcow2 image: encrypted disks are not supported');
  const l1Size = v.getUint32(36);
  const l1Offset = Number(v.getBigUint64(40));
  const snapshots = v.getUint32(60);

  let incompat = 0n;
  let compat = 0n;
  let autoclear = 0n;
  let refcountOrder = 4;
  let headerLength = 72;
  let compression: CompressionType = 'zlib';
  if (version === 3) {
    if (head.length < 104) bad('the version 3 header is cut short');
    incompat = v.getBigUint64(72);
    compat = v.getBigUint64(80);
    autoclear = v.getBigUint64(88);
    refcountOrder = v.getUint32(96);
    headerLength = v.getUint32(100);
    if (headerLength < 104 || headerLength % 8 !== 0 || headerLength > Math.min(clusterSize, head.length)) {
      bad(`bad header length ${headerLength}`);
    }
    if (refcountOrder > 6) bad(`bad refcount order ${refcountOrder}`);
    if (incompat & INCOMPAT_COMPRESSION) {
      if (headerLength <= 104) bad('the compression type bit is set but the header has no compression type field');
      const type = head[104]!;
      if (type === 1) compression = 'zstd';
      else if (type !== 0) bad(`unknown compression type ${type}`);
    }
  }
  const featureNames = new Map<string, string>();
  const ext = parseExtensions(head, v, headerLength, version, featureNames, bad);

  const unknown = incompat & ~INCOMPAT_KNOWN;
  if (unknown !== 0n) {
    const bits: string[] = [];
    for (let b = 0n; b < 64n; b++) if (unknown & (1n << b)) bits.push(featureNames.get(`incompatible:${b}`) ?? `bit ${b}`);
    throw new ImageError(name, `qcow2 image uses unsupported feature(s): ${bits.join(', ')}`);
  }
  if (incompat & INCOMPAT_CORRUPT) throw new ImageError(name, 'qcow2 image is marked corrupt: repair it with qemu-img check -r all');
  if (incompat & INCOMPAT_DATA_FILE) {
    throw new ImageError(name, `qcow2 image keeps its data in an external file${ext.dataFile ? ` (${ext.dataFile})` : ''}: external data files are not supported`);
  }

  if (l1Size * 8 > MAX_L1_BYTES) bad(`its L1 table is too large (${l1Size} entries)`);
  if (l1Offset % clusterSize !== 0 && l1Size > 0) bad(`its L1 table is not cluster-aligned (offset ${l1Offset})`);
  const extendedL2 = (incompat & INCOMPAT_EXTL2) !== 0n;
  if (extendedL2 && clusterBits < 14) bad(`extended L2 entries need clusters of at least 16 KiB (cluster size ${clusterSize})`);
  const l2Entries = clusterSize / (extendedL2 ? 16 : 8);
  const needed = Math.ceil(size / (clusterSize * l2Entries));
  if (l1Size < needed) bad(`its L1 table (${l1Size} entries) is too small for the virtual size ${size}`);

  let backingName: string | undefined;
  const nameOffset = Number(v.getBigUint64(8));
  const nameLength = v.getUint32(16);
  if (nameOffset !== 0 && nameLength !== 0) {
    if (nameLength > 1023 || nameOffset + nameLength > Math.min(clusterSize, head.length)) {
      bad(`its backing file name (offset ${nameOffset}, length ${nameLength}) lies outside the header cluster`);
    }
    backingName = new TextDecoder().decode(head.subarray(nameOffset, nameOffset + nameLength));
  }
  return {
    version,
    clusterBits,
    clusterSize,
    size,
    l1Size,
    l1Offset,
    headerLength,
    dirty: (incompat & INCOMPAT_DIRTY) !== 0n,
    lazyRefcounts: (compat & 1n) !== 0n,
    extendedL2,
    compression,
    refcountOrder,
    snapshots,
    refcountTableOffset: Number(v.getBigUint64(48)),
    refcountTableClusters: v.getUint32(56),
    autoclear,
    incompatible: incompat,
    backingName,
    backingFormat: ext.backingFormat,
    featureNames,
  };
}

interface Extensions {
  backingFormat?: string;
  dataFile?: string;
}

/** Header extensions: (type u32, length u32, data padded to 8 bytes) up to the end marker. */
function parseExtensions(
  head: Uint8Array,
  v: DataView,
  start: number,
  version: number,
  featureNames: Map<string, string>,
  bad: (p: string) => never,
): Extensions {
  const out: Extensions = {};
  const text = (a: number, b: number) => new TextDecoder().decode(head.subarray(a, b)).replace(/\0+$/, '');
  let at = start;
  // Version 2 images written by old qemu may have no end marker: stop at the end of what we read.
  while (at + 8 <= head.length) {
    const type = v.getUint32(at);
    const length = v.getUint32(at + 4);
    if (type === EXT_END) break;
    if (at + 8 + length > head.length) {
      if (version === 2) break;
      bad(`header extension 0x${type.toString(16)} (length ${length}) runs past the header cluster`);
    }
    const data = at + 8;
    if (type === EXT_BACKING_FORMAT) out.backingFormat = text(data, data + length);
    else if (type === EXT_DATA_FILE) out.dataFile = text(data, data + length);
    else if (type === EXT_FEATURE_TABLE) {
      // 48-byte entries: type u8 (0 incompatible, 1 compatible, 2 autoclear), bit u8, name[46].
      for (let e = data; e + 48 <= data + length; e += 48) {
        const kind = ['incompatible', 'compatible', 'autoclear'][head[e]!] ?? 'unknown';
        featureNames.set(`${kind}:${head[e + 1]}`, text(e + 2, e + 48));
      }
    }
    at = data + Math.ceil(length / 8) * 8;
  }
  return out;
}
