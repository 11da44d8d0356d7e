/**
 * qcow2 test images made with qemu-img / qemu-io (never committed), and the
 * reference views of them: `qemu-img convert -O raw` bytes and `qemu-img map`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const KiB = 1024;
export const MiB = 1024 * KiB;

export function qemuImg(...args: string[]): string {
  return execFileSync('qemu-img', args, { encoding: 'utf8' });
}

/** Runs qemu-io commands on an image (format given: no probing of a backing-less raw). */
export function qemuIo(file: string, format: string, ...cmds: string[]): void {
  execFileSync('qemu-io', ['-f', format, ...cmds.flatMap((c) => ['-c', c]), file], { stdio: 'ignore' });
}

/** A 16 MiB qcow2 at `file` whose first MiB is 0x5a bytes (the rest unallocated). */
export function patternedQcow2(file: string): string {
  qemuImg('create', '-q', '-f', 'qcow2', file, '16M');
  qemuIo(file, 'qcow2', 'write -P 0x5a 0 1M');
  return file;
}

/** The command lines of the qemu-nbd processes serving `file` ('' when there are none). */
export function qemuNbdFor(file: string): string {
  try {
    return execFileSync('pgrep', ['-af', `qemu-nbd.*${file}`], { encoding: 'utf8' }).trim();
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
}

/** A raw file of `size` bytes, every byte written (no holes), seeded pseudo-random data. */
export function denseRaw(file: string, size: number): string {
  fs.writeFileSync(file, randomBytes(size));
  return file;
}

/** What the image reads as, according to qemu. */
export function qemuRaw(image: string, out: string): string {
  qemuImg('convert', '-O', 'raw', image, out);
  return out;
}

export type ExtentType = 'data' | 'zero' | 'hole';
export interface TypedExtent {
  start: number;
  length: number;
  type: ExtentType;
}

/** Adjacent extents of one type made one. */
export function mergeExtents(list: TypedExtent[]): TypedExtent[] {
  const out: TypedExtent[] = [];
  for (const e of list) {
    const last = out[out.length - 1];
    if (last && last.type === e.type && last.start + last.length === e.start) last.length += e.length;
    else if (e.length > 0) out.push({ ...e });
  }
  return out;
}

/** `qemu-img map --output=json` as data / zero (present, reads as zeroes) / hole (not present anywhere). */
export function qemuMap(image: string): TypedExtent[] {
  const entries = JSON.parse(qemuImg('map', '--output=json', image)) as Array<{ start: number; length: number; present: boolean; zero: boolean; data: boolean }>;
  return mergeExtents(entries.map((e) => ({ start: e.start, length: e.length, type: !e.present ? 'hole' : e.data ? 'data' : 'zero' })));
}

/** Renames the backing-format header extension to an unknown type (qemu skips those), so readers must probe. */
export function dropBackingFormat(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const head = Buffer.alloc(4096);
    fs.readSync(fd, head, 0, head.length, 0);
    const at = head.indexOf(Buffer.from([0xe2, 0x79, 0x2a, 0xca]), 72);
    if (at < 0) throw new Error(`${file}: no backing-format extension`);
    fs.writeSync(fd, Buffer.from([0x0b, 0xad, 0xf0, 0x0d]), 0, 4, at);
  } finally {
    fs.closeSync(fd);
  }
}

