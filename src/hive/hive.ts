/**
 * A Windows registry hive, read and edited in memory.
 *
 * Node and value handles are absolute file offsets of the nk / vk cells (as
 * hivex uses them). Every offset read from the file is checked to be the start
 * of an allocated cell of the right kind before it is used, so corrupt hives
 * fail with a one-line HiveError and never read out of bounds, loop or
 * allocate more than the file could describe.
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
  REG_DWORD,
  REG_DWORD_BIG_ENDIAN,
  REG_EXPAND_SZ,
  REG_LINK,
  REG_MULTI_SZ,
  REG_QWORD,
  REG_SZ,
  REG_TYPE_NAMES,
  SK,
  VALUE_COMP_NAME,
  VK,
  checksumMatches,
  compareNames,
  decodeLatin1,
  decodeUtf16,
  encodeUtf16,
  headerChecksum,
  isCompressible,
  lhHash,
  namesEqual,
  toFiletime,
  windowsChecksum,
} from './format.js';

export interface HiveOpenOptions {
  /** Allow edits and commit(). The bytes are copied; the caller's array is never changed. */
  write?: boolean;
  /** Timestamp written on modified keys and in the header (default: now). Fixed values make builds reproducible. */
  timestamp?: Date;
  /** Name used in error messages (e.g. the guest path of the hive). */
  name?: string;
}

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

export interface HiveValueData {
  type: number;
  bytes: Uint8Array;
}

const LEAF_MAX = 500; // entries in one lh leaf (4008-byte cell: fits a 4 KiB hbin)
const LEAF_SPLIT = 250; // entries a leaf gets when a list is rebuilt as ri
const SIG_NK = 0x6b6e; // "nk"
const SIG_VK = 0x6b76;
const SIG_SK = 0x6b73;
const SIG_LF = 0x666c;
const SIG_LH = 0x686c;
const SIG_LI = 0x696c;
const SIG_RI = 0x6972;
const SIG_DB = 0x6264;
const FREE_BUCKETS = 512; // exact-size free lists for cells up to 4088 bytes, one list above

interface Leaf {
  off: number; // absolute cell offset
  sig: number;
  count: number;
  capacity: number; // entries the cell can hold
}

interface ListShape {
  ri: number | undefined; // absolute offset of the ri cell
  leaves: Leaf[];
}

type DataLayout =
  | { kind: 'inline'; len: number }
  | { kind: 'cell'; len: number; cell: number }
  | { kind: 'big'; len: number; db: number; list: number; segs: number[] };

const hex = (n: number): string => `0x${n.toString(16)}`;

export class Hive {
  private buf: Uint8Array;
  private dv: DataView;
  /** Absolute end of the hive bins. */
  private end: number;
  /** One entry per 8 bytes from 0x1000: 0 = not a cell start, 1 = allocated cell, 2 = free cell. */
  private cellMap: Uint8Array;
  /** For each 4 KiB page from 0x1000, the absolute offset of its hbin. */
  private pageHbin: Int32Array;
  private freeLists: Set<number>[] | undefined;
  private readonly rootOff: number;
  private seq1: number;
  private seq2: number;
  private readonly stamp: Date | undefined;
  private readonly label: string;
  private modified = false;
  /** Decoded key names by nk offset (names are never changed in place; freed cells are dropped). */
  private readonly names = new Map<number, string>();

  readonly writable: boolean;
  readonly majorVersion: number;
  readonly minorVersion: number;
  /** True when the sequence numbers differ: the hive was not cleanly written (a log may hold newer data). */
  readonly dirty: boolean;
  /** Things worth telling a user that did not stop the hive from opening. */
  readonly warnings: string[] = [];

