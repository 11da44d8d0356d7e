/**
 * A read-only btrfs driver in TypeScript: one or several devices (SINGLE, DUP,
 * RAID0/1/1C3/1C4/10 chunks), crc32c metadata checked on every tree block (a
 * bad copy is read from another mirror), the default subvolume
 * or one chosen with subvol=/subvolid=, nested subvolumes appearing as
 * directories, inline/regular/prealloc extents, holes, zlib/LZO/zstd
 * compression. Writes fail with EROFS: the wasm backend lists btrfs as
 * mountable read-only only, so sessions that write go to the appliance.
 *
 * Handles: the driver's inode numbers are (subvolume slot << 32) + objectid,
 * slot 0 being the mounted subvolume, so inode numbers of the mounted
 * subvolume are btrfs's own. Data checksums are verified where data has another
 * copy to read instead (metadata ones always are).
 */
import { FsError, type Attr, type DirEntry, type FsDriver, type StatVfs, type SyncDevice, type Xattr } from '../fs-driver.js';
import { Lru } from '../../util/lru.js';
import { ListingReadOnlyDriver } from '../read-only-driver.js';
import { ChunkMap, mirrorCount, parseChunk, readMapped, sysChunks } from './chunks.js';
import { DataCsums } from './data-csums.js';
import { checkAllDevices, filesystemDevices } from './devices.js';
import { decompress } from './compression.js';
import {
  COMPRESS_NONE, EXTENT_INLINE, EXTENT_PREALLOC, ITEM, OBJ, decodeName, parseDirItems, parseFileExtent, parseInodeItem,
  type FileExtent, type InodeItem,
} from './items.js';
import { btrfsStatfs } from './statfs.js';
import { Subvolumes } from './subvolumes.js';
import { corrupt, readSuperblock, type Superblock } from './superblock.js';
import { TreeReader, type TreeRoot } from './tree.js';
import { parseMountOptions, type BtrfsMountOptions } from './mount-options.js';

const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000;
const SLOT = 2 ** 32;
/** The inode the kernel shows for a subvolume entry whose subvolume lives elsewhere (a snapshot's copy). */
const EMPTY_SUBVOL_DIR = 2;
const MAXPATHLEN = 4096;
const FT_TO_DT = [0, 8, 4, 2, 6, 1, 12, 10];
const INODE_CACHE = 8192, EXTENT_CACHE = 1024, DECODED_CACHE = 16;
/** Most bytes of compressed extents read ahead in one device read (see compressedBytes). */
const COMPRESSED_RUN_MAX = 2 * 1024 * 1024;

interface Slot {
  /** Subvolume id, or 0 for an empty placeholder directory. */
  id: number;
  root: TreeRoot;
  rootDirid: number;
}

export class BtrfsDriver extends ListingReadOnlyDriver implements FsDriver {
  readonly type = 'btrfs';
  readonly rootIno: number;
  readonly subvolumes: Subvolumes;
  /** The subvolume mounted. */
  readonly subvolId: number;
  readonly reader: TreeReader;
  private readonly slots: Slot[] = [];
  private readonly slotOf = new Map<number, number>();
  private readonly inodes = new Lru<number, InodeItem>(INODE_CACHE);
  private readonly extents = new Lru<number, FileExtent[]>(EXTENT_CACHE);
  private readonly decoded = new Lru<number, Uint8Array>(DECODED_CACHE);
  /** The last run of compressed extents read ahead: logical start and bytes. */
  private compressedRun: { start: number; bytes: Uint8Array } | undefined;
  private closed = false;

  /** Checksums of mirrored data: read to pick the good copy (undefined without a csum tree). */
  private readonly csums: DataCsums | undefined;

  constructor(private readonly devices: ReadonlyMap<number, SyncDevice>, readonly sb: Superblock, readonly chunks: ChunkMap, readonly rootTree: TreeRoot, reader: TreeReader, opts: BtrfsMountOptions) {
    super();
    this.reader = reader;
    this.subvolumes = new Subvolumes(reader, rootTree);
    const csumRoot = this.subvolumes.rootItem(OBJ.CSUM_TREE);
    this.csums = csumRoot ? new DataCsums(reader, { bytenr: csumRoot.bytenr, level: csumRoot.level, name: 'csum tree' }, sb.sectorSize, sb.nodeSize) : undefined;
    this.subvolId = opts.subvolid ?? (opts.subvol !== undefined ? this.subvolByPath(opts.subvol) : this.subvolumes.defaultId());
    const { item } = this.subvolumes.tree(this.subvolId);
    this.rootIno = this.slotFor(this.subvolId) * SLOT + item.rootDirid;
  }

