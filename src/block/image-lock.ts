/**
 * qemu's image locks. qemu (and qemu-nbd, qemu-img) marks what it does with an
 * image by shared OFD locks on single bytes of the file: byte 100+N while it
 * holds permission N, byte 200+N while it refuses to share permission N with
 * others (N = 0 consistent read, 1 write, 3 resize). Before it takes a
 * permission it asks whether anyone refuses to share it, and before it
 * refuses to share one whether anyone holds it.
 *
 * guestkit takes the same locks on the descriptor it keeps open for the
 * session (ofd-lock-helper.ts): a writer holds read and write (and resize on
 * qcow2, which grows) and shares neither write nor resize, so qemu writers
 * and other guestkit writers are refused while it writes; a reader holds what
 * a qemu read-only user holds (consistent read, and on qcow2 no writes by
 * others; on a backing file, consistent read only). Read-only access checks nothing: like libguestfs's --ro, guestkit
 * reads an image in use (through its overlay). Where the helper cannot run,
 * a writer only checks /proc/locks for qemu's write locks, as before.
 */
import fs from 'node:fs';
import { GuestkitError } from '../errors/index.js';
import { ofdLockProblem, runOfdOps, type OfdOp } from './ofd-lock-helper.js';

const PERM_BASE = 100;
const UNSHARED_BASE = 200;
const CONSISTENT_READ = 0;
const WRITE = 1;
const RESIZE = 3;

export interface LockIntent {
  write: boolean;
  /** qcow2 writers resize the file; qcow2 readers, like qemu's, do not share writes (its metadata would move). */
  format: 'raw' | 'qcow2';
  /** A backing file under a qcow2 image: qemu only reads it and shares everything. */
  backing?: boolean;
}

/** The permissions held, and those not shared, the way qemu's file driver sees such a user. */
function permissions(intent: LockIntent): { held: number[]; unshared: number[] } {
  if (intent.backing) return { held: [CONSISTENT_READ], unshared: [] };
  if (intent.write) return { held: intent.format === 'qcow2' ? [CONSISTENT_READ, WRITE, RESIZE] : [CONSISTENT_READ, WRITE], unshared: [WRITE, RESIZE] };
  return { held: [CONSISTENT_READ], unshared: intent.format === 'qcow2' ? [WRITE, RESIZE] : [RESIZE] };
}

const WHAT_HOLDER_DOES: Record<number, string> = {
  [PERM_BASE + CONSISTENT_READ]: 'has it open for reading',
  [PERM_BASE + WRITE]: 'has it open for writing',
  [PERM_BASE + RESIZE]: 'has it open and may resize it',
  [UNSHARED_BASE + CONSISTENT_READ]: 'has it open and does not allow reads',
  [UNSHARED_BASE + WRITE]: 'has it open and does not allow writes',
  [UNSHARED_BASE + RESIZE]: 'has it open and does not allow resizing',
};

interface LockRange {
  start: number;
  end: number;
}

interface FileId {
  major: number;
  minor: number;
  ino: number;
}

function fileId(st: fs.Stats): FileId {
  return {
    major: Number((BigInt(st.dev) >> 8n) & 0xfffn),
    minor: Number((BigInt(st.dev) & 0xffn) | ((BigInt(st.dev) >> 12n) & 0xfff00n)),
    ino: st.ino,
  };
}

/** The lock ranges a /proc/locks text (or a /proc/PID/fdinfo/FD's "lock:" lines) lists for one file. */
function locksOn(id: FileId, text: string): LockRange[] {
  const ranges: LockRange[] = [];
  for (const line of text.split('\n')) {
    // "1: OFDLCK ADVISORY  READ -1 fe:00:2162753 100 101" (blocked waiters have a "->" prefix; fdinfo adds "lock:\t")
    const m = /^(?:lock:\s+)?\d+:\s+(?:->\s+)?\S+\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s+(\d+)\s+(\d+|EOF)\s*$/.exec(line);
    if (!m || Number(m[3]) !== id.ino || parseInt(m[1]!, 16) !== id.major || parseInt(m[2]!, 16) !== id.minor) continue;
    ranges.push({ start: Number(m[4]), end: m[5] === 'EOF' ? Number.MAX_SAFE_INTEGER : Number(m[5]) });
  }
  return ranges;
}

const covering = (ranges: LockRange[], byte: number) => ranges.filter((r) => r.start <= byte && byte <= r.end).length;

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The "lock:" lines of all of a process's descriptors ('' when they cannot be read). */
function fdinfoLocks(pid: string): string {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return '';
  }
  return fds.map((fd) => readOr(`/proc/${pid}/fdinfo/${fd}`)).join('\n');
}

