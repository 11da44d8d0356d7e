/**
 * Reading a hive: keys (names, times, class names, subkeys by name or in order,
 * parents, paths) and values (type, raw data, strings, numbers). Node and value
 * handles are the absolute offsets of their nk / vk cells, as hivex's are; each
 * record is checked to be what it should be before it is read.
 */
import {
  BASE_BLOCK_SIZE,
  BIG_DATA_SEGMENT,
  KEY_COMP_NAME,
  NK,
  NONE,
  REG_DWORD,
  REG_DWORD_BIG_ENDIAN,
  REG_EXPAND_SZ,
  REG_LINK,
  REG_MULTI_SZ,
  REG_QWORD,
  REG_SZ,
  REG_TYPE_NAMES,
  VALUE_COMP_NAME,
  VK,
  decodeLatin1,
  decodeUtf16,
  isCompressible,
  lhHash,
  namesEqual,
} from './format.js';
import { SIG_NK, SIG_VK, SIG_LF, SIG_LH, SIG_LI, SIG_RI, SIG_DB, hex, type Leaf, type ListShape, type DataLayout } from './records.js';
import { CellAllocator } from './cell-allocator.js';
import type { HiveOpenOptions } from './hive-cells.js';

/** The two records that carry a name: their signature, layout and what an error calls them. */
const NAMED_RECORDS = {
  key: { sig: SIG_NK, layout: NK, record: 'an "nk" record' },
  value: { sig: SIG_VK, layout: VK, record: 'a "vk" record' },
} as const;

export interface HiveValueData {
  type: number;
  bytes: Uint8Array;
}

export abstract class HiveReader extends CellAllocator {
  protected readonly rootOff: number;
  /** Decoded key names by nk offset (names are never changed in place; freed cells are dropped). */
  protected readonly names = new Map<number, string>();

  protected constructor(buf: Uint8Array, opts: HiveOpenOptions) {
    super(buf, opts);
    this.rootOff = this.nkData(this.abs(this.u32(0x24), 'root key')) - 4;
  }

  protected override cellFreed(off: number): void {
    this.names.delete(off);
  }

  /** Checks an nk cell and returns the offset of its data. */
  protected nkData(off: number, what = 'key'): number {
    return this.namedRecordData(off, what, 'key');
  }

  /** Checks a vk cell and returns the offset of its data. */
  protected vkData(off: number, what = 'value'): number {
    return this.namedRecordData(off, what, 'value');
  }

  /** A cell holding an nk (key) or vk (value) record whose name fits the cell: the offset of its data. */
  private namedRecordData(off: number, what: string, kind: 'key' | 'value'): number {
    const { sig, layout, record } = NAMED_RECORDS[kind];
    this.checkCell(off, what);
    const d = off + 4;
    const len = this.cellLen(off);
    if (len < layout.name || this.sig(d) !== sig) throw this.err(`${what} at ${hex(off)} is not ${record}`);
    if (this.dv.getUint16(d + layout.nameLength, true) > len - layout.name) throw this.err(`${kind} at ${hex(off)}: name longer than its cell`);
    return d;
  }

  /** The root key. */
  root(): number {
    return this.rootOff;
  }

  nodeName(node: number): string {
    const cached = this.names.get(node);
    if (cached !== undefined) return cached;
    const d = this.nkData(node);
    const n = this.dv.getUint16(d + NK.nameLength, true);
    const flags = this.dv.getUint16(d + NK.flags, true);
    const name = flags & KEY_COMP_NAME ? decodeLatin1(this.buf, d + NK.name, n) : decodeUtf16(this.buf, d + NK.name, n);
    if (this.names.size > 1_000_000) this.names.clear();
    this.names.set(node, name);
    return name;
  }

  /** Last-write time of a key as a FILETIME (100 ns ticks since 1601). */
  nodeTimestamp(node: number): bigint {
    return this.dv.getBigUint64(this.nkData(node) + NK.timestamp, true);
  }

  /** The class name of a key, or undefined when it has none. */
  nodeClassName(node: number): string | undefined {
    const d = this.nkData(node);
    const rel = this.u32(d + NK.className);
    const n = this.dv.getUint16(d + NK.classLength, true);
    if (rel === NONE || n === 0) return undefined;
    const c = this.abs(rel, `class name of key ${hex(node)}`);
    if (n > this.cellLen(c)) throw this.err(`class name of key ${hex(node)} longer than its cell`);
    return decodeUtf16(this.buf, c + 4, n);
  }