  /** Reads copy `mirror` of a logical range through the chunk map (tree blocks: the tree reader checks them). */
  readRaw(logical: number, length: number, mirror: number): Uint8Array {
    if (this.closed) throw new FsError('EBADF', 'btrfs: the filesystem is closed');
    return readMapped(this.devices, this.chunks, logical, length, mirror);
  }

  /** Reads file data: where it has several copies, a sector that fails its checksum comes from another copy. */
  readLogical(logical: number, length: number): Uint8Array {
    const data = this.readRaw(logical, length, 0);
    const copies = this.csums ? mirrorCount(this.chunks, logical) : 1;
    if (copies > 1) this.csums!.repair(logical, data, copies, (sector, mirror) => this.readRaw(sector, this.sb.sectorSize, mirror));
    return data;
  }

  private slotFor(id: number): number {
    let s = this.slotOf.get(id);
    if (s === undefined) {
      const { root, item } = this.subvolumes.tree(id);
      s = this.slots.length;
      this.slots.push({ id, root, rootDirid: item.rootDirid });
      this.slotOf.set(id, s);
    }
    return s;
  }

  /** A placeholder slot for a subvolume entry that leads nowhere (kernel: an empty directory, inode 2). */
  private emptySlot(): number {
    let s = this.slotOf.get(0);
    if (s === undefined) {
      s = this.slots.length;
      this.slots.push({ id: 0, root: { bytenr: 0, level: 0, name: 'empty subvolume placeholder' }, rootDirid: EMPTY_SUBVOL_DIR });
      this.slotOf.set(0, s);
    }
    return s;
  }

  private split(h: number): { slot: Slot; objectid: number } {
    const slot = this.slots[Math.floor(h / SLOT)];
    if (!slot || !Number.isSafeInteger(h) || h < 0) throw new FsError('ESTALE', `btrfs: inode handle ${h} is invalid`);
    return { slot, objectid: h % SLOT };
  }

  private inode(h: number): InodeItem {
    const hit = this.inodes.get(h);
    if (hit) return hit;
    const { slot, objectid } = this.split(h);
    let item: InodeItem;
    if (slot.id === 0) {
      const now = { sec: Math.floor(Date.now() / 1000), nsec: 0 };
      item = { size: 0, nbytes: 0, nlink: 1, uid: 0, gid: 0, mode: S_IFDIR | 0o755, rdev: 0, flags: 0, atime: now, ctime: now, mtime: now };
    } else {
      const d = this.reader.get(slot.root, { objectid, type: ITEM.INODE_ITEM, offset: 0 });
      if (!d) throw corrupt(`${slot.root.name}: inode ${objectid} is referenced but has no inode item`);
      item = parseInodeItem(d, `${slot.root.name}: inode ${objectid}`);
    }
    this.inodes.set(h, item);
    return item;
  }

  statfs(): StatVfs {
    return btrfsStatfs(this);
  }

  getattr(h: number): Attr {
    const ip = this.inode(h);
    const { objectid } = this.split(h);
    const sector = this.sb.sectorSize;
    const major = Math.floor(ip.rdev / 2 ** 20), minor = ip.rdev % 2 ** 20;
    return {
      ino: objectid,
      mode: ip.mode,
      nlink: ip.nlink,
      uid: ip.uid,
      gid: ip.gid,
      size: ip.size,
      blocks: (Math.ceil(ip.nbytes / sector) * sector) / 512,
      blksize: sector,
      rdev: ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0,
      atime: ip.atime,
      mtime: ip.mtime,
      ctime: ip.ctime,
    };
  }

  protected listDirectory(h: number): DirEntry[] {
    const ip = this.inode(h);
    if ((ip.mode & S_IFMT) !== S_IFDIR) throw new FsError('ENOTDIR', `btrfs: inode ${h % SLOT} is not a directory`);
    const { slot, objectid } = this.split(h);
    const entries: DirEntry[] = [];
    if (slot.id !== 0) {
      const base = this.slotOf.get(slot.id)! * SLOT;
      const what = `${slot.root.name}: directory ${objectid}`;
      // DIR_INDEX items list a directory in creation order, as the kernel's readdir does.
      this.reader.walk(slot.root, { objectid, type: ITEM.DIR_INDEX, offset: 0 }, (key, data) => {
        if (key.objectid !== objectid || key.type !== ITEM.DIR_INDEX) return false;
        for (const d of parseDirItems(data, what)) {
          const name = decodeName(d.name);
          if (d.location.type === ITEM.ROOT_ITEM) {
            entries.push({ name, ino: this.subvolumeEntry(slot.id, d.location.objectid, objectid, d.name), type: 4 });
          } else if (d.location.type === ITEM.INODE_ITEM) {
            if (d.location.objectid >= SLOT) throw corrupt(`${what}: inode number ${d.location.objectid} is too large`);
            entries.push({ name, ino: base + d.location.objectid, type: FT_TO_DT[d.type] ?? 0 });
          } else {
            throw corrupt(`${what}: entry ${name} points at item type ${d.location.type}`);
          }
        }
      });
    }
    return entries;
  }

