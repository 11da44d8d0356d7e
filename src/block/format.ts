/**
 * Disk image formats: validation of --format values and probing of local
 * files by their magic bytes.
 */
import fs from 'node:fs';
import { GuestkitError, ImageError } from '../errors/index.js';
import { looksLikeDescriptor } from './vmdk/vmdk-descriptor.js';

export const DISK_FORMATS = ['raw', 'qcow2', 'vmdk', 'vhdx', 'vdi', 'vpc'] as const;
export type DiskFormat = (typeof DISK_FORMATS)[number];
/** What probing can find: the --format values plus formats qemu-nbd also serves. */
export type ProbedFormat = DiskFormat | 'qed' | 'qcow';

/** Checks a --format value (case-insensitive); 'vhd' is accepted for 'vpc'. */
export function validateFormat(format: string): DiskFormat {
  const f = format.trim().toLowerCase();
  if (f === 'vhd') return 'vpc';
  if ((DISK_FORMATS as readonly string[]).includes(f)) return f as DiskFormat;
  throw new GuestkitError('EFORMAT', `unknown format '${format}' (expected ${DISK_FORMATS.join(', ')})`);
}

const HEAD_BYTES = 1024;
const FOOTER_BYTES = 512;

function ascii(b: Uint8Array, at: number, s: string): boolean {
  if (b.length < at + s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

/**
 * The format a file's first bytes (and its last 512 bytes, for fixed VHDs)
 * announce. 'luks' is returned for LUKS containers; anything unknown is 'raw'.
 */
export function probeBytes(head: Uint8Array, footer?: Uint8Array): ProbedFormat | 'luks' {
  if (ascii(head, 0, 'QFI\xfb')) {
    const version = head.length >= 8 ? new DataView(head.buffer, head.byteOffset, head.length).getUint32(4) : 2;
    return version === 1 ? 'qcow' : 'qcow2';
  }
  if (ascii(head, 0, 'KDMV') || ascii(head, 0, 'COWD') || ascii(head, 0, '# Disk DescriptorFile')) return 'vmdk';
  // A descriptor written by other tools may start with other comments: its first real line is version=N.
  if ((head[0] === 0x23 || head[0] === 0x76) && looksLikeDescriptor(new TextDecoder('latin1').decode(head))) return 'vmdk';
  if (ascii(head, 0, 'vhdxfile')) return 'vhdx';
  if (ascii(head, 0, '<<< ') && head.length >= 0x44) {
    const magic = new DataView(head.buffer, head.byteOffset, head.length).getUint32(0x40, true);
    if (magic === 0xbeda107f) return 'vdi';
  }
  if (ascii(head, 0, 'conectix')) return 'vpc';
  if (ascii(head, 0, 'QED\0')) return 'qed';
  if (ascii(head, 0, 'LUKS\xba\xbe')) return 'luks';
  if (footer && ascii(footer, 0, 'conectix')) return 'vpc';
  return 'raw';
}

/**
 * A cheap sanity check of a qcow2 header against the file size: finds files
 * cut short before their header or L1 table ends (qemu would serve those
 * read-only as if the missing parts were zeroes). Returns a problem or null.
 */
export function qcow2Problem(head: Uint8Array, fileSize: number): string | null {
  if (head.length < 72 || fileSize < 72) return `qcow2 image is truncated: the header is cut short (file size ${fileSize})`;
  const v = new DataView(head.buffer, head.byteOffset, head.length);
  const version = v.getUint32(4);
  if (version !== 2 && version !== 3) return `qcow2 image has unsupported version ${version}`;
  const headerLength = version >= 3 && head.length >= 104 ? v.getUint32(100) : 72;
  if (fileSize < headerLength) return `qcow2 image is truncated: the header is cut short (file size ${fileSize})`;
  const clusterBits = v.getUint32(20);
  if (clusterBits < 9 || clusterBits > 21) return `qcow2 image is corrupt: bad cluster size 2^${clusterBits}`;
  const l1Size = v.getUint32(36);
  const l1Offset = Number(v.getBigUint64(40));
  if (l1Size > 0 && l1Offset + l1Size * 8 > fileSize) {
    return `qcow2 image is truncated: its L1 table (offset ${l1Offset}) is past the end of the file (size ${fileSize})`;
  }
  const refcountOffset = Number(v.getBigUint64(48));
  if (refcountOffset + 8 > fileSize) {
    return `qcow2 image is truncated: its refcount table (offset ${refcountOffset}) is past the end of the file (size ${fileSize})`;
  }
  return null;
}

export interface ImageHead {
  head: Uint8Array;
  footer?: Uint8Array;
  /** File size (0 for block devices: fstat does not know it). */
  size: number;
  isFile: boolean;
}

/** Reads the first KiB and the last 512 bytes of a local image (one-line ImageErrors naming `name`). */
export async function readImageHead(path: string, name = path): Promise<ImageHead> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(path, fs.constants.O_RDONLY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const text =
      code === 'ENOENT'
        ? 'No such file or directory'
        : code === 'EACCES'
          ? 'Permission denied'
          : code === 'ENOTDIR'
            ? 'Not a directory'
            : (e as Error).message.split('\n')[0]!;
    throw new ImageError(name, text, { cause: e });
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new ImageError(name, 'Is a directory');
    if (!st.isFile() && !st.isBlockDevice()) throw new ImageError(name, 'not a regular file or block device');
    const head = new Uint8Array(HEAD_BYTES);
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(head, 0, HEAD_BYTES, 0));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw new ImageError(name, 'Is a directory');
      throw new ImageError(name, `cannot read: ${(e as Error).message.split('\n')[0]}`, { cause: e });
    }
    if (bytesRead === 0) throw new ImageError(name, 'is empty: not a disk image');
    let footer: Uint8Array | undefined;
    if (st.isFile() && st.size >= FOOTER_BYTES) {
      footer = new Uint8Array(FOOTER_BYTES);
      await fh.read(footer, 0, FOOTER_BYTES, st.size - FOOTER_BYTES);
    }
    return { head: head.subarray(0, bytesRead), footer, size: st.size, isFile: st.isFile() };
  } finally {
    await fh.close().catch(() => {});
  }
}

