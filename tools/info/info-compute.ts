/**
 * What `guestkit info` reports about one drive: the image (format, sizes, qcow2
 * header facts, backing chain), optionally its allocation map, then what the
 * guest holds (partition table, partitions, filesystems) through a Guestfs
 * handle on the wasm backend.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BlockDevice } from '../../src/block/block-device.js';
import { probeFormat, validateFormat } from '../../src/block/format.js';
import { isNbdUri } from '../../src/block/nbd/uri.js';
import { openDrive } from '../../src/block/open-drive.js';
import { Qcow2Device, readQcow2Header } from '../../src/block/qcow2/qcow2-device.js';
import { Qcow2NeedsQemu, type Qcow2Header } from '../../src/block/qcow2/qcow2-header.js';
import { Guestfs } from '../../src/core/guestfs.js';
import { readVmdkInfo, type VmdkFacts } from './info-vmdk.js';

export type ExtentType = 'data' | 'zero' | 'hole';

export interface MapExtent {
  offset: number;
  length: number;
  type: ExtentType;
}

export interface Qcow2Facts {
  compat: '0.10' | '1.1';
  compressionType: 'zlib' | 'zstd';
  lazyRefcounts: boolean;
  refcountBits: number;
  corrupt: boolean;
  extendedL2: boolean;
  dirty: boolean;
}

export interface ImageInfo {
  filename: string;
  format: string;
  virtualSize: number;
  /** Bytes the file occupies on the host (undefined for NBD URIs). */
  actualSize?: number;
  clusterSize?: number;
  /** The backing name as the header stores it, and as resolved against the image's directory. */
  backingFilename?: string;
  fullBackingFilename?: string;
  backingFormat?: string;
  qcow2?: Qcow2Facts;
  vmdk?: VmdkFacts;
  /** Every image below this one, nearest first. */
  backingChain: Array<{ file: string; format: string }>;
  /** 'msdos', 'gpt', or undefined when the disk has no partition table. */
  partitionTable?: string;
  partitions: Array<{ device: string; size: number }>;
  filesystems: Array<{ device: string; type: string }>;
  map?: MapExtent[];
}

export interface InfoOptions {
  format?: string;
  map: boolean;
}

export async function computeInfo(drive: string, opts: InfoOptions): Promise<ImageInfo> {
  const format = opts.format ? validateFormat(opts.format) : isNbdUri(drive) ? 'raw' : await probeFormat(drive);
  const info: ImageInfo = { filename: drive, format, virtualSize: 0, backingChain: [], partitions: [], filesystems: [] };
  if (!isNbdUri(drive)) info.actualSize = fs.statSync(drive).blocks * 512;
  const dev =
    format === 'qcow2' && !isNbdUri(drive) ? await openQcow2(drive, info)
    : format === 'vmdk' && !isNbdUri(drive) ? await openVmdk(drive, info)
    : await openDrive({ file: drive, format, readOnly: true });
  try {
    info.virtualSize = dev.size;
    if (opts.map) info.map = toMap(await dev.extents(0, dev.size));
  } finally {
    await dev.close();
  }
  await describeGuest(drive, format, info);
  return info;
}

/** Opens a vmdk natively and fills in its facts (extents, parent, the bytes all its files take). */
async function openVmdk(file: string, info: ImageInfo): Promise<BlockDevice> {
  const v = await readVmdkInfo(file);
  info.vmdk = v.facts;
  info.clusterSize = v.clusterSize;
  info.actualSize = v.actualSize;
  if (v.parentHint !== undefined) {
    info.backingFilename = v.parentHint;
    info.fullBackingFilename = v.parentPath;
  }
  info.backingChain = v.backingChain;
  return v.dev;
}

/** Opens a qcow2 natively and fills in its header facts; images only qemu reads (exotic backing files) are described from the header. */
async function openQcow2(file: string, info: ImageInfo): Promise<BlockDevice> {
  try {
    const q = await Qcow2Device.open(file);
    fillQcow2(info, q.header, file);
    info.backingChain = q.backingChain();
    return q;
  } catch (e) {
    if (!(e instanceof Qcow2NeedsQemu)) throw e;
    fillQcow2(info, await readQcow2Header(file), file);
    if (info.fullBackingFilename) info.backingChain = [{ file: info.fullBackingFilename, format: info.backingFormat ?? 'unknown' }];
    return openDrive({ file, format: 'qcow2', readOnly: true });
  }
}

function fillQcow2(info: ImageInfo, h: Qcow2Header, file: string): void {
  info.clusterSize = h.clusterSize;
  if (h.backingName !== undefined) {
    info.backingFilename = h.backingName;
    // qemu resolves a relative backing name against the directory of the image naming it.
    info.fullBackingFilename = path.isAbsolute(h.backingName) ? h.backingName : path.join(path.dirname(file), h.backingName);
    info.backingFormat = h.backingFormat;
  }
  info.qcow2 = {
    compat: h.version === 2 ? '0.10' : '1.1',
    compressionType: h.compression,
    lazyRefcounts: h.lazyRefcounts,
    refcountBits: 2 ** h.refcountOrder,
    corrupt: false, // corrupt images are refused when opened
    extendedL2: h.extendedL2,
    dirty: h.dirty,
  };
}

function toMap(extents: Array<{ offset: number; length: number; zero: boolean; hole: boolean }>): MapExtent[] {
  const out: MapExtent[] = [];
  for (const e of extents) {
    const type: ExtentType = e.hole ? 'hole' : e.zero ? 'zero' : 'data';
    const last = out[out.length - 1];
    if (last && last.type === type && last.offset + last.length === e.offset) last.length += e.length;
    else out.push({ offset: e.offset, length: e.length, type });
  }
  return out;
}

/** Partition table, partitions and filesystems, as the wasm backend reads them. */
async function describeGuest(drive: string, format: string, info: ImageInfo): Promise<void> {
  // It mounts nothing: the filesystem worker starts only if a listing needs it.
  const g = new Guestfs({ backend: 'wasm', needs: { devices: [] } });
  try {
    g.addDrive(drive, { format, readonly: true });
    await g.launch();
    const [disk] = await g.listDevices();
    const parts = await g.listPartitions();
    if (disk && parts.length > 0) info.partitionTable = await g.partGetParttype(disk);
    for (const p of parts) info.partitions.push({ device: p, size: await g.blockdevGetsize64(p) });
    for (const [device, type] of Object.entries(await g.listFilesystems())) info.filesystems.push({ device, type });
  } finally {
    await g.close();
  }
}
