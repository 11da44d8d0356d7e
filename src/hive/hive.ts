/**
 * A Windows registry hive, read and edited in memory.
 *
 * Node and value handles are absolute file offsets of the nk / vk cells (as
 * hivex uses them). Every offset read from the file is checked to be the start
 * of an allocated cell of the right kind before it is used, so corrupt hives
 * fail with a one-line HiveError and never read out of bounds, loop or
 * allocate more than the file could describe. The layers: hive-cells.ts (the
 * file as checked cells), cell-allocator.ts, hive-reader.ts (the read API);
 * this file adds creating a hive, the edits and commit.
 */
import {
  BASE_BLOCK_SIZE,
  BIG_DATA_SEGMENT,
  HBIN_HEADER_SIZE,
  HiveError,
  KEY_COMP_NAME,
  KEY_HIVE_ENTRY,
  KEY_NO_DELETE,
  NK,
  NONE,
  SK,
  VALUE_COMP_NAME,
  VK,
  compareNames,
  encodeUtf16,
  headerChecksum,
  isCompressible,
  lhHash,
  toFiletime,
  windowsChecksum,
} from './format.js';
import { LEAF_MAX, LEAF_SPLIT, SIG_NK, SIG_VK, SIG_SK, SIG_LH, SIG_LI, SIG_RI, SIG_DB, hex, align8, type Leaf, type ListShape } from './records.js';
import type { HiveOpenOptions } from './hive-cells.js';
import { HiveReader } from './hive-reader.js';
import { defaultSecurityDescriptor } from './security-descriptor.js';

export type { HiveOpenOptions } from './hive-cells.js';
export type { HiveValueData } from './hive-reader.js';

export interface HiveCreateOptions {
  rootName?: string;
  /** Minor version of the format: 3 (XP-era, no big data), 5 (default, Vista and later). */
  minorVersion?: number;
  timestamp?: Date;
  /** The name stored in the base block (last 31 characters kept), e.g. '\\SystemRoot\\System32\\Config\\SOFTWARE'. */
  fileName?: string;
}

export interface HiveValueInput {
  /** Value name; '' is the default value ("@"). */
  key: string;
  type: number;
  value: Uint8Array;
}

export class Hive extends HiveReader {
  private constructor(buf: Uint8Array, opts: HiveOpenOptions) {
    super(buf, opts);
  }

  /** Parses a hive. Throws HiveError for anything that is not a well-formed hive. */
  static open(bytes: Uint8Array, opts: HiveOpenOptions = {}): Hive {
    return new Hive(bytes, opts);
  }