/** Builds the test images in `dir` and returns them by name. */
export function buildQcow2Images(dir: string): Record<string, string> {
  const p = (n: string) => path.join(dir, n);
  const images: Record<string, string> = {};

  // Version 2 (compat=0.10): data clusters and an unallocated tail.
  images.v2 = p('v2.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', '-o', 'compat=0.10', images.v2, '8M');
  qemuIo(images.v2, 'qcow2', 'write -P 0x11 0 100k', 'write -P 0x22 3M 70k', 'write -P 0x33 8128k 64k');

  // Version 3 with zero clusters (write -z) over data, and a small cluster size.
  images.v3zero = p('v3zero.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4096', images.v3zero, '6M');
  qemuIo(images.v3zero, 'qcow2', 'write -P 0x44 0 2M', 'write -z 64k 128k', 'write -z 3M 1M', 'write -P 0x55 5M 5000');

  // 512-byte and 2 MiB clusters (cluster_bits 9 and 21).
  images.c512 = p('c512.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', '-o', 'cluster_size=512', images.c512, '3M');
  qemuIo(images.c512, 'qcow2', 'write -P 0x66 1000 300k', 'write -z 1M 4k');
  images.c2m = p('c2m.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', '-o', 'cluster_size=2M', images.c2m, '9M');
  qemuIo(images.c2m, 'qcow2', 'write -P 0x77 1M 3M', 'write -P 0x78 8M 512');

  // Compressed (zlib) clusters from a raw with random and repetitive data.
  const src = p('compress-src.raw');
  fs.writeFileSync(src, Buffer.concat([randomBytes(300 * KiB), Buffer.alloc(700 * KiB, 0x5a), randomBytes(77 * KiB), Buffer.alloc(971 * KiB)]));
  images.compressed = p('compressed.qcow2');
  qemuImg('convert', '-q', '-c', '-O', 'qcow2', src, images.compressed);
  // Compressed clusters next to subcluster writes (extended L2 entries), over a version 2 backing.
  images.compressedExtL2 = p('compressed-extl2.qcow2');
  qemuImg('convert', '-q', '-c', '-O', 'qcow2', '-o', 'extended_l2=on,cluster_size=32k', '-B', 'v2.qcow2', '-F', 'qcow2', src, images.compressedExtL2);
  qemuIo(images.compressedExtL2, 'qcow2', 'write -P 0x13 33k 2k', 'write -z 70k 1k');
  // The same with zstd clusters (compression_type=zstd), read natively too.
  images.compressedZstd = p('compressed-zstd.qcow2');
  qemuImg('convert', '-q', '-c', '-O', 'qcow2', '-o', 'compression_type=zstd', src, images.compressedZstd);
  images.compressedZstdExtL2 = p('compressed-zstd-extl2.qcow2');
  qemuImg('convert', '-q', '-c', '-O', 'qcow2', '-o', 'compression_type=zstd,extended_l2=on,cluster_size=32k', '-B', 'v2.qcow2', '-F', 'qcow2', src, images.compressedZstdExtL2);
  qemuIo(images.compressedZstdExtL2, 'qcow2', 'write -P 0x13 33k 2k', 'write -z 70k 1k');

  // Extended L2 entries: subcluster writes, subcluster zeroes, over a qcow2 backing.
  images.extBase = p('ext-base.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', images.extBase, '4M');
  qemuIo(images.extBase, 'qcow2', 'write -P 0x01 0 4M');
  images.extL2 = p('extl2.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', '-o', 'extended_l2=on,cluster_size=128k', '-b', 'ext-base.qcow2', '-F', 'qcow2', images.extL2, '5M');
  qemuIo(images.extL2, 'qcow2', 'write -P 0x99 4k 4k', 'write -P 0x9a 20k 9000', 'write -z 64k 8k', 'write -P 0x9b 1M 300k', 'write -z 2M 128k', 'write -P 0x9c 4600k 8k');

  // A chain 3 deep under the top, raw at the bottom: relative and absolute names, a format-less link.
  denseRaw(p('chain-base.raw'), 3 * MiB);
  images.chainMid1 = p('chain-mid1.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', '-b', 'chain-base.raw', '-F', 'raw', images.chainMid1, '3M');
  qemuIo(images.chainMid1, 'qcow2', 'write -P 0xa1 1M 64k', 'write -z 2M 100k');
  fs.mkdirSync(p('sub'), { recursive: true });
  images.chainMid2 = p('sub/chain-mid2.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', '-b', images.chainMid1, '-F', 'qcow2', images.chainMid2, '4M');
  qemuIo(images.chainMid2, 'qcow2', 'write -P 0xa2 1040k 64k', 'write -P 0xa3 3500k 10k');
  images.chainTop = p('sub/chain-top.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', '-b', 'chain-mid2.qcow2', '-F', 'qcow2', images.chainTop, '6M');
  dropBackingFormat(images.chainTop); // the link's format is then probed
  qemuIo(images.chainTop, 'qcow2', 'write -P 0xa4 0 4k', 'write -z 1M 32k', 'write -P 0xa5 5M 4k');
  return images;
}
