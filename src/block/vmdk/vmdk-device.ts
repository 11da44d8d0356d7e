/**
 * VmdkDevice: a VMware vmdk read in TypeScript, without qemu. Read-only.
 * Handles monolithicSparse and streamOptimized files, and descriptor files
 * (monolithicFlat, twoGbMaxExtentSparse, twoGbMaxExtentFlat) naming FLAT,
 * SPARSE and ZERO extents; delta disks read unallocated grains from the parent
 * their descriptor names (parentFileNameHint). ESXi datastore types (vmfs,
 * vmfsSparse, seSparse, raw device maps) are refused with one line.
 */
import path from 'node:path';
import { readIntoNew, type BlockDevice, type Extent } from '../block-device.js';
import { ErrnoError, ImageError } from '../../errors/index.js';
import { MAX_BACKING_DEPTH } from '../backing-chain.js';
import { probeFormat } from '../format.js';
import { RawFileDevice } from '../raw-file.js';
import { checkRange } from '../slice.js';
import { appendExtent, appendUnallocated } from '../extent-list.js';
import { ExtentFile } from './extent-file.js';
import { SECTOR } from './sparse-header.js';
import { SparseExtent } from './sparse-extent.js';
import { checkVmdkChain, parentPath } from './vmdk-chain.js';
import type { ExtentAccess, ExtentLine, VmdkDescriptor } from './vmdk-descriptor.js';
import { readSparseHeader, readVmdkHead } from './vmdk-head.js';
import { partitionPoint } from '../../util/partition-point.js';

export interface VmdkOpenOptions {
  /** Name for messages (default: the path as given). */
  name?: string;
  /** Set when opened as a parent: depth in the chain (the chain was checked by the top disk). */
  depth?: number;
}

/** One extent as `guestkit info` describes it. */
export interface VmdkExtentInfo {
  /** The file's path (resolved), absent for ZERO extents. */
  file?: string;
  type: 'SPARSE' | 'FLAT' | 'ZERO';
  access: ExtentAccess;
  /** Guest bytes the extent covers. */
  size: number;
  compressed: boolean;
  /** Grain size in bytes (sparse extents). */
  grainSize?: number;
}

interface Piece {
  start: number;
  size: number;
  info: VmdkExtentInfo;
  sparse?: SparseExtent;
  flat?: { file: ExtentFile; offset: number };
  noAccess: boolean;
}

const SUPPORTED_TYPES = ['monolithicSparse', 'streamOptimized', 'monolithicFlat', 'twoGbMaxExtentSparse', 'twoGbMaxExtentFlat'];
const ESX_TYPES = ['vmfs', 'vmfsSparse', 'seSparse', 'vmfsRaw', 'vmfsRDM', 'vmfsRawDeviceMap', 'vmfsPassthroughRawDeviceMap', 'vmfsPreallocated', 'vmfsEagerZeroedThick', 'vmfsThin'];

export class VmdkDevice implements BlockDevice {
  readonly readOnly = true;
  readonly size: number;
  private closed = false;

  private constructor(
    readonly name: string,
    readonly file: string,
    readonly createType: string,
    readonly descriptor: VmdkDescriptor | null,
    private readonly pieces: Piece[],
    /** The parent disk (delta disks), null without one. */
    readonly parent: BlockDevice | null,
    readonly parentPath: string | null,
  ) {
    this.size = pieces.reduce((n, p) => n + p.size, 0);
  }