  /** A new empty hive (one root key), writable. */
  static create(opts: HiveCreateOptions = {}): Hive {
    const minor = opts.minorVersion ?? 5;
    const when = toFiletime(opts.timestamp ?? new Date());
    const buf = new Uint8Array(BASE_BLOCK_SIZE + 4096);
    const dv = new DataView(buf.buffer);
    buf.set([0x72, 0x65, 0x67, 0x66], 0);
    dv.setUint32(4, 1, true);
    dv.setUint32(8, 1, true);
    dv.setBigUint64(0x0c, when, true);
    dv.setUint32(0x14, 1, true);
    dv.setUint32(0x18, minor, true);
    dv.setUint32(0x1c, 0, true); // primary file
    dv.setUint32(0x20, 1, true); // format: direct memory load
    dv.setUint32(0x24, 0x20, true); // root cell: the first cell
    dv.setUint32(0x28, 4096, true);
    dv.setUint32(0x2c, 1, true); // clustering factor
    const fname = (opts.fileName ?? '').slice(-31);
    buf.set(encodeUtf16(fname), 0x30);
    // hbin
    const h = BASE_BLOCK_SIZE;
    buf.set([0x68, 0x62, 0x69, 0x6e], h);
    dv.setUint32(h + 4, 0, true);
    dv.setUint32(h + 8, 4096, true);
    dv.setBigUint64(h + 0x14, when, true);
    // root nk
    const rootName = opts.rootName ?? 'ROOT';
    if (!isCompressible(rootName) || rootName.length === 0 || rootName.length > 255) {
      throw new HiveError(`bad root key name "${rootName}": 1 to 255 ASCII characters`, 'EINVAL');
    }
    const nkSize = align8(4 + NK.name + rootName.length);
    let c = h + HBIN_HEADER_SIZE;
    dv.setInt32(c, -nkSize, true);
    let d = c + 4;
    dv.setUint16(d + NK.sig, SIG_NK, true);
    dv.setUint16(d + NK.flags, KEY_HIVE_ENTRY | KEY_NO_DELETE | KEY_COMP_NAME, true);
    dv.setBigUint64(d + NK.timestamp, when, true);
    dv.setUint32(d + NK.parent, 0, true);
    for (const f of [NK.subkeys, NK.volatileSubkeys, NK.values, NK.className]) dv.setUint32(d + f, NONE, true);
    const skRel = nkSize + HBIN_HEADER_SIZE;
    dv.setUint32(d + NK.security, skRel, true);
    dv.setUint16(d + NK.nameLength, rootName.length, true);
    for (let i = 0; i < rootName.length; i++) buf[d + NK.name + i] = rootName.charCodeAt(i);
    // sk with a default security descriptor, a one-element circular list
    const sd = defaultSecurityDescriptor();
    c += nkSize;
    const skSize = align8(4 + SK.descriptor + sd.length);
    dv.setInt32(c, -skSize, true);
    d = c + 4;
    dv.setUint16(d + SK.sig, SIG_SK, true);
    dv.setUint32(d + SK.flink, skRel, true);
    dv.setUint32(d + SK.blink, skRel, true);
    dv.setUint32(d + SK.refCount, 1, true);
    dv.setUint32(d + SK.descriptorSize, sd.length, true);
    buf.set(sd, d + SK.descriptor);
    c += skSize;
    dv.setInt32(c, h + 4096 - c, true); // the rest of the hbin is one free cell
    dv.setUint32(0x1fc, windowsChecksum(headerChecksum(buf)), true);
    return new Hive(buf, { write: true, timestamp: opts.timestamp });
  }

  private assertWritable(): void {
    if (!this.writable) throw this.err('opened read-only', 'EROFS');
  }


  private touch(d: number): void {
    this.dv.setBigUint64(d + NK.timestamp, this.now(), true);
  }

  // ───────────────────────────── subkey lists ─────────────────────────────

  private entryHash(leaf: Leaf, i: number): number {
    if (leaf.sig === SIG_LH) return this.u32(leaf.off + 12 + 8 * i);
    return lhHash(this.nodeName(this.leafEntry(leaf, i)));
  }

  /** Writes a fresh lh (or ri of lh) structure for these entries; returns its 0x1000-relative offset. */
  private writeList(entries: { off: number; hash: number }[]): number {
    const writeLeaf = (part: { off: number; hash: number }[], cap: number): number => {
      const c = this.alloc(4 + 8 * cap);
      this.dv.setUint16(c + 4, SIG_LH, true);
      this.dv.setUint16(c + 6, part.length, true);
      part.forEach((e, i) => {
        this.setU32(c + 8 + 8 * i, e.off - BASE_BLOCK_SIZE);
        this.setU32(c + 12 + 8 * i, e.hash);
      });
      return c - BASE_BLOCK_SIZE;
    };
    if (entries.length <= LEAF_MAX) {
      let cap = 4;
      while (cap < entries.length + 1 && cap < LEAF_MAX) cap *= 2;
      return writeLeaf(entries, Math.min(cap, LEAF_MAX));
    }
    const leaves: number[] = [];
    for (let i = 0; i < entries.length; i += LEAF_SPLIT) leaves.push(writeLeaf(entries.slice(i, i + LEAF_SPLIT), LEAF_MAX));
    if (leaves.length > 0xffff) throw this.err('too many subkeys for one key', 'ENOSPC');
    const ri = this.alloc(4 + 4 * leaves.length);
    this.dv.setUint16(ri + 4, SIG_RI, true);
    this.dv.setUint16(ri + 6, leaves.length, true);
    leaves.forEach((l, i) => this.setU32(ri + 8 + 4 * i, l));
    return ri - BASE_BLOCK_SIZE;
  }