  protected readLeaf(off: number, what: string): Leaf {
    this.checkCell(off, what);
    const d = off + 4;
    const len = this.cellLen(off);
    if (len < 4) throw this.err(`${what} at ${hex(off)} is too small`);
    const sig = this.sig(d);
    const count = this.dv.getUint16(d + 2, true);
    const esz = sig === SIG_LI || sig === SIG_RI ? 4 : sig === SIG_LF || sig === SIG_LH ? 8 : 0;
    if (esz === 0) throw this.err(`${what} at ${hex(off)}: unknown subkey list signature ${hex(sig)}`);
    if (4 + count * esz > len) throw this.err(`${what} at ${hex(off)}: ${count} entries do not fit its cell`);
    return { off, sig, count, capacity: Math.floor((len - 4) / esz) };
  }

  protected listShape(d: number, node: number): ListShape | undefined {
    const rel = this.u32(d + NK.subkeys);
    const n = this.u32(d + NK.nSubkeys);
    if (n === 0 && rel === NONE) return undefined;
    if (rel === NONE) throw this.err(`key at ${hex(node)} has ${n} subkeys but no subkey list`);
    const top = this.readLeaf(this.abs(rel, `subkey list of key ${hex(node)}`), 'subkey list');
    if (top.sig !== SIG_RI) return { ri: undefined, leaves: [top] };
    const leaves: Leaf[] = [];
    const seen = new Set<number>();
    for (let i = 0; i < top.count; i++) {
      const lrel = this.u32(top.off + 8 + 4 * i);
      const leaf = this.readLeaf(this.abs(lrel, `ri entry ${i} of key ${hex(node)}`), 'subkey list');
      if (leaf.sig === SIG_RI) throw this.err(`subkey list at ${hex(top.off)}: an ri list inside an ri list`);
      if (seen.has(leaf.off)) throw this.err(`subkey list at ${hex(top.off)}: leaf ${hex(leaf.off)} listed twice (loop)`);
      seen.add(leaf.off);
      leaves.push(leaf);
    }
    return { ri: top.off, leaves };
  }

  protected leafEntry(leaf: Leaf, i: number): number {
    const esz = leaf.sig === SIG_LI ? 4 : 8;
    return this.u32(leaf.off + 8 + esz * i) + BASE_BLOCK_SIZE;
  }

  /** Subkeys of a key, in stored (sorted) order. */
  nodeChildren(node: number): number[] {
    const d = this.nkData(node);
    const shape = this.listShape(d, node);
    if (!shape) return [];
    const out: number[] = [];
    for (const leaf of shape.leaves) {
      for (let i = 0; i < leaf.count; i++) {
        const c = this.leafEntry(leaf, i);
        this.nkData(c, `subkey ${i} of key ${hex(node)}`);
        if (c === node) throw this.err(`key at ${hex(node)} lists itself as a subkey (loop)`);
        out.push(c);
      }
    }
    return out;
  }

  nodeNrChildren(node: number): number {
    return this.nodeChildren(node).length;
  }

  /** The subkey with this name (case-insensitive), or undefined. */
  nodeGetChild(node: number, name: string): number | undefined {
    const d = this.nkData(node);
    const shape = this.listShape(d, node);
    if (!shape) return undefined;
    // lh leaves carry a hash of the upcased name (Windows looks keys up by it): trust it for ASCII names.
    const useHash = isCompressible(name);
    const hash = lhHash(name);
    for (const leaf of shape.leaves) {
      for (let i = 0; i < leaf.count; i++) {
        if (useHash && leaf.sig === SIG_LH && this.u32(leaf.off + 12 + 8 * i) !== hash) continue;
        const c = this.leafEntry(leaf, i);
        this.nkData(c, `subkey ${i} of key ${hex(node)}`);
        if (namesEqual(this.nodeName(c), name)) return c;
      }
    }
    return undefined;
  }