  private constructor(buf: Uint8Array, opts: HiveOpenOptions) {
    this.label = opts.name ?? 'hive';
    this.stamp = opts.timestamp;
    this.writable = !!opts.write;
    const len = buf.length;
    if (len < BASE_BLOCK_SIZE) throw this.err(`truncated: ${len} bytes, the base block alone is ${BASE_BLOCK_SIZE}`);
    if (buf[0] !== 0x72 || buf[1] !== 0x65 || buf[2] !== 0x67 || buf[3] !== 0x66) throw this.err('not a registry hive: no "regf" signature');
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const stored = dv.getUint32(0x1fc, true);
    const computed = headerChecksum(buf);
    if (!checksumMatches(stored, computed)) throw this.err(`bad base block checksum: stored ${hex(stored)}, computed ${hex(computed)}`);
    this.seq1 = dv.getUint32(4, true);
    this.seq2 = dv.getUint32(8, true);
    this.majorVersion = dv.getUint32(0x14, true);
    this.minorVersion = dv.getUint32(0x18, true);
    if (this.majorVersion !== 1) throw this.err(`unsupported format version ${this.majorVersion}.${this.minorVersion}`);
    const fileType = dv.getUint32(0x1c, true);
    if (fileType !== 0) throw this.err(`file type ${fileType}: a transaction log, not a primary hive`);
    this.dirty = this.seq1 !== this.seq2;
    if (this.dirty) {
      const msg = `sequence numbers differ (${this.seq1} != ${this.seq2}): the hive was not cleanly written and its log was not replayed`;
      if (this.writable) throw this.err(`${msg}; open it read-only`, 'EROFS');
      this.warnings.push(msg);
    }
    const binsSize = dv.getUint32(0x28, true);
    if (binsSize === 0 || binsSize % 4096 !== 0) throw this.err(`bad hive bins size ${hex(binsSize)}: not a non-zero multiple of 4096`);
    const end = BASE_BLOCK_SIZE + binsSize;
    if (end > len) throw this.err(`truncated: the header says ${end} bytes, the file has ${len}`);
    if (end < len) this.warnings.push(`${len - end} bytes after the last hbin ignored`);

    if (this.writable) {
      const copy = new Uint8Array(Math.max(end, 64 * 1024));
      copy.set(buf.subarray(0, end));
      buf = copy;
    }
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.end = end;
    this.cellMap = new Uint8Array((buf.length - BASE_BLOCK_SIZE + 7) >>> 3);
    this.pageHbin = new Int32Array((buf.length - BASE_BLOCK_SIZE + 4095) >>> 12);
    this.scanBins();
    const rootRel = dv.getUint32(0x24, true);
    this.rootOff = this.nkData(this.abs(rootRel, 'root key')) - 4;
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

  // ───────────────────────────── parsing helpers ─────────────────────────────

  private err(msg: string, code = 'EHIVE'): HiveError {
    return new HiveError(`${this.label}: ${msg}`, code);
  }

  private scanBins(): void {
    const dv = this.dv;
    let pos = BASE_BLOCK_SIZE;
    while (pos < this.end) {
      if (dv.getUint32(pos, true) !== 0x6e696268) throw this.err(`no "hbin" signature at ${hex(pos)}`);
      const rel = dv.getUint32(pos + 4, true);
      if (rel !== pos - BASE_BLOCK_SIZE) throw this.err(`hbin at ${hex(pos)} says it is at ${hex(rel + BASE_BLOCK_SIZE)}`);
      const size = dv.getUint32(pos + 8, true);
      if (size < 4096 || size % 4096 !== 0 || size > this.end - pos) throw this.err(`hbin at ${hex(pos)} has a bad size ${hex(size)}`);
      this.scanCells(pos, pos + size);
      for (let p = pos; p < pos + size; p += 4096) this.pageHbin[(p - BASE_BLOCK_SIZE) >>> 12] = pos;
      pos += size;
    }
  }

  private scanCells(start: number, end: number): void {
    const dv = this.dv;
    let c = start + HBIN_HEADER_SIZE;
    while (c < end) {
      const s = dv.getInt32(c, true);
      const size = Math.abs(s);
      if (size < 8 || size % 8 !== 0 || size > end - c) throw this.err(`cell at ${hex(c)} has a bad size ${s} (hbin ${hex(start)}..${hex(end)})`);
      this.cellMap[(c - BASE_BLOCK_SIZE) >>> 3] = s < 0 ? 1 : 2;
      c += size;
    }
  }

  /** Absolute offset of a stored (0x1000-relative) cell offset, checked to be an allocated cell. */
  private abs(rel: number, what: string): number {
    if (rel === NONE) throw this.err(`${what}: no cell (offset 0xffffffff)`);
    const off = rel + BASE_BLOCK_SIZE;
    this.checkCell(off, what);
    return off;
  }

  private checkCell(off: number, what: string): void {
    if (!Number.isInteger(off) || off < BASE_BLOCK_SIZE + HBIN_HEADER_SIZE || off >= this.end || (off - BASE_BLOCK_SIZE) % 8 !== 0) {
      throw this.err(`${what}: offset ${hex(off)} is outside the hive bins`);
    }
    const st = this.cellMap[(off - BASE_BLOCK_SIZE) >>> 3];
    if (st !== 1) throw this.err(`${what}: offset ${hex(off)} is ${st === 2 ? 'a free cell' : 'not the start of a cell'}`);
  }

  /** Length of an allocated cell's data (its size minus the 4-byte header). */
  private cellLen(off: number): number {
    return -this.dv.getInt32(off, true) - 4;
  }

  private sig(d: number): number {
    return this.dv.getUint16(d, true);
  }

  /** Checks an nk cell and returns the offset of its data. */
  private nkData(off: number, what = 'key'): number {
    this.checkCell(off, what);
    const d = off + 4;
    const len = this.cellLen(off);
    if (len < NK.name || this.sig(d) !== SIG_NK) throw this.err(`${what} at ${hex(off)} is not an "nk" record`);
    if (this.dv.getUint16(d + NK.nameLength, true) > len - NK.name) throw this.err(`key at ${hex(off)}: name longer than its cell`);
    return d;
  }

  private vkData(off: number, what = 'value'): number {
    this.checkCell(off, what);
    const d = off + 4;
    const len = this.cellLen(off);
    if (len < VK.name || this.sig(d) !== SIG_VK) throw this.err(`${what} at ${hex(off)} is not a "vk" record`);
    if (this.dv.getUint16(d + VK.nameLength, true) > len - VK.name) throw this.err(`value at ${hex(off)}: name longer than its cell`);
    return d;
  }

  private u32(p: number): number {
    return this.dv.getUint32(p, true);
  }

  private setU32(p: number, v: number): void {
    this.dv.setUint32(p, v >>> 0, true);
  }

  // ───────────────────────────── read API ─────────────────────────────

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

  private readLeaf(off: number, what: string): Leaf {
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

  private listShape(d: number, node: number): ListShape | undefined {
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

  private leafEntry(leaf: Leaf, i: number): number {
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
  private dataLayout(value: number): DataLayout {
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

  private typeName(t: number): string {
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

  // ───────────────────────────── allocation ─────────────────────────────

  private assertWritable(): void {
    if (!this.writable) throw this.err('opened read-only', 'EROFS');
  }

  private now(): bigint {
    return toFiletime(this.stamp ?? new Date());
  }

  private bucketOf(size: number): number {
    return Math.min(size >>> 3, FREE_BUCKETS);
  }

  private free_(): Set<number>[] {
    if (!this.freeLists) {
      this.freeLists = Array.from({ length: FREE_BUCKETS + 1 }, () => new Set<number>());
      for (let i = 0; i < (this.end - BASE_BLOCK_SIZE) >>> 3; i++) {
        if (this.cellMap[i] === 2) {
          const off = BASE_BLOCK_SIZE + i * 8;
          this.freeLists[this.bucketOf(this.dv.getInt32(off, true))]!.add(off);
        }
      }
    }
    return this.freeLists;
  }

  private grow(need: number): void {
    if (need <= this.buf.length) return;
    let cap = this.buf.length;
    while (cap < need) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.end));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
    const cm = new Uint8Array((cap - BASE_BLOCK_SIZE + 7) >>> 3);
    cm.set(this.cellMap);
    this.cellMap = cm;
    const ph = new Int32Array((cap - BASE_BLOCK_SIZE + 4095) >>> 12);
    ph.set(this.pageHbin);
    this.pageHbin = ph;
  }

  private appendHbin(cellSize: number): void {
    const size = Math.ceil((cellSize + HBIN_HEADER_SIZE) / 4096) * 4096;
    const pos = this.end;
    this.grow(pos + size);
    this.buf.fill(0, pos, pos + size);
    this.dv.setUint32(pos, 0x6e696268, true);
    this.setU32(pos + 4, pos - BASE_BLOCK_SIZE);
    this.setU32(pos + 8, size);
    this.dv.setBigUint64(pos + 0x14, this.now(), true);
    this.end = pos + size;
    for (let p = pos; p < pos + size; p += 4096) this.pageHbin[(p - BASE_BLOCK_SIZE) >>> 12] = pos;
    const c = pos + HBIN_HEADER_SIZE;
    this.dv.setInt32(c, size - HBIN_HEADER_SIZE, true);
    this.cellMap[(c - BASE_BLOCK_SIZE) >>> 3] = 2;
    this.free_()[this.bucketOf(size - HBIN_HEADER_SIZE)]!.add(c);
  }

  /** Allocates a cell with room for `dataLen` bytes; returns its absolute offset (data zeroed). */
  private alloc(dataLen: number): number {
    this.modified = true;
    const size = align8(dataLen + 4);
    const lists = this.free_();
    let found = -1;
    for (let b = this.bucketOf(size); b < FREE_BUCKETS && found < 0; b++) {
      const s = lists[b]!;
      if (s.size) found = s.values().next().value!;
    }
    if (found < 0) {
      for (const off of lists[FREE_BUCKETS]!) {
        if (this.dv.getInt32(off, true) >= size) {
          found = off;
          break;
        }
      }
    }
    if (found < 0) {
      this.appendHbin(size);
      return this.alloc(dataLen);
    }
    const fsize = this.dv.getInt32(found, true);
    lists[this.bucketOf(fsize)]!.delete(found);
    let use = fsize;
    if (fsize - size >= 8) {
      use = size;
      const rest = found + size;
      this.dv.setInt32(rest, fsize - size, true);
      this.cellMap[(rest - BASE_BLOCK_SIZE) >>> 3] = 2;
      lists[this.bucketOf(fsize - size)]!.add(rest);
    }
    this.dv.setInt32(found, -use, true);
    this.cellMap[(found - BASE_BLOCK_SIZE) >>> 3] = 1;
    this.buf.fill(0, found + 4, found + use);
    return found;
  }

  /** Frees an allocated cell, merging it with free neighbours in its hbin. */
  private freeCell(off: number): void {
    this.checkCell(off, 'cell to free');
    this.modified = true;
    this.names.delete(off);
    const lists = this.free_();
    let size = -this.dv.getInt32(off, true);
    this.buf.fill(0, off + 4, off + size);
    const hbin = this.pageHbin[(off - BASE_BLOCK_SIZE) >>> 12]!;
    const hend = hbin + this.u32(hbin + 8);
    const next = off + size;
    if (next < hend && this.cellMap[(next - BASE_BLOCK_SIZE) >>> 3] === 2) {
      const ns = this.dv.getInt32(next, true);
      lists[this.bucketOf(ns)]!.delete(next);
      this.cellMap[(next - BASE_BLOCK_SIZE) >>> 3] = 0;
      size += ns;
    }
    let start = off;
    for (let p = off - 8; p >= hbin + HBIN_HEADER_SIZE; p -= 8) {
      const st = this.cellMap[(p - BASE_BLOCK_SIZE) >>> 3];
      if (st === 0) continue;
      if (st === 2) {
        const ps = this.dv.getInt32(p, true);
        lists[this.bucketOf(ps)]!.delete(p);
        this.cellMap[(off - BASE_BLOCK_SIZE) >>> 3] = 0;
        size += ps;
        start = p;
      }
      break;
    }
    this.dv.setInt32(start, size, true);
    this.cellMap[(start - BASE_BLOCK_SIZE) >>> 3] = 2;
    lists[this.bucketOf(size)]!.add(start);
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
    const l = this.dataLayout(v);
    if (l.kind === 'cell') this.freeCell(l.cell);
    else if (l.kind === 'big') {
      for (const s of new Set(l.segs)) this.freeCell(s);
      this.freeCell(l.list);
      this.freeCell(l.db);
    }
    this.freeCell(v);
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
      const l = this.dataLayout(existing);
      if (l.kind === 'cell') this.freeCell(l.cell);
      else if (l.kind === 'big') {
        for (const s of new Set(l.segs)) this.freeCell(s);
        this.freeCell(l.list);
        this.freeCell(l.db);
      }
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

function align8(n: number): number {
  return (n + 7) & ~7;
}

/**
 * A self-relative security descriptor: owner Administrators, group SYSTEM,
 * DACL: full control for SYSTEM and Administrators, read for Users, all
 * inherited by subkeys (container-inherit).
 */
function defaultSecurityDescriptor(): Uint8Array {
  const sid = (auth: number, ...subs: number[]): number[] => {
    const b = [1, subs.length, 0, 0, 0, 0, 0, auth];
    for (const s of subs) b.push(s & 0xff, (s >> 8) & 0xff, (s >> 16) & 0xff, (s >>> 24) & 0xff);
    return b;
  };
  const system = sid(5, 18);
  const admins = sid(5, 32, 544);
  const users = sid(5, 32, 545);
  const ace = (mask: number, s: number[]): number[] => {
    const size = 8 + s.length;
    // ACCESS_ALLOWED_ACE_TYPE 0, flags CONTAINER_INHERIT_ACE (0x02)
    return [0, 0x02, size & 0xff, size >> 8, mask & 0xff, (mask >> 8) & 0xff, (mask >> 16) & 0xff, (mask >>> 24) & 0xff, ...s];
  };
  const KEY_ALL_ACCESS = 0xf003f;
  const KEY_READ = 0x20019;
  const aces = [...ace(KEY_ALL_ACCESS, system), ...ace(KEY_ALL_ACCESS, admins), ...ace(KEY_READ, users)];
  const aclSize = 8 + aces.length;
  const acl = [2, 0, aclSize & 0xff, aclSize >> 8, 3, 0, 0, 0, ...aces];
  const header = 20;
  const ownerOff = header;
  const groupOff = ownerOff + admins.length;
  const daclOff = groupOff + system.length;
  const le32 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
  // revision 1, control SE_SELF_RELATIVE | SE_DACL_PRESENT
  const sd = [1, 0, 0x04, 0x80, ...le32(ownerOff), ...le32(groupOff), ...le32(0), ...le32(daclOff), ...admins, ...system, ...acl];
  return Uint8Array.from(sd);
}