  private freeList(shape: ListShape): void {
    for (const l of shape.leaves) this.freeCell(l.off);
    if (shape.ri !== undefined) this.freeCell(shape.ri);
  }

  private insertSubkey(parent: number, child: number, name: string): void {
    let d = this.nkData(parent);
    const shape = this.listShape(d, parent);
    const hash = lhHash(name);
    if (!shape) {
      const rel = this.writeList([{ off: child, hash }]);
      d = this.nkData(parent);
      this.setU32(d + NK.subkeys, rel);
      this.setU32(d + NK.nSubkeys, 1);
      return;
    }
    // Find the leaf: the last whose first entry sorts before the name.
    let li = 0;
    for (let lo = 1, hi = shape.leaves.length - 1; lo <= hi; ) {
      const mid = (lo + hi) >> 1;
      const leaf = shape.leaves[mid]!;
      if (leaf.count === 0 || compareNames(this.nodeName(this.leafEntry(leaf, 0)), name) <= 0) {
        li = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const leaf = shape.leaves[li]!;
    let lo = 0;
    let hi = leaf.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareNames(this.nodeName(this.leafEntry(leaf, mid)), name) < 0) lo = mid + 1;
      else hi = mid;
    }
    const total = this.u32(d + NK.nSubkeys);
    if (leaf.sig === SIG_LH && leaf.count < leaf.capacity && leaf.count < LEAF_MAX) {
      const at = leaf.off + 8 + 8 * lo;
      this.buf.copyWithin(at + 8, at, leaf.off + 8 + 8 * leaf.count);
      this.setU32(at, child - BASE_BLOCK_SIZE);
      this.setU32(at + 4, hash);
      this.dv.setUint16(leaf.off + 6, leaf.count + 1, true);
      this.setU32(d + NK.nSubkeys, total + 1);
      return;
    }
    const entries: { off: number; hash: number }[] = [];
    shape.leaves.forEach((l, i) => {
      for (let j = 0; j < l.count; j++) {
        if (i === li && j === lo) entries.push({ off: child, hash });
        entries.push({ off: this.leafEntry(l, j), hash: this.entryHash(l, j) });
      }
      if (i === li && lo === l.count) entries.push({ off: child, hash });
    });
    const rel = this.writeList(entries);
    this.freeList(shape);
    d = this.nkData(parent);
    this.setU32(d + NK.subkeys, rel);
    this.setU32(d + NK.nSubkeys, entries.length);
  }

  private removeSubkey(parent: number, child: number): void {
    const d = this.nkData(parent);
    const shape = this.listShape(d, parent);
    if (shape) {
      for (let li = 0; li < shape.leaves.length; li++) {
        const leaf = shape.leaves[li]!;
        const esz = leaf.sig === SIG_LI ? 4 : 8;
        for (let i = 0; i < leaf.count; i++) {
          if (this.leafEntry(leaf, i) !== child) continue;
          const at = leaf.off + 8 + esz * i;
          this.buf.copyWithin(at, at + esz, leaf.off + 8 + esz * leaf.count);
          this.dv.setUint16(leaf.off + 6, leaf.count - 1, true);
          this.setU32(d + NK.nSubkeys, Math.max(0, this.u32(d + NK.nSubkeys) - 1));
          if (leaf.count - 1 === 0) {
            if (shape.ri !== undefined && shape.leaves.length > 1) {
              const rat = shape.ri + 8 + 4 * li;
              this.buf.copyWithin(rat, rat + 4, shape.ri + 8 + 4 * shape.leaves.length);
              this.dv.setUint16(shape.ri + 6, shape.leaves.length - 1, true);
              this.freeCell(leaf.off);
            } else {
              this.freeList(shape);
              this.setU32(d + NK.subkeys, NONE);
              this.setU32(d + NK.nSubkeys, 0);
            }
          }
          return;
        }
      }
    }
    throw this.err(`key at ${hex(child)} is not in its parent's subkey list`);
  }

  // ───────────────────────────── write API ─────────────────────────────

