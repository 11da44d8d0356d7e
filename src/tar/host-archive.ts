/**
 * The host side of tar-in and tar-out when the guest side is done in process:
 * a seekable copy of the archive (standard input and compressed archives are
 * spooled, decompressed, to a private temporary file) and a compressing sink.
 * gzip is zlib's; the other compress values run the host's own program, as GNU
 * tar does (xz, bzip2, lzop, zstd, compress).
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { ErrnoError, codeOfError } from '../errors/index.js';

/** compress value → the program and its decompress flag (GNU tar's choices). */
const PROGRAMS: Record<string, string> = { bzip2: 'bzip2', xz: 'xz', lzop: 'lzop', zstd: 'zstd', compress: 'uncompress' };

function checkCompress(compress: string | undefined): void {
  if (compress !== undefined && compress !== 'gzip' && !PROGRAMS[compress]) {
    throw new ErrnoError('EINVAL', `${compress}: unknown compression type (one of gzip, ${Object.keys(PROGRAMS).join(', ')})`);
  }
}

function hostError(local: string, e: unknown): ErrnoError {
  const err = e as NodeJS.ErrnoException;
  const text = err.code === 'ENOENT' ? 'No such file or directory' : err.code === 'EISDIR' ? 'Is a directory' : err.message;
  return new ErrnoError(codeOfError(err), `${local}: ${text}`, { cause: e });
}

/** Runs `program` as a filter between two streams; its failure is an EIO naming it. */
function filterThrough(program: string, args: string[]): { input: Writable; output: Readable; done: Promise<void> } {
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(new ErrnoError('EIO', `${program}: ${(e as Error).message}`, { cause: e })));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new ErrnoError('EIO', `${program}: ${stderr.trim().split('\n')[0] || `exit status ${code}`}`))));
  });
  return { input: child.stdin, output: child.stdout, done };
}

export interface SeekableArchive {
  fh: FileHandle;
  size: number;
  close(): Promise<void>;
}

/** The archive `local` ("-" = standard input) as a file that can be read by offset. */
export async function openArchive(local: string, compress: string | undefined): Promise<SeekableArchive> {
  checkCompress(compress);
  if (local !== '-' && compress === undefined) {
    const fh = await open(local, 'r').catch((e) => { throw hostError(local, e); });
    const st = await fh.stat();
    if (st.isDirectory()) {
      await fh.close();
      throw new ErrnoError('EISDIR', `${local}: Is a directory`);
    }
    return { fh, size: st.size, close: () => fh.close() };
  }
  const dir = await mkdtemp(join(tmpdir(), 'guestkit-tar-'));
  const spool = join(dir, 'archive.tar');
  try {
    const source: Readable = local === '-' ? process.stdin : createReadStream(local);
    const opened = new Promise<void>((resolve, reject) => {
      if (local === '-') resolve();
      else source.once('open', () => resolve()).once('error', (e) => reject(hostError(local, e)));
    });
    await opened;
    const sink = createWriteStream(spool, { mode: 0o600 });
    if (compress === undefined) await pipeline(source, sink);
    else if (compress === 'gzip') await pipeline(source, createGunzip(), sink).catch((e) => { throw new ErrnoError('EIO', `gzip: ${local}: ${(e as Error).message}`, { cause: e }); });
    else {
      const f = filterThrough(PROGRAMS[compress]!, ['-dc']);
      await Promise.all([pipeline(source, f.input), pipeline(f.output, sink), f.done]);
    }
    const fh = await open(spool, 'r');
    const size = (await stat(spool)).size;
    return { fh, size, close: async () => { await fh.close(); await rm(dir, { recursive: true, force: true }); } };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * A writable that compresses into `out` as `compress` asks (out itself when
 * none), and a promise for when everything written to it reached `out`.
 */
export function compressingSink(out: Writable, compress: string | undefined): { sink: Writable; finish: () => Promise<void> } {
  checkCompress(compress);
  if (compress === undefined) return { sink: out, finish: async () => undefined };
  if (compress === 'gzip') {
    const gz = createGzip();
    const piped = pipeline(gz, passInto(out));
    return { sink: gz, finish: async () => { gz.end(); await piped; } };
  }
  const program = compress === 'compress' ? 'compress' : PROGRAMS[compress]!;
  const f = filterThrough(program, ['-c']);
  const piped = pipeline(f.output, passInto(out));
  return { sink: f.input, finish: async () => { f.input.end(); await Promise.all([piped, f.done]); } };
}

/** A writable that forwards into `out` without ending it (out may be standard output). */
function passInto(out: Writable): Writable {
  const p = new PassThrough();
  p.on('data', (c) => { if (!out.write(c)) { p.pause(); out.once('drain', () => p.resume()); } });
  return p;
}
