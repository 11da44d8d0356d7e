/** Reading a host file (or standard input for "-") in chunks, for upload and tar-in. */
import { open } from 'node:fs/promises';
import { ErrnoError, codeOfError } from '../errors/index.js';

/**
 * Calls `sink` with consecutive chunks of at most `size` bytes and their offsets;
 * an empty input gives one empty chunk at offset 0, so the sink always runs.
 * Returns the byte count. A host file that cannot be opened is a one-line ErrnoError.
 */
export async function readHostChunks(local: string, size: number, sink: (chunk: Uint8Array, offset: number) => Promise<void>): Promise<number> {
  let n = 0;
  if (local === '-') {
    let pending: Buffer[] = [];
    let pendingLen = 0;
    const flush = async () => {
      const chunk = Buffer.concat(pending, pendingLen);
      pending = [];
      pendingLen = 0;
      await sink(chunk, n);
      n += chunk.length;
    };
    for await (const c of process.stdin) {
      pending.push(c as Buffer);
      pendingLen += (c as Buffer).length;
      if (pendingLen >= size) await flush();
    }
    if (pendingLen || n === 0) await flush();
    return n;
  }
  let fh;
  try {
    fh = await open(local, 'r');
  } catch (e) {
    throw new ErrnoError(codeOfError(e), `${local}: ${(e as Error).message.replace(/^[A-Z]+: /, '').replace(/, open '.*'$/, '')}`, { cause: e });
  }
  try {
    for (;;) {
      const buf = Buffer.alloc(size);
      const { bytesRead } = await fh.read(buf, 0, size, n);
      if (bytesRead === 0 && n > 0) break;
      await sink(buf.subarray(0, bytesRead), n);
      n += bytesRead;
      if (bytesRead === 0) break;
    }
  } finally {
    await fh.close();
  }
  return n;
}
