/**
 * Creates an empty qcow2 image (what `qemu-img create -f qcow2` makes): the
 * header with its extensions and backing file name in cluster 0, then the
 * refcount table, the refcount blocks and the L1 table, all zero entries but
 * the refcounts of those clusters. Used for overlays over a backing file
 * (customize's copy-on-write mode, disk-create's backingfile).
 */
import fs from 'node:fs';
import { ErrnoError } from '../../errors/index.js';
import { setRefcount } from './refcounts.js';

export interface Qcow2CreateOptions {
  /** Virtual size in bytes (rounded up to 512, as qemu does). */
  size: number;
  /** 512 B to 2 MiB, a power of two; 64 KiB by default. */
  clusterSize?: number;
  /** '1.1' (version 3, the default) or '0.10' (version 2). */
  compat?: '0.10' | '1.1';
  /** The backing file as stored in the header (relative names are relative to the image's directory). */
  backingFile?: string;
  backingFormat?: string;
  /** Refuse to overwrite an existing file. */
  exclusive?: boolean;
  lazyRefcounts?: boolean;
  /**
   * 'metadata': every guest cluster is allocated (L2 tables and data clusters, the data a hole in the
   * file); 'full': the data clusters are written with zeroes too. 'off' by default.
   */
  preallocation?: 'off' | 'metadata' | 'full';
}

/** Metadata built in memory at most (what a preallocated image of several TiB would need). */
const MAX_METADATA_BYTES = 512 * 1024 * 1024;

const EXT_BACKING_FORMAT = 0xe2792aca;
const REFCOUNT_BITS = 16;

export async function createQcow2(file: string, o: Qcow2CreateOptions): Promise<void> {
  const cs = o.clusterSize ?? 64 * 1024;
  const bits = Math.log2(cs);
  if (!Number.isInteger(bits) || bits < 9 || bits > 21) throw new ErrnoError('EINVAL', `${file}: qcow2 cluster size ${cs} must be a power of two from 512 to 2097152`);
  const version = o.compat === '0.10' ? 2 : 3;
  if (o.lazyRefcounts && version < 3) throw new ErrnoError('EINVAL', `${file}: lazy refcounts need compat 1.1`);
  const size = Math.ceil(o.size / 512) * 512;
  if (!Number.isSafeInteger(size) || size < 0) throw new ErrnoError('EINVAL', `${file}: invalid qcow2 size ${o.size}`);
  const l1Size = Math.ceil(size / (cs * (cs / 8)));
  if (l1Size * 8 > 32 * 1024 * 1024) throw new ErrnoError('EINVAL', `${file}: a ${size}-byte qcow2 needs an L1 table larger than 32 MiB: use larger clusters`);
  const l1Clusters = Math.max(1, Math.ceil((l1Size * 8) / cs));
  const perBlock = (cs * 8) / REFCOUNT_BITS;
  const prealloc = o.preallocation !== undefined && o.preallocation !== 'off';
  const guestClusters = prealloc ? Math.ceil(size / cs) : 0;
  const l2Tables = prealloc ? Math.ceil(guestClusters / (cs / 8)) : 0;
  // Header, refcount table, refcount blocks, L1 table, then (preallocated) L2 tables and data:
  // grow the table and blocks until they cover all of it.
  let blocks = 1;
  let tableClusters = 1;
  for (;;) {
    const total = 1 + tableClusters + blocks + l1Clusters + l2Tables + guestClusters;
    const b = Math.ceil(total / perBlock);
    const t = Math.ceil((b * 8) / cs);
    if (b === blocks && t === tableClusters) break;
    blocks = b;
    tableClusters = t;
  }
  const tableAt = 1;
  const blocksAt = tableAt + tableClusters;
  const l1At = blocksAt + blocks;
  const l2At = l1At + l1Clusters;
  const dataAt = l2At + l2Tables;
  const total = dataAt + guestClusters;
  if ((dataAt - 1) * cs > MAX_METADATA_BYTES) throw new ErrnoError('EINVAL', `${file}: preallocating a ${size}-byte qcow2 needs more than 512 MiB of tables: use larger clusters`);

  const head = Buffer.alloc(cs);
  head.write('QFI\xfb', 0, 'latin1');
  head.writeUInt32BE(version, 4);
  head.writeUInt32BE(bits, 20);
  head.writeBigUInt64BE(BigInt(size), 24);
  head.writeUInt32BE(l1Size, 36);
  head.writeBigUInt64BE(BigInt(l1At * cs), 40);
  head.writeBigUInt64BE(BigInt(tableAt * cs), 48);
  head.writeUInt32BE(tableClusters, 56);
  let at = 72;
  if (version === 3) {
    head.writeBigUInt64BE(o.lazyRefcounts ? 1n : 0n, 80); // compatible features
    head.writeUInt32BE(4, 96); // refcount order: 16 bits
    head.writeUInt32BE(104, 100);
    at = 104;
  }
  if (o.backingFormat !== undefined) {
    const fmt = Buffer.from(o.backingFormat);
    head.writeUInt32BE(EXT_BACKING_FORMAT, at);
    head.writeUInt32BE(fmt.length, at + 4);
    fmt.copy(head, at + 8);
    at += 8 + Math.ceil(fmt.length / 8) * 8;
  }
  at += 8; // the end-of-extensions marker (zeroes)
  if (o.backingFile !== undefined) {
    const name = Buffer.from(o.backingFile);
    if (name.length === 0 || name.length > 1023 || at + name.length > cs) throw new ErrnoError('EINVAL', `${file}: backing file name too long for the qcow2 header`);
    head.writeBigUInt64BE(BigInt(at), 8);
    head.writeUInt32BE(name.length, 16);
    name.copy(head, at);
  }

  const meta = Buffer.alloc((dataAt - 1) * cs);
  for (let b = 0; b < blocks; b++) meta.writeBigUInt64BE(BigInt((blocksAt + b) * cs), (tableAt - 1) * cs + b * 8);
  const blockBytes = meta.subarray((blocksAt - 1) * cs, (l1At - 1) * cs);
  const COPIED = 1n << 63n; // refcount exactly one
  for (let t = 0; t < l2Tables; t++) meta.writeBigUInt64BE(BigInt((l2At + t) * cs) | COPIED, (l1At - 1) * cs + t * 8);
  for (let g = 0; g < guestClusters; g++) meta.writeBigUInt64BE(BigInt((dataAt + g) * cs) | COPIED, (l2At - 1) * cs + g * 8);
  for (let c = 0; c < total; c++) {
    const b = Math.floor(c / perBlock);
    setRefcount(blockBytes.subarray(b * cs, (b + 1) * cs), c % perBlock, REFCOUNT_BITS, 1);
  }
  const fh = await fs.promises.open(file, o.exclusive ? 'wx' : 'w', 0o644);
  try {
    await fh.write(head, 0, head.length, 0);
    await fh.write(meta, 0, meta.length, cs);
    if (o.preallocation === 'full') {
      const zeroes = Buffer.alloc(Math.min(guestClusters * cs, 4 * 1024 * 1024));
      for (let at = dataAt * cs; at < total * cs; at += zeroes.length) await fh.write(zeroes, 0, Math.min(zeroes.length, total * cs - at), at);
    } else if (prealloc) {
      await fh.truncate(total * cs);
    }
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await fs.promises.rm(file, { force: true });
    throw e;
  }
  await fh.close();
}
