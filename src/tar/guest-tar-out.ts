/**
 * Packing a guest directory into a tar stream on top of the command table
 * (readdir, lstatnslist, readlinklist, pread), for backends without a guest
 * tar program. The archive is what `tar -C DIR -cf - .` writes: members named
 * "./..." in directory order, symlinks stored as links (never followed), hard
 * links stored once, owners "root" by name when uid/gid 0 (the only names the
 * appliance knows), sockets left out as GNU tar leaves them out.
 */
import type { Writable } from 'node:stream';
import { ErrnoError } from '../errors/index.js';
import { encodeHeader, endOfArchive, paddingFor, type TarEntry, type TarType } from './tar-format.js';
import { excludeMatcher } from './exclude.js';
import { requireGuestDir, type Call } from './guest-dir.js';
type Stat = Record<string, number>;

const CHUNK = 1 << 20;
const S_IFMT = 0o170000;
const TYPES: Record<number, TarType | undefined> = {
  0o100000: 'file', 0o120000: 'symlink', 0o040000: 'directory', 0o020000: 'chardev', 0o060000: 'blockdev', 0o010000: 'fifo',
};

export interface PackOptions {
  numericowner?: boolean;
  excludes?: string[];
  /** Told the archive bytes written so far (total 0: not known until the end, which reports written/written). */
  progress?: (done: number, total: number) => void;
}

class ArchiveWriter {
  written = 0;
  constructor(
    private readonly sink: Writable,
    private readonly progress?: (done: number, total: number) => void,
  ) {}
  async write(b: Uint8Array): Promise<void> {
    if (b.length === 0) return;
    this.written += b.length;
    this.progress?.(this.written, 0);
    if (!this.sink.write(b)) await new Promise((r) => this.sink.once('drain', r));
  }
}

/** Linux's dev_t split (glibc's major()/minor()). */
function devParts(rdev: number): { devmajor: number; devminor: number } {
  const r = BigInt(rdev);
  return {
    devmajor: Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn)),
    devminor: Number((r & 0xffn) | ((r >> 12n) & ~0xffn)),
  };
}

export async function packGuestDir(call: Call, dir: string, sink: Writable, o: PackOptions = {}): Promise<void> {
  await requireGuestDir(call, dir, 'stat');
  const top = (await call('statns', [dir])) as Stat;
  const out = new ArchiveWriter(sink, o.progress);
  const excluded = excludeMatcher(o.excludes ?? []);
  const links = new Map<string, string>();
  const base = dir.replace(/\/+$/, '') || '';

  const entryOf = (name: string, st: Stat, type: TarType, linkname?: string): TarEntry => ({
    name, type, linkname,
    mode: st.st_mode! & 0o7777,
    uid: st.st_uid!, gid: st.st_gid!,
    uname: !o.numericowner && st.st_uid === 0 ? 'root' : undefined,
    gname: !o.numericowner && st.st_gid === 0 ? 'root' : undefined,
    size: type === 'file' ? st.st_size! : 0,
    mtime: st.st_mtime_sec!,
    ...(type === 'chardev' || type === 'blockdev' ? devParts(st.st_rdev!) : {}),
  });

  const emit = async (e: TarEntry): Promise<void> => {
    for (const rec of encodeHeader(e)) await out.write(rec);
  };

  const walk = async (guestDir: string, memberDir: string): Promise<void> => {
    const names = ((await call('readdir', [guestDir])) as { name: string }[]).map((d) => d.name).filter((n) => n !== '.' && n !== '..');
    if (names.length === 0) return;
    const stats = (await call('lstatnslist', [guestDir, names])) as Stat[];
    const linkTargets = new Map<string, string>();
    const symlinks = names.filter((_, i) => (stats[i]!.st_mode! & S_IFMT) === 0o120000);
    if (symlinks.length) {
      const targets = (await call('readlinklist', [guestDir, symlinks])) as string[];
      symlinks.forEach((n, i) => linkTargets.set(n, targets[i]!));
    }
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const st = stats[i]!;
      const member = `${memberDir}${name}`;
      if (excluded(member)) continue;
      const guestPath = `${guestDir === '/' ? '' : guestDir}/${name}`;
      if (st.st_ino === -1) throw new ErrnoError('EIO', `${guestPath}: Cannot stat`);
      const type = TYPES[st.st_mode! & S_IFMT];
      if (!type) continue; // a socket: GNU tar leaves it out
      if (type === 'directory') {
        await emit(entryOf(`${member}/`, st, 'directory'));
        await walk(guestPath, `${member}/`);
        continue;
      }
      if (type === 'file' && st.st_nlink! > 1) {
        const key = `${st.st_dev}:${st.st_ino}`;
        const first = links.get(key);
        if (first !== undefined) {
          await emit(entryOf(member, st, 'hardlink', first));
          continue;
        }
        links.set(key, member);
      }
      const e = entryOf(member, st, type, type === 'symlink' ? linkTargets.get(name) : undefined);
      await emit(e);
      if (type === 'file') await copyData(call, guestPath, e.size, out);
    }
  };

  await emit(entryOf('./', top, 'directory'));
  await walk(base || '/', './');
  await out.write(endOfArchive(out.written));
  // Now the length is known: the last report completes it.
  o.progress?.(out.written, out.written);
}

/** The file's bytes, exactly `size` of them (a file that shrank meanwhile is an error, as in GNU tar). */
async function copyData(call: Call, path: string, size: number, out: ArchiveWriter): Promise<void> {
  let off = 0;
  while (off < size) {
    const chunk = (await call('pread', [path, Math.min(CHUNK, size - off), off])) as Uint8Array;
    if (chunk.length === 0) throw new ErrnoError('EIO', `${path}: File shrank by ${size - off} bytes`);
    await out.write(chunk);
    off += chunk.length;
  }
  await out.write(paddingFor(size));
}
