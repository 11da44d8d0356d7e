/**
 * Disk image files on the host: what libguestfs's disk-* calls ask qemu-img.
 * Raw and qcow2 images are created by guestkit itself; qemu-img remains for
 * other formats (disk-create) and for probing them (disk-format and the like).
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { probeBytes, readImageHead } from './format.js';
import { createQcow2 } from './qcow2/qcow2-create.js';
import { readQcow2Header } from './qcow2/qcow2-device.js';
import { ErrnoError, GuestkitError } from '../errors/index.js';

const run = promisify(execFile);

async function qemuImg(args: string[]): Promise<string> {
  try {
    return (await run('qemu-img', args, { maxBuffer: 16 << 20 })).stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new GuestkitError('ECHILD_PROC', 'qemu-img not found: install the Debian package qemu-utils', { cause: e });
    const msg = (err.stderr ?? err.message).trim().split('\n').pop()!.replace(/^qemu-img: /, '');
    throw new ErrnoError(/No such file/.test(msg) ? 'ENOENT' : 'EINVAL', msg, { cause: e });
  }
}

/** The virtual size of a raw or qcow2 backing file (what qemu-img create takes as the size when none is given). */
async function backingSize(file: string, backing: string, format: string): Promise<number> {
  const at = path.isAbsolute(backing) ? backing : path.join(path.dirname(file), backing);
  let st: import('node:fs').Stats;
  try {
    st = await fs.stat(at);
  } catch (e) {
    throw new ErrnoError('ENOENT', `${file}: Could not open '${backing}': No such file or directory`, { cause: e });
  }
  if (format === 'raw') return st.size;
  if (format === 'qcow2') return (await readQcow2Header(at, backing)).size;
  throw new ErrnoError('EINVAL', `${file}: the size of a ${format} backing file is not known to guestkit: give the size`);
}

const COMPAT: Record<string, '0.10' | '1.1'> = { '0.10': '0.10', v2: '0.10', '1.1': '1.1', v3: '1.1' };

/** qcow2 images are written by guestkit itself (qcow2-create.ts). */
async function createQcow2Natively(file: string, size: number, o: CreateOptions): Promise<void> {
  const compat = o.compat === undefined ? '1.1' : COMPAT[o.compat];
  if (!compat) throw new ErrnoError('EINVAL', `${file}: Parameter 'version' does not accept value '${o.compat}'`);
  const cs = o.clustersize ?? 65536;
  if (!Number.isInteger(Math.log2(cs)) || cs < 512 || cs > 2 * 1024 * 1024) {
    throw new ErrnoError('EINVAL', `${file}: Cluster size must be a power of two between 512 and 2048k`);
  }
  if (o.backingfile !== undefined && !o.backingformat) throw new ErrnoError('EINVAL', `${file}: Backing file specified without backing format`);
  if (o.backingformat !== undefined && !o.backingfile) throw new ErrnoError('EINVAL', `${file}: Backing format cannot be used without backing file`);
  const virtual = size >= 0 ? size : await backingSize(file, o.backingfile!, o.backingformat!);
  const preallocation = o.preallocation === 'metadata' || o.preallocation === 'full' ? o.preallocation : 'off';
  await createQcow2(file, { size: virtual, clusterSize: cs, compat, backingFile: o.backingfile, backingFormat: o.backingformat, preallocation });
}

export interface ImageInfo {
  format: string;
  virtualSize: number;
  backingFile?: string;
}

/** What qemu-img probes for an image file (never opened read-write); raw and qcow2 are read by guestkit itself. */
export async function imageInfo(file: string): Promise<ImageInfo> {
  const native = await nativeImageInfo(file);
  if (native) return native;
  const j = JSON.parse(await qemuImg(['info', '--output=json', '-U', file])) as Record<string, unknown>;
  return {
    format: String(j.format ?? 'unknown'),
    virtualSize: Number(j['virtual-size'] ?? 0),
    ...(j['backing-filename'] ? { backingFile: String(j['backing-filename']) } : {}),
  };
}

async function nativeImageInfo(file: string): Promise<ImageInfo | null> {
  let h: Awaited<ReturnType<typeof readImageHead>>;
  try {
    h = await readImageHead(file);
  } catch (e) {
    throw new ErrnoError(/No such file/.test((e as Error).message) ? 'ENOENT' : 'EINVAL', (e as Error).message, { cause: e });
  }
  if (!h.isFile) return null;
  const format = probeBytes(h.head, h.footer);
  if (format === 'raw') return { format, virtualSize: h.size };
  if (format !== 'qcow2') return null;
  const header = await readQcow2Header(file);
  return { format, virtualSize: header.size, ...(header.backingName !== undefined ? { backingFile: header.backingName } : {}) };
}

export interface CreateOptions {
  backingfile?: string;
  backingformat?: string;
  preallocation?: string;
  compat?: string;
  clustersize?: number;
}

const PREALLOC: Record<string, readonly string[]> = { raw: ['off', 'sparse', 'full'], qcow2: ['off', 'sparse', 'metadata', 'full'] };

/** libguestfs's disk-create: raw or qcow2 (other formats go to qemu-img as they are). */
export async function createImage(file: string, format: string, size: number, o: CreateOptions = {}): Promise<void> {
  if (!/^[a-z0-9]+$/.test(format)) throw new ErrnoError('EINVAL', `invalid value for format parameter '${format}'`);
  if (size < -1 || (size === -1 && !o.backingfile)) throw new ErrnoError('EINVAL', `invalid value for size parameter '${size}'`);
  if (o.preallocation !== undefined && PREALLOC[format] && !PREALLOC[format]!.includes(o.preallocation)) {
    throw new ErrnoError('EINVAL', `invalid value for preallocation parameter '${o.preallocation}'`);
  }
  if (format === 'raw') {
    for (const k of ['backingfile', 'backingformat', 'compat', 'clustersize'] as const) {
      if (o[k] !== undefined) throw new ErrnoError('EINVAL', `${k} cannot be used with raw format`);
    }
    // A raw image is a file of that size: sparse, or written out for "full".
    const fh = await fs.open(file, 'w');
    try {
      if (o.preallocation === 'full') {
        const chunk = Buffer.alloc(Math.min(size, 1 << 20));
        for (let pos = 0; pos < size; pos += chunk.length) await fh.write(chunk, 0, Math.min(chunk.length, size - pos), pos);
      } else {
        await fh.truncate(size);
      }
    } finally {
      await fh.close();
    }
    return;
  }
  if (format === 'qcow2') return createQcow2Natively(file, size, o);
  const opts: string[] = [];
  if (o.backingfile) opts.push(`backing_file=${o.backingfile}`);
  if (o.backingformat) opts.push(`backing_fmt=${o.backingformat}`);
  if (o.preallocation) opts.push(`preallocation=${o.preallocation === 'sparse' ? 'off' : o.preallocation}`);
  if (o.compat) opts.push(`compat=${o.compat}`);
  if (o.clustersize !== undefined) opts.push(`cluster_size=${o.clustersize}`);
  const optArgs = opts.length ? ['-o', opts.map((x) => x.replace(/,/g, ',,')).join(',')] : [];
  await qemuImg(['create', '-q', '-f', format, ...optArgs, file, ...(size >= 0 ? [String(size)] : [])]);
}
