/**
 * qemu's image locks, read from /proc/locks. qemu (and qemu-nbd, qemu-img) marks
 * what it does with an image by shared OFD locks on single bytes of the file:
 * byte 100+N while it holds permission N, byte 200+N while it refuses to share
 * permission N with others (N = 1 is "write"). Node cannot take OFD locks, but
 * it can see them: before guestkit writes to an image it checks that no process
 * is writing it (byte 101) or forbids writes to it (byte 201), as qemu itself
 * would before taking write permission. Read-only access never conflicts: like
 * libguestfs's --ro, guestkit reads an image in use (through its overlay).
 */
import { readFileSync, statSync } from 'node:fs';
import { GuestkitError } from '../errors/index.js';

const WRITE_PERM_BYTE = 101;
const WRITE_UNSHARED_BYTE = 200 + 1;

interface LockRange {
  start: number;
  end: number;
}

/** The lock ranges /proc/locks lists for one file (by device and inode). */
function locksOn(file: string, procLocks: string): LockRange[] {
  const st = statSync(file);
  const major = Number((BigInt(st.dev) >> 8n) & 0xfffn);
  const minor = Number((BigInt(st.dev) & 0xffn) | ((BigInt(st.dev) >> 12n) & 0xfff00n));
  const ranges: LockRange[] = [];
  for (const line of procLocks.split('\n')) {
    // "1: OFDLCK ADVISORY  READ -1 fe:00:2162753 100 101" (blocked waiters have a "->" prefix)
    const m = /^\d+:\s+(?:->\s+)?\S+\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s+(\d+)\s+(\d+|EOF)\s*$/.exec(line);
    if (!m || Number(m[3]) !== st.ino || parseInt(m[1]!, 16) !== major || parseInt(m[2]!, 16) !== minor) continue;
    ranges.push({ start: Number(m[4]), end: m[5] === 'EOF' ? Number.MAX_SAFE_INTEGER : Number(m[5]) });
  }
  return ranges;
}

/** Why another process's locks forbid writing to `file`, or undefined when none do. */
export function writeLockConflict(file: string, procLocks = readProcLocks()): string | undefined {
  if (procLocks === undefined) return undefined;
  const ranges = locksOn(file, procLocks);
  const held = (byte: number) => ranges.some((r) => r.start <= byte && byte <= r.end);
  if (held(WRITE_PERM_BYTE)) return 'another process (qemu, qemu-nbd or a VM) has it open for writing';
  if (held(WRITE_UNSHARED_BYTE)) return 'another process (qemu, qemu-nbd or a VM) has it open and does not allow writes';
  return undefined;
}

function readProcLocks(): string | undefined {
  try {
    return readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined; // not Linux, or no procfs: nothing to check against
  }
}

/** Refuses to open `file` for writing while qemu's locks say another process writes it or forbids writes. */
export function checkWritable(file: string): void {
  const conflict = writeLockConflict(file);
  if (conflict) throw new GuestkitError('EBUSY', `${file}: is in use: ${conflict} (use --no-lock to write anyway)`, { disk: file });
}