/**
 * Probes a local file by its magic bytes. Empty files, LUKS containers and
 * truncated qcow2 images are refused with a one-line ImageError naming `name`.
 */
export async function probeFormat(path: string, name = path): Promise<ProbedFormat> {
  const h = await readImageHead(path, name);
  const f = probeBytes(h.head, h.footer);
  if (f === 'luks') throw new ImageError(name, 'is LUKS-encrypted: encrypted disks are not supported');
  if (f === 'qcow2' && h.isFile) {
    const problem = qcow2Problem(h.head, h.size) ?? (await qcow2ClusterProblem(path, h.head, h.size));
    if (problem) throw new ImageError(name, problem);
  }
  return f;
}

const QCOW2_OFFSET_MASK = 0x00fffffffffffe00n;
const QCOW2_INCOMPAT_EXTL2 = 1n << 4n;

/**
 * Checks that every L2 table and data cluster the image points at lies inside the
 * file. qemu reads clusters past the end of a cut-short file as zeroes, so without
 * this a truncated qcow2 opens "fine" and shows an empty or corrupt disk. Reads only
 * metadata: the L1 table and the L2 tables (1/8192 of the virtual size at most).
 */
export async function qcow2ClusterProblem(path: string, head: Uint8Array, fileSize: number): Promise<string | null> {
  const v = new DataView(head.buffer, head.byteOffset, head.length);
  const clusterBits = v.getUint32(20);
  const clusterSize = 2 ** clusterBits;
  const l1Size = v.getUint32(36);
  const l1Offset = Number(v.getBigUint64(40));
  const version = v.getUint32(4);
  const extendedL2 = version >= 3 && (v.getBigUint64(72) & QCOW2_INCOMPAT_EXTL2) !== 0n;
  const l2EntryBytes = extendedL2 ? 16 : 8;
  // Synchronous reads: a few small ones of metadata at open, each a trip through the thread pool otherwise (3-4 ms in all).
  const fd = fs.openSync(path, fs.constants.O_RDONLY);
  try {
    const l1 = Buffer.alloc(l1Size * 8);
    fs.readSync(fd, l1, 0, l1.length, l1Offset);
    const l2 = Buffer.alloc(clusterSize);
    for (let i = 0; i < l1Size; i++) {
      const l2Offset = Number(l1.readBigUInt64BE(i * 8) & QCOW2_OFFSET_MASK);
      if (l2Offset === 0) continue;
      if (l2Offset + clusterSize > fileSize) {
        return `qcow2 image is truncated: an L2 table (offset ${l2Offset}) is past the end of the file (size ${fileSize})`;
      }
      fs.readSync(fd, l2, 0, clusterSize, l2Offset);
      // Two 32-bit halves per entry, no BigInt: this loop sees every entry of every L2 table.
      const t = new DataView(l2.buffer, l2.byteOffset, l2.length);
      const compressedBits = 62 - (clusterBits - 8); // host offset bits of a compressed entry
      for (let j = 0; j + l2EntryBytes <= clusterSize; j += l2EntryBytes) {
        const hi = t.getUint32(j);
        const lo = t.getUint32(j + 4);
        if (hi === 0 && lo === 0) continue;
        const offset = hi & 0x40000000
          ? (hi & (2 ** (compressedBits - 32) - 1)) * 2 ** 32 + lo
          : (hi & 0x00ffffff) * 2 ** 32 + ((lo & 0xfffffe00) >>> 0);
        if (offset !== 0 && offset >= fileSize) {
          return `qcow2 image is truncated: data at offset ${offset} is past the end of the file (size ${fileSize})`;
        }
      }
    }
    return null;
  } finally {
    fs.closeSync(fd);
  }
}