  /** Adds a subkey; returns its handle. A subkey of that name must not exist. */
  nodeAddChild(parent: number, name: string): number {
    this.assertWritable();
    if (name.length === 0 || name.length > 255 || name.includes('\\')) {
      throw this.err(`bad key name "${name}": 1 to 255 characters, no backslash`, 'EINVAL');
    }
    if (this.nodeGetChild(parent, name) !== undefined) throw this.err(`key "${name}" exists`, 'EEXIST');
    const compressed = isCompressible(name);
    const nameBytes = compressed ? Uint8Array.from(name, (ch) => ch.charCodeAt(0)) : encodeUtf16(name);
    const c = this.alloc(NK.name + nameBytes.length);
    const d = c + 4;
    const now = this.now();
    this.dv.setUint16(d + NK.sig, SIG_NK, true);
    this.dv.setUint16(d + NK.flags, compressed ? KEY_COMP_NAME : 0, true);
    this.dv.setBigUint64(d + NK.timestamp, now, true);
    this.setU32(d + NK.parent, parent - BASE_BLOCK_SIZE);
    for (const f of [NK.subkeys, NK.volatileSubkeys, NK.values, NK.className, NK.security]) this.setU32(d + f, NONE);
    this.dv.setUint16(d + NK.nameLength, nameBytes.length, true);
    this.buf.set(nameBytes, d + NK.name);
    // Share the parent's security descriptor.
    const pd = this.nkData(parent);
    const skRel = this.u32(pd + NK.security);
    if (skRel !== NONE) {
      const sk = this.abs(skRel, `security of key ${hex(parent)}`);
      if (this.cellLen(sk) >= SK.descriptor && this.sig(sk + 4) === SIG_SK) {
        this.setU32(sk + 4 + SK.refCount, this.u32(sk + 4 + SK.refCount) + 1);
        this.setU32(d + NK.security, skRel);
      }
    }
    this.insertSubkey(parent, c, name);
    const pd2 = this.nkData(parent);
    const m = this.u32(pd2 + NK.maxSubkeyName);
    if ((m & 0xffff) < name.length * 2) this.setU32(pd2 + NK.maxSubkeyName, (m & 0xffff0000) | (name.length * 2));
    this.touch(pd2);
    return c;
  }