  static async open(file: string, opts: VmdkOpenOptions = {}): Promise<VmdkDevice> {
    const name = opts.name ?? file;
    const depth = opts.depth ?? 0;
    // Loops, missing parents and over-deep chains: one line naming the top disk, before any extent is opened.
    if (depth === 0) await checkVmdkChain(file, name);
    const pieces: Piece[] = [];
    let parent: BlockDevice | null = null;
    const top = await ExtentFile.open(name, file, null);
    let topUsed = false;
    try {
      const head = await readVmdkHead(top);
      let createType: string;
      if (head.sparse) {
        createType = head.sparse.compressed ? 'streamOptimized' : head.descriptor?.createType ?? 'monolithicSparse';
        const extent = await SparseExtent.open(top, head.sparse, head.sparse.capacity * SECTOR);
        topUsed = true;
        pieces.push(sparsePiece(0, extent, 'RW', file));
      } else {
        const d = head.descriptor!;
        createType = checkCreateType(top, d.createType);
        await openExtents(top, d.extents, pieces);
      }
      const hint = head.descriptor?.parentFileNameHint;
      let parentFile: string | null = null;
      if (hint) {
        if (depth + 1 > MAX_BACKING_DEPTH) throw new ImageError(name, `backing chain is deeper than ${MAX_BACKING_DEPTH} images (at ${hint})`);
        parentFile = parentPath(file, hint);
        parent = await openParent(parentFile, hint, depth);
      }
      // A descriptor file is done with once its extents are open.
      if (!topUsed) await top.close();
      return new VmdkDevice(name, file, createType, head.descriptor, pieces, parent, parentFile);
    } catch (e) {
      await Promise.all(pieces.map((p) => (p.sparse ?? p.flat?.file)?.close().catch(() => {})));
      await parent?.close().catch(() => {});
      if (!topUsed) await top.close().catch(() => {});
      throw e;
    }
  }

  /** The extents in guest order. */
  get extentList(): VmdkExtentInfo[] {
    return this.pieces.map((p) => p.info);
  }

  /** The chain below this disk, nearest first. */
  backingChain(): Array<{ file: string; format: 'vmdk' | 'raw' }> {
    const out: Array<{ file: string; format: 'vmdk' | 'raw' }> = [];
    for (let d: BlockDevice | null = this.parent, p = this.parentPath; d && p; ) {
      out.push({ file: p, format: d instanceof VmdkDevice ? 'vmdk' : 'raw' });
      if (!(d instanceof VmdkDevice)) break;
      p = d.parentPath;
      d = d.parent;
    }
    return out;
  }

  /** The last piece starting at or before `at`. */
  private piece(at: number): Piece {
    return this.pieces[Math.max(0, partitionPoint(this.pieces.length, (i) => this.pieces[i]!.start <= at) - 1)]!;
  }

  private check(what: string, offset: number, length: number): void {
    checkRange(this.name, this.size, offset, length, what);
    if (this.closed) throw new ErrnoError('EBADF', `${this.name}: ${what}: the disk is closed`, { disk: this.name });
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    return readIntoNew(this, offset, length);
  }

  async readInto(offset: number, into: Uint8Array): Promise<void> {
    this.check('read', offset, into.length);
    for (let pos = 0; pos < into.length; ) {
      const at = offset + pos;
      const p = this.piece(at);
      const inPiece = at - p.start;
      let length = Math.min(into.length - pos, p.size - inPiece);
      if (p.noAccess) {
        throw new ErrnoError('EACCES', `${this.name}: read at offset ${at}: the extent there is NOACCESS in the descriptor`, { disk: this.name });
      }
      if (p.flat) {
        await p.flat.file.readInto(into.subarray(pos, pos + length), p.flat.offset + inPiece);
      } else if (!p.sparse) {
        into.fill(0, pos, pos + length);
      } else {
        const r = await p.sparse.run(inPiece, length);
        length = r.length;
        const dst = into.subarray(pos, pos + length);
        if (r.kind === 'data') await p.sparse.readData(r, dst);
        else if (r.kind === 'compressed') dst.set((await p.sparse.inflate(r)).subarray(r.within, r.within + length));
        else if (r.kind === 'zero' || !this.parent) dst.fill(0);
        else await readParent(this.parent, at, dst);
      }
      pos += length;
    }
  }

  async extents(offset: number, length: number): Promise<Extent[]> {
    this.check('extents', offset, length);
    const out: Extent[] = [];
    for (let pos = 0; pos < length; ) {
      const at = offset + pos;
      const p = this.piece(at);
      const inPiece = at - p.start;
      let n = Math.min(length - pos, p.size - inPiece);
      if (p.flat || p.noAccess) appendExtent(out, { offset: at, length: n, zero: false, hole: false });
      else if (!p.sparse) appendExtent(out, { offset: at, length: n, zero: true, hole: true });
      else {
        const r = await p.sparse.run(inPiece, n);
        n = r.length;
        if (r.kind === 'unallocated') await appendUnallocated(out, this.parent, at, n);
        else appendExtent(out, { offset: at, length: n, zero: r.kind === 'zero', hole: false });
      }
      pos += n;
    }
    return out;
  }

