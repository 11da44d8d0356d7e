/** Disk image files on the host, through qemu-img: what libguestfs's disk-* calls ask it. */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
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

export interface ImageInfo {
  format: string;
  virtualSize: number;
  backingFile?: string;
}

/** What qemu-img probes for an image file (never opened read-write). */
export async function imageInfo(file: string): Promise<ImageInfo> {
  const j = JSON.parse(await qemuImg(['info', '--output=json', '-U', file])) as Record<string, unknown>;
  return {
    format: String(j.format ?? 'unknown'),
    virtualSize: Number(j['virtual-size'] ?? 0),
    ...(j['backing-filename'] ? { backingFile: String(j['backing-filename']) } : {}),
  };
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
  const opts: string[] = [];
  if (o.backingfile) opts.push(`backing_file=${o.backingfile}`);
  if (o.backingformat) opts.push(`backing_fmt=${o.backingformat}`);
  if (o.preallocation) opts.push(`preallocation=${o.preallocation === 'sparse' ? 'off' : o.preallocation}`);
  if (o.compat) opts.push(`compat=${o.compat}`);
  if (o.clustersize !== undefined) opts.push(`cluster_size=${o.clustersize}`);
  const optArgs = opts.length ? ['-o', opts.map((x) => x.replace(/,/g, ',,')).join(',')] : [];
  await qemuImg(['create', '-q', '-f', format, ...optArgs, file, ...(size >= 0 ? [String(size)] : [])]);
}