  /** Deletes a key and everything below it, freeing their cells. */
  nodeDeleteChild(node: number): void {
    this.assertWritable();
    if (node === this.rootOff) throw this.err('cannot delete the root key', 'EINVAL');
    const parent = this.nodeParent(node);
    const all: number[] = [];
    const seen = new Set<number>();
    const stack = [node];
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) throw this.err(`key at ${hex(n)} reached twice (loop in the key tree)`);
      seen.add(n);
      all.push(n);
      for (const c of this.nodeChildren(n)) stack.push(c);
    }
    this.removeSubkey(parent, node);
    this.touch(this.nkData(parent));
    for (const n of all) {
      this.deleteAllValues(n);
      const d = this.nkData(n);
      const shape = this.listShape(d, n);
      if (shape) this.freeList(shape);
      const cls = this.u32(d + NK.className);
      if (cls !== NONE) this.freeCell(this.abs(cls, `class name of key ${hex(n)}`));
      const sk = this.u32(d + NK.security);
      if (sk !== NONE) this.releaseSecurity(this.abs(sk, `security of key ${hex(n)}`));
      this.freeCell(n);
    }
  }

  private releaseSecurity(sk: number): void {
    const d = sk + 4;
    if (this.cellLen(sk) < SK.descriptor || this.sig(d) !== SIG_SK) throw this.err(`security record at ${hex(sk)} is not an "sk" record`);
    const refs = this.u32(d + SK.refCount);
    if (refs > 1) {
      this.setU32(d + SK.refCount, refs - 1);
      return;
    }
    const flink = this.u32(d + SK.flink);
    const blink = this.u32(d + SK.blink);
    const self = sk - BASE_BLOCK_SIZE;
    if (flink !== self && blink !== self) {
      const f = this.abs(flink, 'next security record');
      const b = this.abs(blink, 'previous security record');
      this.setU32(b + 4 + SK.flink, flink);
      this.setU32(f + 4 + SK.blink, blink);
    }
    this.freeCell(sk);
  }

  private freeValue(v: number): void {
    this.freeValueData(v);
    this.freeCell(v);
  }

  /** Frees the cells that hold the data of value `v` (its own vk cell stays). */
  private freeValueData(v: number): void {
    const l = this.dataLayout(v);
    if (l.kind === 'cell') this.freeCell(l.cell);
    else if (l.kind === 'big') {
      for (const s of new Set(l.segs)) this.freeCell(s);
      this.freeCell(l.list);
      this.freeCell(l.db);
    }
  }

  private deleteAllValues(node: number): void {
    const vals = this.nodeValues(node);
    for (const v of new Set(vals)) this.freeValue(v);
    const d = this.nkData(node);
    if (this.u32(d + NK.values) !== NONE && vals.length) this.freeCell(this.abs(this.u32(d + NK.values), 'value list'));
    this.setU32(d + NK.values, NONE);
    this.setU32(d + NK.nValues, 0);
  }

  /** Stores data; returns the vk's size and data fields. */
  private writeData(bytes: Uint8Array): { size: number; data: number } {
    const len = bytes.length;
    if (len > 0x7fffffff) throw this.err('value data too large', 'EINVAL');
    if (len <= 4) {
      let data = 0;
      for (let i = 0; i < len; i++) data |= bytes[i]! << (8 * i);
      return { size: (len | 0x80000000) >>> 0, data: data >>> 0 };
    }
    if (len <= BIG_DATA_SEGMENT || this.minorVersion < 4) {
      const c = this.alloc(len);
      this.buf.set(bytes, c + 4);
      return { size: len, data: c - BASE_BLOCK_SIZE };
    }
    const n = Math.ceil(len / BIG_DATA_SEGMENT);
    if (n > 0xffff) throw this.err('value data too large', 'EINVAL');
    const segs: number[] = [];
    for (let i = 0; i < n; i++) {
      const part = bytes.subarray(i * BIG_DATA_SEGMENT, Math.min(len, (i + 1) * BIG_DATA_SEGMENT));
      // 4 spare bytes: a full segment is then a 16352-byte cell, and hivex reads each segment as its cell less 8 bytes.
      const c = this.alloc(part.length + 4);
      this.buf.set(part, c + 4);
      segs.push(c - BASE_BLOCK_SIZE);
    }
    const list = this.alloc(4 * n);
    segs.forEach((s, i) => this.setU32(list + 4 + 4 * i, s));
    const db = this.alloc(8);
    this.dv.setUint16(db + 4, SIG_DB, true);
    this.dv.setUint16(db + 6, n, true);
    this.setU32(db + 8, list - BASE_BLOCK_SIZE);
    return { size: len, data: db - BASE_BLOCK_SIZE };
  }

  /** Sets (replaces or adds) one value of a key. */
  nodeSetValue(node: number, v: HiveValueInput): number {
    this.assertWritable();
    if (v.key.length > 16383) throw this.err('value name too long', 'EINVAL');
    if (!Number.isInteger(v.type) || v.type < 0 || v.type > 0xffffffff) throw this.err(`bad value type ${v.type}`, 'EINVAL');
    const existing = this.nodeGetValue(node, v.key);
    const { size, data } = this.writeData(v.value);
    let vk: number;
    if (existing !== undefined) {
      this.freeValueData(existing);
      vk = existing;
    } else {
      const compressed = isCompressible(v.key);
      const nameBytes = compressed ? Uint8Array.from(v.key, (ch) => ch.charCodeAt(0)) : encodeUtf16(v.key);
      vk = this.alloc(VK.name + nameBytes.length);
      this.dv.setUint16(vk + 4 + VK.sig, SIG_VK, true);
      this.dv.setUint16(vk + 4 + VK.nameLength, nameBytes.length, true);
      this.dv.setUint16(vk + 4 + VK.flags, compressed ? VALUE_COMP_NAME : 0, true);
      this.buf.set(nameBytes, vk + 4 + VK.name);
      this.appendValue(node, vk);
    }
    const vd = vk + 4;
    this.setU32(vd + VK.dataSize, size);
    this.setU32(vd + VK.data, data);
    this.setU32(vd + VK.type, v.type);
    const d = this.nkData(node);
    if (this.u32(d + NK.maxValueName) < v.key.length * 2) this.setU32(d + NK.maxValueName, v.key.length * 2);
    if (this.u32(d + NK.maxValueData) < v.value.length) this.setU32(d + NK.maxValueData, v.value.length);
    this.touch(d);
    return vk;
  }

  private appendValue(node: number, vk: number): void {
    const d = this.nkData(node);
    const n = this.u32(d + NK.nValues);
    const rel = this.u32(d + NK.values);
    if (n > 0 && rel !== NONE) {
      const list = this.abs(rel, `value list of key ${hex(node)}`);
      if (this.cellLen(list) >= 4 * (n + 1)) {
        this.setU32(list + 4 + 4 * n, vk - BASE_BLOCK_SIZE);
        this.setU32(d + NK.nValues, n + 1);
        return;
      }
      if (this.cellLen(list) < 4 * n) throw this.err(`key at ${hex(node)}: ${n} values do not fit its value list`);
    }
    let cap = 4;
    while (cap < n + 1) cap *= 2;
    const nl = this.alloc(4 * cap);
    if (n > 0 && rel !== NONE) {
      const old = rel + BASE_BLOCK_SIZE;
      this.buf.copyWithin(nl + 4, old + 4, old + 4 + 4 * n);
      this.freeCell(old);
    }
    this.setU32(nl + 4 + 4 * n, vk - BASE_BLOCK_SIZE);
    const d2 = this.nkData(node);
    this.setU32(d2 + NK.values, nl - BASE_BLOCK_SIZE);
    this.setU32(d2 + NK.nValues, n + 1);
  }

  /** Deletes one value; returns false when the key has no value of that name. */
  nodeDeleteValue(node: number, key: string): boolean {
    this.assertWritable();
    const v = this.nodeGetValue(node, key);
    if (v === undefined) return false;
    const d = this.nkData(node);
    const n = this.u32(d + NK.nValues);
    const list = this.abs(this.u32(d + NK.values), 'value list');
    for (let i = 0; i < n; i++) {
      if (this.u32(list + 4 + 4 * i) + BASE_BLOCK_SIZE === v) {
        this.buf.copyWithin(list + 4 + 4 * i, list + 8 + 4 * i, list + 4 + 4 * n);
        break;
      }
    }
    this.setU32(d + NK.nValues, n - 1);
    if (n - 1 === 0) {
      this.freeCell(list);
      this.setU32(this.nkData(node) + NK.values, NONE);
    }
    this.freeValue(v);
    this.touch(this.nkData(node));
    return true;
  }

  /** Replaces all values of a key with these (as hivex_node_set_values). */
  nodeSetValues(node: number, values: readonly HiveValueInput[]): void {
    this.assertWritable();
    const seen = new Set<string>();
    for (const v of values) {
      const k = v.key.toUpperCase();
      if (seen.has(k)) throw this.err(`value "${v.key}" given twice`, 'EINVAL');
      seen.add(k);
    }
    this.deleteAllValues(node);
    for (const v of values) this.nodeSetValue(node, v);
    this.touch(this.nkData(node));
  }

  /** True when edits were made since open (or the last commit). */
  get isModified(): boolean {
    return this.modified;
  }

  /** The hive as a file: sequence numbers bumped and equal, header timestamp, size and checksum updated. */
  commit(): Uint8Array {
    this.assertWritable();
    const seq = (Math.max(this.seq1, this.seq2) + 1) >>> 0;
    this.seq1 = this.seq2 = seq;
    this.setU32(4, seq);
    this.setU32(8, seq);
    this.dv.setBigUint64(0x0c, this.now(), true);
    this.setU32(0x28, this.end - BASE_BLOCK_SIZE);
    this.setU32(0x1fc, windowsChecksum(headerChecksum(this.buf)));
    this.modified = false;
    return this.buf.slice(0, this.end);
  }

  /** Size of the hive file commit() would write. */
  get size(): number {
    return this.end;
  }
}