/** Who holds a lock on `byte` of the file: "qemu-nbd (pid 123)", "guestkit (pid 9)"..., or a general phrase when not visible. */
function holderOf(id: FileId, byte: number): string {
  let pids: string[] = [];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    // no procfs
  }
  for (const pid of pids) {
    if (covering(locksOn(id, fdinfoLocks(pid)), byte) === 0) continue;
    const comm = readOr(`/proc/${pid}/comm`).trim();
    const cmdline = readOr(`/proc/${pid}/cmdline`).split('\0');
    if (cmdline.some((a) => /(^|\/)guestkit(\.c?js)?$/.test(a) || /\/dist\/(tools\/cli\.js|bundle\/guestkit\.cjs)$/.test(a))) return `guestkit (pid ${pid})`;
    if (comm.startsWith('qemu-system')) return `a VM (${comm}, pid ${pid})`;
    return `${comm || 'a process'} (pid ${pid})`;
  }
  return 'another process (qemu, qemu-nbd, a VM or guestkit)';
}

/** "qemu-nbd (pid 123) has it open for writing": who holds `byte` and what that lock means. */
function conflictText(id: FileId, byte: number): string {
  return `${holderOf(id, byte)} ${WHAT_HOLDER_DOES[byte] ?? `holds lock byte ${byte}`}`;
}

function inUse(file: string, conflict: string): GuestkitError {
  return new GuestkitError('EBUSY', `${file}: is in use: ${conflict} (use --no-lock to write anyway)`, { disk: file });
}

/** The bytes a writer of unknown format must find free: nobody writes or resizes it, nobody forbids reads or writes. */
const WRITER_CHECKS = [PERM_BASE + WRITE, PERM_BASE + RESIZE, UNSHARED_BASE + CONSISTENT_READ, UNSHARED_BASE + WRITE];

/**
 * Why other processes' locks (in /proc/locks, less this process's own from
 * /proc/self/fdinfo) forbid writing to `file`, or undefined when none do.
 */
export function writeLockConflict(file: string, procLocks = readProcLocks(), ownLocks = fdinfoLocks('self')): string | undefined {
  if (procLocks === undefined) return undefined;
  const id = fileId(fs.statSync(file));
  const all = locksOn(id, procLocks);
  const own = locksOn(id, ownLocks);
  const byte = WRITER_CHECKS.find((b) => covering(all, b) > covering(own, b));
  return byte === undefined ? undefined : conflictText(id, byte);
}

function readProcLocks(): string | undefined {
  try {
    return fs.readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined; // not Linux, or no procfs: nothing to check against
  }
}

/** Refuses to open `file` for writing while qemu's locks say another process writes it or forbids writes. */
export function checkWritable(file: string): void {
  const conflict = writeLockConflict(file);
  if (conflict) throw inUse(file, conflict);
}

interface ReaderLocks {
  fd: number;
  unshared: number[];
}

/** This process's read-only descriptors with locks, by file: a writer in this process (a commit) takes their place. */
const readers = new Map<string, Set<ReaderLocks>>();

/** Held locks; release() forgets them (the caller closes the descriptor, which drops them). */
export interface ImageLocks {
  release(): void;
}

const NO_LOCKS: ImageLocks = { release() {} };

/**
 * Takes qemu's locks for `intent` on `fd`, an open descriptor of `file` that
 * the caller keeps for as long as it uses the image. A writer first checks
 * that nobody holds or forbids what it takes, and refuses in one line naming
 * the holder. Where no OFD lock can be taken (Guestfs.launch says why under
 * -v), a writer checks /proc/locks instead.
 */
export async function takeImageLocks(fd: number, file: string, intent: LockIntent): Promise<ImageLocks> {
  if (ofdLockProblem()) {
    if (intent.write) checkWritable(file);
    return NO_LOCKS;
  }
  const id = fileId(fs.fstatSync(fd));
  const key = `${id.major}:${id.minor}:${id.ino}`;
  const { held, unshared } = permissions(intent);
  if (intent.write) {
    // This process's own readers of the image (a transactional session's drive) would refuse its commit.
    for (const r of readers.get(key) ?? []) await runOfdOps(r.fd, r.unshared.map((p) => ({ op: 'unlock', byte: UNSHARED_BASE + p }))).catch(() => {});
  }
  const ops: OfdOp[] = [
    ...(intent.write ? [...held.map((p) => UNSHARED_BASE + p), ...unshared.map((p) => PERM_BASE + p)].map((byte) => ({ op: 'check' as const, byte })) : []),
    ...held.map((p) => ({ op: 'lock' as const, byte: PERM_BASE + p })),
    ...unshared.map((p) => ({ op: 'lock' as const, byte: UNSHARED_BASE + p })),
  ];
  // The helper may not run (a read-only or noexec cache directory): that costs the locks, not the session.
  const r = await runOfdOps(fd, ops).catch((e: unknown) => ({ kind: 'error' as const, errno: 0, cause: e }));
  if (r.kind === 'conflict') throw inUse(file, conflictText(id, r.byte));
  if (r.kind === 'error') {
    // or fcntl failed: EINVAL on a kernel older than OFD locks (3.15).
    if (intent.write) checkWritable(file);
    return NO_LOCKS;
  }
  if (intent.write) return NO_LOCKS;
  const mine: ReaderLocks = { fd, unshared };
  const set = readers.get(key) ?? new Set<ReaderLocks>();
  readers.set(key, set.add(mine));
  return {
    release() {
      set.delete(mine);
      if (set.size === 0 && readers.get(key) === set) readers.delete(key);
    },
  };
}