  /** The parent key. Throws for the root key. */
  nodeParent(node: number): number {
    const d = this.nkData(node);
    if (node === this.rootOff) throw this.err('the root key has no parent', 'EINVAL');
    const p = this.u32(d + NK.parent) + BASE_BLOCK_SIZE;
    this.nkData(p, `parent of key ${hex(node)}`);
    return p;
  }

  /** Values of a key, in stored order. */
  nodeValues(node: number): number[] {
    const d = this.nkData(node);
    const n = this.u32(d + NK.nValues);
    if (n === 0) return [];
    const list = this.abs(this.u32(d + NK.values), `value list of key ${hex(node)}`);
    if (n > this.cellLen(list) / 4) throw this.err(`key at ${hex(node)}: ${n} values do not fit its value list`);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = this.u32(list + 4 + 4 * i) + BASE_BLOCK_SIZE;
      this.vkData(v, `value ${i} of key ${hex(node)}`);
      out.push(v);
    }
    return out;
  }

  nodeNrValues(node: number): number {
    return this.nodeValues(node).length;
  }

  /** The value with this name (case-insensitive; '' = the default value), or undefined. */
  nodeGetValue(node: number, key: string): number | undefined {
    for (const v of this.nodeValues(node)) if (namesEqual(this.valueKey(v), key)) return v;
    return undefined;
  }

  /** The value's name; '' for the default value. */
  valueKey(value: number): string {
    const d = this.vkData(value);
    const n = this.dv.getUint16(d + VK.nameLength, true);
    const flags = this.dv.getUint16(d + VK.flags, true);
    return flags & VALUE_COMP_NAME ? decodeLatin1(this.buf, d + VK.name, n) : decodeUtf16(this.buf, d + VK.name, n);
  }

  valueType(value: number): number {
    return this.u32(this.vkData(value) + VK.type);
  }

  /** Length of the value's data in bytes. */
  valueDataLength(value: number): number {
    const size = this.u32(this.vkData(value) + VK.dataSize);
    return size & 0x80000000 ? size & 0x7fffffff : size;
  }

  /** Where the data is: inline in the vk, one cell, or big-data segments. */
  protected dataLayout(value: number): DataLayout {
    const d = this.vkData(value);
    const size = this.u32(d + VK.dataSize);
    if (size & 0x80000000) {
      const len = size & 0x7fffffff;
      if (len > 4) throw this.err(`value at ${hex(value)}: inline data of ${len} bytes (at most 4)`);
      return { kind: 'inline', len };
    }
    if (size === 0) return { kind: 'inline', len: 0 };
    const cell = this.abs(this.u32(d + VK.data), `data of value ${hex(value)}`);
    const clen = this.cellLen(cell);
    if (size <= clen) return { kind: 'cell', len: size, cell };
    if (clen >= 8 && this.sig(cell + 4) === SIG_DB) {
      const n = this.dv.getUint16(cell + 6, true);
      const list = this.abs(this.u32(cell + 8), `big data list of value ${hex(value)}`);
      if (n * 4 > this.cellLen(list)) throw this.err(`value at ${hex(value)}: ${n} big data segments do not fit their list`);
      if (size > n * BIG_DATA_SEGMENT) throw this.err(`value at ${hex(value)}: ${size} bytes of data but only ${n} big data segments`);
      const segs: number[] = [];
      for (let i = 0; i < n; i++) segs.push(this.abs(this.u32(list + 4 + 4 * i), `big data segment ${i} of value ${hex(value)}`));
      return { kind: 'big', len: size, db: cell, list, segs };
    }
    throw this.err(`value at ${hex(value)}: ${size} bytes of data in a cell of ${clen}`);
  }

  /** The raw data of a value. */
  valueValue(value: number): HiveValueData {
    const type = this.valueType(value);
    const l = this.dataLayout(value);
    if (l.kind === 'inline') return { type, bytes: this.buf.slice(this.vkData(value) + VK.data, this.vkData(value) + VK.data + l.len) };
    if (l.kind === 'cell') return { type, bytes: this.buf.slice(l.cell + 4, l.cell + 4 + l.len) };
    const out = new Uint8Array(l.len);
    let o = 0;
    for (const s of l.segs) {
      if (o >= l.len) break;
      const n = Math.min(l.len - o, this.cellLen(s), BIG_DATA_SEGMENT);
      out.set(this.buf.subarray(s + 4, s + 4 + n), o);
      o += n;
    }
    if (o < l.len) throw this.err(`value at ${hex(value)}: big data segments hold ${o} of ${l.len} bytes`);
    return { type, bytes: out };
  }

  protected typeName(t: number): string {
    return REG_TYPE_NAMES[t] ?? `type ${t}`;
  }

  /** A REG_SZ, REG_EXPAND_SZ or REG_LINK value as a string (up to the first NUL). */
  valueString(value: number): string {
    const { type, bytes } = this.valueValue(value);
    if (type !== REG_SZ && type !== REG_EXPAND_SZ && type !== REG_LINK) {
      throw this.err(`value "${this.valueKey(value)}" is ${this.typeName(type)}, not a string`, 'EINVAL');
    }
    const s = decodeUtf16(bytes, 0, bytes.length);
    const z = s.indexOf('\0');
    return z < 0 ? s : s.slice(0, z);
  }

  /** Same as valueString (guestfish's hivex-value-utf8). */
  valueUtf8(value: number): string {
    return this.valueString(value);
  }

  /** A REG_MULTI_SZ value as its strings (up to the first empty one). */
  valueMultipleStrings(value: number): string[] {
    const { type, bytes } = this.valueValue(value);
    if (type !== REG_MULTI_SZ) throw this.err(`value "${this.valueKey(value)}" is ${this.typeName(type)}, not REG_MULTI_SZ`, 'EINVAL');
    const out: string[] = [];
    for (const s of decodeUtf16(bytes, 0, bytes.length).split('\0')) {
      if (s === '') break;
      out.push(s);
    }
    return out;
  }

  /** A REG_DWORD (or REG_DWORD_BIG_ENDIAN) value. */
  valueDword(value: number): number {
    const { type, bytes } = this.valueValue(value);
    if ((type !== REG_DWORD && type !== REG_DWORD_BIG_ENDIAN) || bytes.length !== 4) {
      throw this.err(`value "${this.valueKey(value)}" is ${this.typeName(type)} of ${bytes.length} bytes, not a DWORD`, 'EINVAL');
    }
    return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, type === REG_DWORD);
  }

  /** A REG_QWORD value. */
  valueQword(value: number): bigint {
    const { type, bytes } = this.valueValue(value);
    if (type !== REG_QWORD || bytes.length !== 8) {
      throw this.err(`value "${this.valueKey(value)}" is ${this.typeName(type)} of ${bytes.length} bytes, not a QWORD`, 'EINVAL');
    }
    return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  }

  /**
   * Visits every key once, parents before children. A key reached twice (a
   * loop or a shared subkey) is an error, and so is a walk past maxNodes keys.
   */
  walk(visit: (node: number, depth: number) => void, maxNodes = this.end / 80): void {
    const seen = new Set<number>();
    const stack: [number, number][] = [[this.rootOff, 0]];
    while (stack.length) {
      const [n, depth] = stack.pop()!;
      if (seen.has(n)) throw this.err(`key at ${hex(n)} reached twice (loop in the key tree)`);
      seen.add(n);
      if (seen.size > maxNodes) throw this.err(`more than ${Math.floor(maxNodes)} keys: the key tree loops`);
      visit(n, depth);
      const kids = this.nodeChildren(n);
      for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, depth + 1]);
    }
  }

  /** Path of a key from the root, e.g. '\\Microsoft\\Windows' ('\\' for the root). */
  nodePath(node: number): string {
    const parts: string[] = [];
    let n = node;
    for (let i = 0; n !== this.rootOff; i++) {
      if (i > 512) throw this.err(`key at ${hex(node)}: parent chain too long (loop)`);
      parts.push(this.nodeName(n));
      n = this.nodeParent(n);
    }
    return '\\' + parts.reverse().join('\\');
  }

  /** The key at a '\\'-separated path from the root (case-insensitive), or undefined. */
  nodeAt(path: string): number | undefined {
    let n: number | undefined = this.rootOff;
    for (const part of path.split('\\')) {
      if (part === '') continue;
      n = this.nodeGetChild(n, part);
      if (n === undefined) return undefined;
    }
    return n;
  }
}
