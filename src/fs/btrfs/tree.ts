/**
 * btrfs B-trees: reading a tree block (checksum, fsid, bytenr and level
 * verified), and visiting the items of a tree in key order from a given key.
 * Levels strictly decrease on the way down, so a descent is bounded; a walk
 * also has a block budget, so a corrupt tree whose pointers share subtrees
 * cannot make it run for ever.
 */
import { Lru } from '../../util/lru.js';
import { crc32c } from '../xfs/crc32c.js';
import { corrupt, u64, type Superblock } from './superblock.js';
import { partitionPoint } from '../../util/partition-point.js';

const HEADER = 101, LEAF_ITEM = 25, KEY_PTR = 33;
const MAX_LEVEL = 7;
const BLOCK_CACHE = 2048;
/** Tree blocks one walk may read: far more than any real walk of a filesystem this size needs. */
const WALK_BUDGET = 400_000;

export interface Key {
  objectid: number;
  type: number;
  offset: number;
}

export interface TreeRoot {
  bytenr: number;
  level: number;
  /** What the tree is, for error messages ("root tree", "subvolume 256", ...). */
  name: string;
}

interface Block {
  buf: Uint8Array;
  dv: DataView;
  level: number;
  nritems: number;
}

/** A visitor returns false to stop the walk. */
export type ItemVisitor = (key: Key, data: Uint8Array) => boolean | void;

export function compareKey(a: Key, b: Key): number {
  return a.objectid - b.objectid || a.type - b.type || a.offset - b.offset;
}

const keyAt = (dv: DataView, o: number): Key => ({ objectid: u64(dv, o), type: dv.getUint8(o + 8), offset: u64(dv, o + 9) });

/** compareKey(keyAt(dv, o), k) without building the key: searches run this in their inner loop. */
function compareKeyAt(dv: DataView, o: number, k: Key): number {
  return u64(dv, o) - k.objectid || dv.getUint8(o + 8) - k.type || u64(dv, o + 9) - k.offset;
}

export class TreeReader {
  private readonly cache = new Lru<number, Block>(BLOCK_CACHE);

  /**
   * `readLogical(logical, length, mirror)` reads copy `mirror` of a range; `mirrors(logical)`
   * says how many copies there are: a tree block whose checksum, filesystem or address does
   * not match is read again from the next copy, as the kernel does.
   */
  constructor(
    private readonly sb: Superblock,
    private readonly readLogical: (logical: number, length: number, mirror: number) => Uint8Array,
    private readonly mirrors: (logical: number) => number = () => 1,
  ) {}

  /** Why a tree block read from disk is not the one asked for, or undefined when it is. */
  private mismatch(buf: Uint8Array, dv: DataView, bytenr: number): string | undefined {
    if (dv.getUint32(0, true) !== crc32c(buf.subarray(0x20))) return 'checksum mismatch';
    const uuid = this.sb.metadataUuid;
    for (let i = 0; i < 16; i++) if (buf[0x20 + i] !== uuid[i]) return 'belongs to another filesystem';
    if (u64(dv, 0x30) !== bytenr) return 'records another address';
    return undefined;
  }