  /** The handle of a subvolume's root directory as it appears inside its parent. */
  private subvolumeEntry(parent: number, child: number, dirid: number, name: Uint8Array): number {
    if (child === parent || !this.subvolumes.isChildAt(parent, child, dirid, name) || !this.subvolumes.rootItem(child)) {
      return this.emptySlot() * SLOT + EMPTY_SUBVOL_DIR;
    }
    const s = this.slotFor(child);
    return s * SLOT + this.slots[s]!.rootDirid;
  }

  private extentList(h: number): FileExtent[] {
    const hit = this.extents.get(h);
    if (hit) return hit;
    const { slot, objectid } = this.split(h);
    const what = `${slot.root.name}: inode ${objectid}`;
    const out: FileExtent[] = [];
    if (slot.id !== 0) {
      this.reader.walk(slot.root, { objectid, type: ITEM.EXTENT_DATA, offset: 0 }, (key, data) => {
        if (key.objectid !== objectid || key.type !== ITEM.EXTENT_DATA) return false;
        out.push(parseFileExtent(data, key.offset, what));
      });
    }
    this.extents.set(h, out);
    return out;
  }

  /** Index of the last extent starting at or before `pos` (or 0). */
  private static findExtent(ext: readonly FileExtent[], pos: number): number {
    let lo = 0, hi = ext.length - 1, ans = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (ext[mid]!.fileOffset <= pos) { ans = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return ans;
  }

  private readRange(h: number, offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const ext = this.extentList(h);
    const end = offset + length;
    const what = () => { const { slot, objectid } = this.split(h); return `${slot.root.name}: inode ${objectid}`; };
    for (let i = BtrfsDriver.findExtent(ext, offset); i < ext.length; i++) {
      const e = ext[i]!;
      if (e.fileOffset >= end) break;
      const from = Math.max(offset, e.fileOffset), to = Math.min(end, e.fileOffset + e.numBytes);
      if (to <= from) continue;
      if (e.type === EXTENT_PREALLOC || (e.type !== EXTENT_INLINE && e.diskBytenr === 0)) continue; // zeroes
      const inExtent = e.offset + (from - e.fileOffset);
      let piece: Uint8Array;
      if (e.type === EXTENT_INLINE) {
        const data = e.compression === COMPRESS_NONE ? e.inline! : decompress(e.compression, e.inline!, e.ramBytes, this.sb.sectorSize, what());
        piece = data.subarray(inExtent, Math.min(data.length, inExtent + (to - from)));
      } else if (e.compression === COMPRESS_NONE) {
        piece = this.readLogical(e.diskBytenr + inExtent, to - from);
      } else {
        piece = this.decodedExtent(ext, i, what).subarray(inExtent, inExtent + (to - from));
      }
      out.set(piece, from - offset);
    }
    return out;
  }

  private decodedExtent(ext: readonly FileExtent[], i: number, what: () => string): Uint8Array {
    const e = ext[i]!;
    let d = this.decoded.get(e.diskBytenr);
    if (!d || d.length !== e.ramBytes) {
      if (e.diskNumBytes > 128 * 1024 + this.sb.sectorSize) throw corrupt(`${what()}: compressed extent is ${e.diskNumBytes} bytes`);
      d = decompress(e.compression, this.compressedBytes(ext, i), e.ramBytes, this.sb.sectorSize, what());
      this.decoded.set(e.diskBytenr, d);
    }
    return d;
  }

  /**
   * The stored bytes of compressed extent ext[i]. A file written in sequence has
   * its compressed extents one after another on disk (each at most 128 KiB), so
   * the extents that follow it there are read in the same device read, up to
   * COMPRESSED_RUN_MAX, and kept for the next calls: one read per run instead of
   * one per extent (each read may be a round trip to another thread).
   */
  private compressedBytes(ext: readonly FileExtent[], i: number): Uint8Array {
    const e = ext[i]!;
    const run = this.compressedRun;
    if (run && e.diskBytenr >= run.start && e.diskBytenr + e.diskNumBytes <= run.start + run.bytes.length) {
      return run.bytes.subarray(e.diskBytenr - run.start, e.diskBytenr - run.start + e.diskNumBytes);
    }
    let stop = e.diskBytenr + e.diskNumBytes;
    for (let j = i + 1; j < ext.length; j++) {
      const n = ext[j]!;
      if (n.type === EXTENT_INLINE || n.compression === COMPRESS_NONE || n.diskBytenr !== stop || n.diskNumBytes > 128 * 1024 + this.sb.sectorSize) break;
      if (stop + n.diskNumBytes - e.diskBytenr > COMPRESSED_RUN_MAX) break;
      stop += n.diskNumBytes;
    }
    const bytes = this.readLogical(e.diskBytenr, stop - e.diskBytenr);
    this.compressedRun = { start: e.diskBytenr, bytes };
    return bytes.subarray(0, e.diskNumBytes);
  }

  read(h: number, offset: number, length: number): Uint8Array {
    const ip = this.inode(h);
    const fmt = ip.mode & S_IFMT;
    if (fmt === S_IFDIR) throw new FsError('EISDIR', `btrfs: inode ${h % SLOT} is a directory`);
    if (fmt !== S_IFREG) throw new FsError('EINVAL', `btrfs: inode ${h % SLOT} is not a regular file`);
    const n = Math.max(0, Math.min(length, ip.size - offset));
    return n === 0 ? new Uint8Array(0) : this.readRange(h, offset, n);
  }

  /** XATTR_ITEMs are keyed by the name's hash; names that collide share one item. */
  listxattrs(h: number): Xattr[] {
    const { slot, objectid } = this.split(h);
    const out: Xattr[] = [];
    if (slot.id === 0) return out;
    const what = `${slot.root.name}: inode ${objectid}: xattr`;
    this.reader.walk(slot.root, { objectid, type: ITEM.XATTR_ITEM, offset: 0 }, (key, data) => {
      if (key.objectid !== objectid || key.type !== ITEM.XATTR_ITEM) return false;
      for (const d of parseDirItems(data, what)) out.push({ name: decodeName(d.name), value: d.data.slice() });
    });
    return out;
  }

  readlink(h: number): string {
    const ip = this.inode(h);
    if ((ip.mode & S_IFMT) !== S_IFLNK) throw new FsError('EINVAL', `btrfs: inode ${h % SLOT} is not a symbolic link`);
    if (ip.size === 0 || ip.size > MAXPATHLEN) throw corrupt(`symlink inode ${h % SLOT} has length ${ip.size}`);
    return new TextDecoder('utf-8').decode(this.readRange(h, 0, ip.size));
  }

  /** The subvolume whose path from the top level is `path` (subvol= mount option). */
  private subvolByPath(path: string): number {
    const want = path.replace(/^\/+|\/+$/g, '').replace(/\/+/g, '/');
    if (want === '') return OBJ.FS_TREE;
    const hit = this.subvolumes.list().find((s) => s.path === want);
    if (!hit) throw new FsError('ENOENT', `btrfs: subvol=${path}: no such subvolume`);
    return hit.id;
  }

  protected refusal(op: string): string {
    return `btrfs: ${op}: the wasm backend reads btrfs only: use --backend=appliance to write`;
  }
  close(): void {
    this.closed = true;
  }
}

/**
 * Opens a btrfs filesystem read-only. A read-write request is refused: the caller should have
 * chosen the appliance. A filesystem on several devices needs them all among `device` and
 * `others` (the other drives of the session; those of other filesystems are ignored).
 */
export function openBtrfs(device: SyncDevice, opts: { readOnly: boolean; options?: string }, others: readonly SyncDevice[] = []): BtrfsDriver {
  if (!opts.readOnly) throw new FsError('EROFS', 'btrfs: the wasm backend mounts btrfs read-only only: use --backend=appliance to write');
  const mountOpts = parseMountOptions(opts.options ?? '');
  const sb = readSuperblock(device);
  const devices = sb.numDevices > 1 ? filesystemDevices(sb, device, others) : new Map([[sb.devid, device]]);
  const chunks = new ChunkMap(new Set(devices.keys()));
  sysChunks(sb.sysChunkArray, chunks);
  let readRaw = (logical: number, length: number, mirror: number): Uint8Array => readMapped(devices, chunks, logical, length, mirror);
  const reader = new TreeReader(sb, (l, n, m) => readRaw(l, n, m), (l) => mirrorCount(chunks, l));
  try {
    reader.walk({ bytenr: sb.chunkRoot, level: sb.chunkRootLevel, name: 'chunk tree' }, { objectid: 256, type: ITEM.CHUNK_ITEM, offset: 0 }, (key, data) => {
      if (key.type !== ITEM.CHUNK_ITEM) return;
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      chunks.add(parseChunk(dv, 0, data.length, key.offset).chunk);
    });
  } finally {
    checkAllDevices(sb, devices, reader);
  }
  const rootTree = { bytenr: sb.root, level: sb.rootLevel, name: 'root tree' };
  const drv = new BtrfsDriver(devices, sb, chunks, rootTree, reader, mountOpts);
  readRaw = (l, n, m) => drv.readRaw(l, n, m);
  if ((drv.getattr(drv.rootIno).mode & S_IFMT) !== S_IFDIR) throw corrupt('the root directory is not a directory');
  return drv;
}