  private refuse(op: string): never {
    throw new ErrnoError('EROFS', `${this.name}: ${op}: the disk is read-only`, { disk: this.name });
  }

  async write(): Promise<void> {
    this.refuse('write');
  }

  async zero(): Promise<void> {
    this.refuse('zero');
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.pieces.map((p) => (p.sparse ?? p.flat?.file)?.close()));
    await this.parent?.close();
  }
}

function sparsePiece(start: number, extent: SparseExtent, access: ExtentAccess, file: string): Piece {
  return {
    start,
    size: extent.size,
    sparse: extent,
    noAccess: access === 'NOACCESS',
    info: { file, type: 'SPARSE', access, size: extent.size, compressed: extent.header.compressed, grainSize: extent.grainBytes },
  };
}

function checkCreateType(top: ExtentFile, createType: string | undefined): string {
  if (createType === undefined) throw top.corrupt('its descriptor has no createType');
  if (ESX_TYPES.includes(createType)) {
    throw top.error(`vmdk createType ${createType} (an ESXi datastore disk) is not supported: convert it with qemu-img convert -O vmdk`);
  }
  if (!SUPPORTED_TYPES.includes(createType)) throw top.error(`vmdk createType ${createType} is not supported (supported: ${SUPPORTED_TYPES.join(', ')})`);
  return createType;
}

/**
 * An extent file named by a descriptor: absolute names are taken as they are;
 * relative ones are resolved against the descriptor's directory and must stay inside it.
 */
function extentPath(top: ExtentFile, name: string): string {
  if (path.isAbsolute(name)) return name;
  const dir = path.dirname(path.resolve(top.path));
  const rel = path.relative(dir, path.resolve(dir, name));
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw top.error(`vmdk descriptor names extent ${name}, outside the descriptor's directory: refused`);
  }
  // As qemu names it: the descriptor's directory as given, then the name.
  return path.join(path.dirname(top.path), rel);
}

async function openExtents(top: ExtentFile, lines: ExtentLine[], pieces: Piece[]): Promise<void> {
  if (lines.length === 0) throw top.corrupt('its descriptor names no extents');
  let start = 0;
  for (const line of lines) {
    const size = line.sectors * SECTOR;
    if (start + size > Number.MAX_SAFE_INTEGER) throw top.corrupt('its extents add up to more than a disk can hold');
    const noAccess = line.access === 'NOACCESS';
    if (line.type === 'ZERO') {
      pieces.push({ start, size, noAccess, info: { type: 'ZERO', access: line.access, size, compressed: false } });
    } else if (line.type === 'FLAT' || line.type === 'SPARSE') {
      const file = extentPath(top, line.file!);
      const ef = await ExtentFile.open(top.disk, file, line.file!);
      try {
        if (line.type === 'FLAT') {
          const offset = line.offset * SECTOR;
          if (!ef.holds(offset, size)) throw ef.error(`vmdk image is truncated: the flat extent needs ${offset + size} bytes, the file has ${ef.size}`);
          pieces.push({ start, size, noAccess, flat: { file: ef, offset }, info: { file, type: 'FLAT', access: line.access, size, compressed: false } });
        } else {
          const header = await readSparseHeader(ef);
          pieces.push(sparsePiece(start, await SparseExtent.open(ef, header, size), line.access, file));
        }
      } catch (e) {
        await ef.close().catch(() => {});
        throw e;
      }
    } else {
      throw top.error(`vmdk extent type ${line.type} (an ESXi datastore extent) is not supported: convert the disk with qemu-img convert -O vmdk`);
    }
    start += size;
  }
}

async function openParent(file: string, hint: string, depth: number): Promise<BlockDevice> {
  const format = await probeFormat(file, hint);
  if (format === 'vmdk') return VmdkDevice.open(file, { name: hint, depth: depth + 1 });
  if (format === 'raw') return RawFileDevice.open(file, { readOnly: true, name: hint });
  throw new ImageError(hint, `is a ${format} image: a vmdk parent must be a vmdk or raw image`);
}

/** Reads guest bytes from a parent that may be smaller than the child: past its end reads zeroes. */
async function readParent(parent: BlockDevice, offset: number, dst: Uint8Array): Promise<void> {
  const inside = Math.max(0, Math.min(dst.length, parent.size - offset));
  if (inside > 0) await parent.readInto(offset, dst.subarray(0, inside));
  dst.fill(0, inside);
}