  private block(bytenr: number, level: number, tree: TreeRoot): Block {
    const hit = this.cache.get(bytenr);
    if (hit) {
      if (hit.level !== level) throw corrupt(`${tree.name}: tree block ${bytenr} has level ${hit.level}, expected ${level}`);
      return hit;
    }
    const size = this.sb.nodeSize;
    if (bytenr % this.sb.sectorSize) throw corrupt(`${tree.name}: tree block address ${bytenr} is not aligned`);
    const what = `${tree.name}: tree block ${bytenr}`;
    let buf: Uint8Array = new Uint8Array(0), dv = new DataView(buf.buffer), problem: string | undefined;
    for (let mirror = 0, n = this.mirrors(bytenr); mirror < n; mirror++) {
      buf = this.readLogical(bytenr, size, mirror);
      dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      problem = this.mismatch(buf, dv, bytenr);
      if (!problem) break;
    }
    if (problem) throw corrupt(problem === 'checksum mismatch' ? `${what}: ${problem}` : `${what} ${problem}`);
    const nritems = dv.getUint32(0x60, true), lvl = dv.getUint8(0x64);
    if (lvl !== level) throw corrupt(`${what} has level ${lvl}, expected ${level}`);
    if (HEADER + nritems * (lvl ? KEY_PTR : LEAF_ITEM) > size) throw corrupt(`${what} has ${nritems} items, more than fit`);
    if (lvl) {
      if (nritems === 0) throw corrupt(`${what} is an empty node`);
    } else {
      for (let i = 0; i < nritems; i++) {
        const o = HEADER + i * LEAF_ITEM;
        const dataOff = dv.getUint32(o + 17, true), dataSize = dv.getUint32(o + 21, true);
        if (HEADER + dataOff + dataSize > size || HEADER + dataOff < HEADER + nritems * LEAF_ITEM) throw corrupt(`${what}: item ${i} lies outside the block`);
      }
    }
    const b = { buf, dv, level: lvl, nritems };
    this.cache.set(bytenr, b);
    return b;
  }

  /** Visits the items with key >= from, in key order, until the visitor returns false. */
  walk(tree: TreeRoot, from: Key, visit: ItemVisitor): void {
    if (tree.level > MAX_LEVEL) throw corrupt(`${tree.name}: root level ${tree.level} is too deep`);
    let budget = WALK_BUDGET;
    const descend = (bytenr: number, level: number): boolean => {
      if (--budget < 0) throw corrupt(`${tree.name}: the tree has more blocks than the filesystem can hold (a loop?)`);
      const b = this.block(bytenr, level, tree);
      if (level === 0) {
        for (let i = this.firstAtLeast(b, from, LEAF_ITEM); i < b.nritems; i++) {
          const o = HEADER + i * LEAF_ITEM;
          const dataOff = HEADER + b.dv.getUint32(o + 17, true);
          if (visit(keyAt(b.dv, o), b.buf.subarray(dataOff, dataOff + b.dv.getUint32(o + 21, true))) === false) return false;
        }
        return true;
      }
      // the child that may hold `from` is the last whose first key is <= from
      const start = Math.max(0, this.firstAtLeast(b, from, KEY_PTR, true));
      for (let i = start; i < b.nritems; i++) {
        if (!descend(u64(b.dv, HEADER + i * KEY_PTR + 17), level - 1)) return false;
      }
      return true;
    };
    descend(tree.bytenr, tree.level);
  }

  /**
   * Leaves: index of the first item with key >= from. Nodes (lastAtMost): index of
   * the last pointer with key <= from (-1 when every key is greater).
   */
  private firstAtLeast(b: Block, from: Key, stride: number, lastAtMost = false): number {
    const lo = partitionPoint(b.nritems, (i) => {
      const c = compareKeyAt(b.dv, HEADER + i * stride, from);
      return lastAtMost ? c <= 0 : c < 0;
    });
    return lastAtMost ? lo - 1 : lo;
  }

  /** Every item of one objectid and type, with offsets from..to, in order (data copied). */
  items(tree: TreeRoot, objectid: number, type: number, from = 0, to = Infinity): { key: Key; data: Uint8Array }[] {
    const out: { key: Key; data: Uint8Array }[] = [];
    this.walk(tree, { objectid, type, offset: from }, (key, data) => {
      if (key.objectid !== objectid || key.type !== type || key.offset > to) return false;
      out.push({ key, data: data.slice() });
    });
    return out;
  }

  /** The item with exactly this key (data copied), or undefined. */
  get(tree: TreeRoot, key: Key): Uint8Array | undefined {
    let found: Uint8Array | undefined;
    this.walk(tree, key, (k, data) => {
      if (compareKey(k, key) === 0) found = data.slice();
      return false;
    });
    return found;
  }
}
