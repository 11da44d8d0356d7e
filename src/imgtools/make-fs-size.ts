/**
 * virt-make-fs's output size: the input's bytes plus fixed overheads for the
 * filesystem type, plus 10%; or --size, absolute or "+N" on top of that estimate.
 */
import { ErrnoError } from '../errors/index.js';

const MiB = 1024 * 1024;

/** The estimate virt-make-fs computes (`sectorSize` is --blocksize, 0 when not given). */
export function estimateSize(inputBytes: number, type: string, partitioned: boolean, sectorSize: number): number {
  let estimate = inputBytes;
  // Room for 128 sectors at each end of a partitioned disk (nothing when --blocksize was not given, as upstream).
  if (partitioned) estimate += 2 * 128 * sectorSize;
  estimate += 256 * 1024; // superblocks and such
  if (/^ext[3-9]/.test(type)) estimate += 1024 * (sectorSize === 512 ? 1024 : 4096); // journal: 1024 fs blocks
  else if (type === 'ntfs') estimate += 4 * MiB; // the NTFS journal
  else if (type === 'btrfs') estimate += 256 * MiB; // btrfs's minimum metadata allocation
  else if (type === 'xfs') estimate += 4096 * 4096; // xfs's minimum of 4096 blocks
  return Math.trunc(estimate * 1.1);
}

const SUFFIX_POWER: Record<string, number> = { k: 1, K: 1, M: 2, G: 3, T: 4, P: 5, E: 6, Z: 7, Y: 8 };

/**
 * A size as gnulib's xstrtoull reads it with suffixes "0kKMGTPEZY": a number
 * (decimal, 0x hex or 0 octal), then optionally a suffix in powers of 1024,
 * or of 1000 when followed by "B" ("1MB"), "iB" being 1024 again ("1MiB").
 */
export function parseByteSize(s: string): number | null {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([kKMGTPEZY](?:iB|B)?|0)?$/.exec(s);
  if (!m) return null;
  const n = Number(m[1]!.startsWith('0x') || m[1]!.startsWith('0X') ? m[1] : m[1]!.length > 1 && m[1]!.startsWith('0') ? parseInt(m[1]!, 8) : m[1]);
  const suffix = m[2];
  if (!suffix || suffix === '0') return n;
  const base = suffix.endsWith('B') && !suffix.endsWith('iB') ? 1000 : 1024;
  const v = n * base ** SUFFIX_POWER[suffix[0]!]!;
  return Number.isSafeInteger(v) ? v : null;
}

/** --size: "N" or "+N" (added to the estimate). */
export function outputSize(sizeOption: string | undefined, estimate: number): number {
  if (sizeOption === undefined) return estimate;
  const plus = sizeOption.startsWith('+');
  const n = parseByteSize(plus ? sizeOption.slice(1) : sizeOption);
  if (n === null) throw new ErrnoError('EINVAL', `invalid size parameter '${sizeOption}'`);
  return plus ? estimate + n : n;
}
