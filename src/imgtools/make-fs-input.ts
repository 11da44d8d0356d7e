/**
 * What virt-make-fs's input is (a directory, or a tar archive, plain or
 * compressed) and how many bytes it holds: the apparent size of the tree as
 * `du --apparent-size -b -s` counts it, the size of a plain tar file, or the
 * uncompressed length of a compressed one.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { ErrnoError, GuestkitError, codeOfError } from '../errors/index.js';

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'compress';

export type MakeFsInput =
  | { kind: 'directory'; path: string; bytes: number }
  | { kind: 'tar'; path: string; bytes: number; compression?: Compression };

const MAGIC: ReadonlyArray<readonly [Compression, readonly number[]]> = [
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['compress', [0x1f, 0x9d]],
];

/** Sum of apparent sizes, hard links once, as du does. */
async function treeBytes(root: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const visit = async (p: string): Promise<void> => {
    const st = await fs.promises.lstat(p, { bigint: true });
    const id = `${st.dev}:${st.ino}`;
    if (st.nlink > 1n && !st.isDirectory()) {
      if (seen.has(id)) return;
      seen.add(id);
    }
    total += Number(st.size);
    if (st.isDirectory()) for (const name of await fs.promises.readdir(p)) await visit(path.join(p, name));
  };
  await visit(root);
  return total;
}

function isTarHeader(block: Uint8Array): boolean {
  // POSIX ustar and GNU tar both write "ustar" at offset 257; v7 archives have none but a valid checksum.
  if (block.length < 512) return false;
  if (Buffer.from(block.subarray(257, 262)).toString('latin1') === 'ustar') return true;
  const stored = parseInt(Buffer.from(block.subarray(148, 156)).toString('latin1').replace(/\0.*$/, '').trim(), 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return Number.isFinite(stored) && stored === sum && block[0] !== 0;
}

/** The decompressing stream for `compression` (zlib in process; bzip2, xz and compress by their programs). */
export function decompressedStream(file: string, compression: Compression): NodeJS.ReadableStream {
  if (compression === 'gzip') return fs.createReadStream(file).pipe(zlib.createGunzip());
  const program = compression === 'compress' ? 'gzip' : compression; // gzip -d reads .Z too
  const child = spawn(program, ['-cd', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.on('error', (e) => child.stdout.destroy(new GuestkitError('ECHILD_PROC', `${program} not found`, { cause: e })));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  child.on('close', (code) => {
    if (code) child.stdout.destroy(new GuestkitError('ECHILD_PROC', `${program} failed: ${stderr.trim().split('\n').pop() ?? ''}`));
  });
  return child.stdout;
}

/** Uncompressed length, checking that it starts with a tar header. */
async function measureCompressed(file: string, compression: Compression): Promise<{ bytes: number; tar: boolean }> {
  let bytes = 0;
  let head = Buffer.alloc(0);
  const stream = decompressedStream(file, compression);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (head.length < 512) head = Buffer.concat([head, chunk.subarray(0, 512 - head.length)]);
      bytes += chunk.length;
    }
  } catch (e) {
    if (e instanceof GuestkitError) throw e;
    throw new ErrnoError('EINVAL', `${file}: corrupt ${compression} data: ${(e as Error).message}`, { cause: e });
  }
  return { bytes, tar: isTarHeader(head) };
}

export async function examineInput(input: string): Promise<MakeFsInput> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(input);
  } catch (e) {
    const code = codeOfError(e);
    throw new ErrnoError(code, `${input}: ${code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`, { cause: e });
  }
  if (st.isDirectory()) return { kind: 'directory', path: input, bytes: await treeBytes(input) };
  const notTar = () => new ErrnoError('EINVAL', `${input}: input is not a directory, tar archive or compressed tar archive`);
  if (!st.isFile()) throw notTar();
  const head = new Uint8Array(512);
  const fh = await fs.promises.open(input, 'r');
  let n: number;
  try {
    n = (await fh.read(head, 0, 512, 0)).bytesRead;
  } finally {
    await fh.close();
  }
  const compression = MAGIC.find(([, m]) => n >= m.length && m.every((b, i) => head[i] === b))?.[0];
  if (compression) {
    const { bytes, tar } = await measureCompressed(input, compression);
    if (!tar) throw notTar();
    return { kind: 'tar', path: input, bytes, compression };
  }
  if (!isTarHeader(head.subarray(0, n))) throw notTar();
  // A plain tar: its own size (512-byte records make this a rough figure, as virt-make-fs says).
  return { kind: 'tar', path: input, bytes: st.size };
}
