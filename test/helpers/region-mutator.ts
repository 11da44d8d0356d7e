/**
 * The mutation step the filesystem fuzz tests share (ext4, NTFS, FAT): 1-4
 * mutations per image, each in one of the image's metadata regions, drawn from
 * a table of kinds. The kinds every format uses (flip a bit, set a byte, write
 * an extreme 16/32-bit value, a run of junk, cut the image short) are made here
 * from each format's values; a format adds its own kinds (FAT's BPB fields,
 * directory entries, FAT entries) as entries of the same table, and wraps each
 * mutation when a region needs repairing around it (NTFS's update sequences).
 */

export interface MutationRegion {
  offset: number;
  size: number;
}

/** Where one mutation lands, and what it may draw or change. */
export interface MutationSite<R extends MutationRegion> {
  buf: Uint8Array;
  dv: DataView;
  reg: R;
  /** A byte offset inside `reg`. */
  at: number;
  r: () => number;
  /** A whole number below n from the same stream. */
  pick: (n: number) => number;
  /** Exposes only the first `len` bytes of the image to the driver. */
  cut: (len: number) => void;
}

export type Mutation<R extends MutationRegion> = (site: MutationSite<R>) => void;

export interface RegionMutatorSpec<R extends MutationRegion> {
  regions: R[];
  /** The kinds, drawn evenly (list a kind twice to draw it twice as often). */
  kinds: Mutation<R>[];
  /** The chance that a mutation goes to regions[0] (the superblock, the boot sector) instead of an even draw. */
  firstShare?: number;
  /** Offsets fall in the first `bytes` of a region with this chance (the headers), else anywhere in it. */
  head?: { share: number; bytes: number };
  /**
   * Called before each mutation of a region: returns a mark for the description
   * and what to run after the mutation (NTFS: undo the record's fixups, redo them).
   */
  around?: (buf: Uint8Array, reg: R, r: () => number) => { mark: string; after: () => void } | undefined;
}

/** A `mutate` for runFsFuzz: mutates the buffer in place; returns the length to expose and a description. */
export function regionMutator<R extends MutationRegion>(spec: RegionMutatorSpec<R>): (buf: Uint8Array, r: () => number) => { len: number; desc: string } {
  const { regions, kinds, firstShare, head, around } = spec;
  return (buf, r) => {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const pick = (n: number) => Math.floor(r() * n);
    let len = buf.length;
    const cut = (n: number) => {
      len = n;
    };
    const ops: string[] = [];
    const n = 1 + pick(4);
    for (let i = 0; i < n; i++) {
      const reg = firstShare !== undefined && r() < firstShare ? regions[0]! : regions[pick(regions.length)]!;
      const wrap = around?.(buf, reg, r);
      const kind = pick(kinds.length);
      const at = reg.offset + (head && r() < head.share ? pick(Math.min(reg.size, head.bytes)) : pick(reg.size));
      ops.push(`${kind}@${reg.offset}+${at - reg.offset}${wrap?.mark ?? ''}`);
      kinds[kind]!({ buf, dv, reg, at, r, pick, cut });
      wrap?.after();
    }
    return { len, desc: ops.join(',') };
  };
}

/** Flips one bit. */
export const flipBit: Mutation<MutationRegion> = ({ buf, at, pick }) => {
  buf[at]! ^= 1 << pick(8);
};

/** Sets a byte to 0x00, 0xFF or a random value. */
export const setByte: Mutation<MutationRegion> = ({ buf, at, pick }) => {
  buf[at] = [0x00, 0xff, pick(256)][pick(3)]!;
};

/** Writes one of `values` (little-endian) as a 32-bit word, at `at` rounded down to `align`, inside the region. */
export function setWord32(values: number[], align: 2 | 4 = 4): Mutation<MutationRegion> {
  return ({ dv, reg, at, pick }) => dv.setUint32(Math.min(at & ~(align - 1), reg.offset + reg.size - 4), values[pick(values.length)]!, true);
}

/** Writes one of `values` or a random value below `randomBelow` (little-endian) as an even-aligned 16-bit word inside the region. */
export function setWord16(values: number[], randomBelow: number): Mutation<MutationRegion> {
  return ({ dv, reg, at, pick }) => dv.setUint16(Math.min(at & ~1, reg.offset + reg.size - 2), [...values, pick(randomBelow)][pick(values.length + 1)]!, true);
}

/** Up to 64 bytes from `at` (inside the region) set to 0x00, 0xFF or random bytes. */
export const junkRun: Mutation<MutationRegion> = ({ buf, reg, at, pick }) => {
  const end = Math.min(reg.offset + reg.size, at + 1 + pick(64));
  const v = pick(3);
  for (let j = at; j < end; j++) buf[j] = v === 0 ? 0 : v === 1 ? 0xff : pick(256);
};

/** Cuts the image anywhere, or somewhere in or just after the region. */
export const truncate: Mutation<MutationRegion> = ({ buf, reg, r, pick, cut }) => {
  cut(r() < 0.5 ? pick(buf.length) : Math.min(buf.length, reg.offset + pick(reg.size + 4096)));
};
