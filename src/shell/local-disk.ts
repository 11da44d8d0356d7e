/** `alloc` and `sparse`: a new host disk file, then added to the handle as a drive. */
import { open } from 'node:fs/promises';
import { GuestkitError } from '../errors/index.js';
import { UsageError } from './usage-error.js';

const POWERS: Record<string, number> = { K: 1, k: 1, M: 2, G: 3, T: 4, P: 5, E: 6 };

/** Sizes as guestfish reads them: a number with an optional K/M/G/T/P/E suffix (1024s; KB, MB... are 1000s; KiB, MiB... 1024s). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+)(.*)$/.exec(text);
  if (!m) throw new UsageError('parse_size: invalid integer parameter (xstrtoull returned 4)\n');
  const suffix = /^(?:([kKMGTPE])(B|iB)?)?$/.exec(m[2]!);
  if (!suffix) throw new UsageError('parse_size: invalid integer parameter (xstrtoull returned 2)\n');
  const base = suffix[2] === 'B' ? 1000n : 1024n;
  const size = BigInt(m[1]!) * base ** BigInt(suffix[1] ? POWERS[suffix[1]]! : 0);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError('parse_size: invalid integer parameter (xstrtoull returned 1)\n');
  return Number(size);
}

/** Creates (or truncates) the file at SIZE bytes: allocated with zeros, or sparse. */
export async function createDiskFile(path: string, size: number, how: 'allocated' | 'sparse'): Promise<void> {
  if (size <= 0) throw new GuestkitError('EINVAL', `invalid size: ${size}`);
  const fh = await open(path, 'w', 0o666).catch((e: NodeJS.ErrnoException) => {
    throw new GuestkitError(e.code === 'ENOENT' ? 'ENOENT' : 'EIO', `${path}: ${e.message.replace(/^[A-Z]+: /, '')}`, { cause: e });
  });
  try {
    if (how === 'sparse') await fh.truncate(size);
    else {
      const chunk = Buffer.alloc(Math.min(size, 1 << 20));
      for (let at = 0; at < size; at += chunk.length) await fh.write(chunk, 0, Math.min(chunk.length, size - at), at);
    }
  } finally {
    await fh.close();
  }
}
