/**
 * Decoding of qcow2 L1 and L2 entries into what a guest range maps to. Entries
 * are read as two 32-bit halves: guest offsets stay plain numbers (exact up to
 * 2^53), with no BigInt on the hot read path.
 */
export type UnitKind = 'data' | 'zero' | 'unallocated' | 'compressed';

/** What one cluster (or, with extended L2 entries, one subcluster) maps to. */
export interface Unit {
  kind: UnitKind;
  /** Host offset of the unit's data ('data') or of the compressed stream ('compressed'). */
  host: number;
  /** Compressed stream length in bytes ('compressed'). */
  compressedLength: number;
}

const HI = 2 ** 32;

/** The host offset in bits 9..55 of an L1 or standard L2 entry. */
export function entryOffset(hi: number, lo: number): number {
  return (hi & 0x00ffffff) * HI + ((lo & 0xfffffe00) >>> 0);
}

export interface EntryLayout {
  clusterBits: number;
  version: number;
  extendedL2: boolean;
}

/**
 * Classifies subcluster `sub` (0 for standard entries) of the L2 entry at byte
 * `at` of `table`. Returns a problem string for entries the spec forbids.
 */
export function decodeL2(table: DataView, at: number, sub: number, layout: EntryLayout): Unit | string {
  const hi = table.getUint32(at);
  const lo = table.getUint32(at + 4);
  if (hi & 0x40000000) {
    // Compressed: host offset in the low x bits, then (number of extra 512-byte sectors) above it.
    const x = 70 - layout.clusterBits; // 62 - (clusterBits - 8)
    const host = (hi & ((1 << (x - 32)) - 1)) * HI + (lo >>> 0);
    const sectors = ((hi >>> (x - 32)) & ((1 << (layout.clusterBits - 8)) - 1)) + 1;
    return { kind: 'compressed', host, compressedLength: sectors * 512 - (host % 512) };
  }
  const host = entryOffset(hi, lo);
  if (host % 2 ** layout.clusterBits !== 0) return `an L2 entry points at an unaligned cluster (offset ${host})`;
  if (!layout.extendedL2) {
    if (layout.version >= 3 && lo & 1) return { kind: 'zero', host, compressedLength: 0 };
    return { kind: host === 0 ? 'unallocated' : 'data', host, compressedLength: 0 };
  }
  // Extended L2: a second 64-bit word, low half "allocated", high half "reads as zeroes", one bit per subcluster.
  const zeroBits = table.getUint32(at + 8);
  const allocBits = table.getUint32(at + 12);
  const allocated = (allocBits >>> sub) & 1;
  const zero = (zeroBits >>> sub) & 1;
  if (allocated && zero) return `an extended L2 entry marks subcluster ${sub} both allocated and zero`;
  if (allocated) {
    if (host === 0) return `an extended L2 entry allocates subcluster ${sub} of an unallocated cluster`;
    const subSize = 2 ** layout.clusterBits / 32;
    return { kind: 'data', host: host + sub * subSize, compressedLength: 0 };
  }
  return { kind: zero ? 'zero' : 'unallocated', host: 0, compressedLength: 0 };
}
