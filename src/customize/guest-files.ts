/**
 * File operations customize needs that the command table has no single
 * command for (libguestfs's ln-sf, cp-a, glob-expand, scrub-file,
 * truncate), built from table commands so they work on every backend that
 * serves those.
 */
import type { Guestfs } from '../core/guestfs.js';
import type { CallResult } from '../api/types.js';
import { ErrnoError } from '../errors/index.js';
import { componentRegExp } from '../augeas/guest-files.js';

const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000;

const join = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);
const basename = (p: string) => p.replace(/\/+$/, '').split('/').pop() || '/';

/** ln -sf TARGET LINK: replaces LINK; when LINK is a directory the link goes inside it (as ln does). */
export async function lnSf(g: Guestfs, target: string, link: string): Promise<void> {
  let where = link;
  if (await g.isDir(link, { followsymlinks: true })) where = join(link, basename(target));
  await g.rmF(where);
  await g.lnS(target, where);
}

async function lmode(g: Guestfs, p: string): Promise<{ mode: number; uid: number; gid: number; size: number }> {
  const st = (await g.lstatns(p)) as Record<string, number>;
  return { mode: st.st_mode!, uid: st.st_uid!, gid: st.st_gid!, size: st.st_size! };
}

/** cp -a SRC DEST inside the guest: recursive, modes and owners kept (times are not). */
export async function cpA(g: Guestfs, src: string, dest: string): Promise<void> {
  const to = (await g.isDir(dest, { followsymlinks: true })) ? join(dest, basename(src)) : dest;
  const copy = async (from: string, into: string): Promise<void> => {
    const st = await lmode(g, from);
    const type = st.mode & S_IFMT;
    if (type === S_IFDIR) {
      if (!(await g.isDir(into))) await g.mkdir(into);
      for (const name of await g.ls(from)) await copy(join(from, name), join(into, name));
    } else if (type === S_IFLNK) {
      await g.rmF(into);
      await g.lnS(await g.readlink(from), into);
      return; // a symlink's own mode and owner are not worth the extra calls
    } else if (type === S_IFREG) {
      await g.cp(from, into);
    } else {
      throw new ErrnoError('ENOTSUP', `${from}: special files (devices, fifos, sockets) cannot be copied`);
    }
    await g.chmod(st.mode & 0o7777, into);
    await g.chown(st.uid, st.gid, into);
  };
  await copy(src, to);
}

const hasGlob = (s: string) => /[*?[]/.test(s);

/** glob-expand (directoryslash:false): the guest paths matching PATTERN, sorted; none → []. */
export async function globExpand(g: Guestfs, pattern: string): Promise<string[]> {
  return (await globExpandAll(g, [pattern]))[0]!;
}

/**
 * globExpand of several patterns, level by level: every question of one level
 * of every pattern (does this path exist; is this a directory, and its names)
 * in one batch (Guestfs.callMany), so the appliance answers a level in one request.
 */
export async function globExpandAll(g: Guestfs, patterns: readonly string[]): Promise<string[][]> {
  const unescape = (part: string) => part.replace(/\\(.)/g, '$1');
  const globs = patterns.map((p) => ({ parts: p.split('/').filter((x) => x !== ''), current: ['/'] }));
  // The paths a pattern names before its first wildcard are known up front: asked in the first batch.
  const leading = new Map<string, CallResult>();
  const named = [...new Set(globs.flatMap((x) => {
    const paths: string[] = [];
    for (let k = 0, p = '/'; k < x.parts.length && !hasGlob(x.parts[k]!); k++) paths.push((p = join(p, unescape(x.parts[k]!))));
    return paths;
  }))];
  (await g.callMany(named.map((p) => ({ name: 'exists', args: [p] })))).forEach((r, i) => leading.set(named[i]!, r));
  for (let level = 0; ; level++) {
    const active = globs.filter((x) => level < x.parts.length && x.current.length > 0);
    if (!active.length) break;
    // Per pattern and directory: exists for a literal name; is-dir then ls for a wildcard.
    const calls = active.flatMap((x) => {
      const part = x.parts[level]!;
      return x.current.flatMap((dir) => (hasGlob(part)
        ? [{ name: 'is-dir', args: [dir], optargs: { followsymlinks: true } }, { name: 'ls', args: [dir] }]
        : leading.has(join(dir, unescape(part))) ? [] : [{ name: 'exists', args: [join(dir, unescape(part))] }]));
    });
    const results = await g.callMany(calls);
    let at = 0;
    const take = (known?: CallResult) => {
      const r = known ?? results[at++]!;
      if (!r.ok) throw r.error;
      return r.value;
    };
    for (const x of active) {
      const part = x.parts[level]!;
      const next: string[] = [];
      for (const dir of x.current) {
        if (!hasGlob(part)) {
          const p = join(dir, unescape(part));
          if (take(leading.get(p))) next.push(p);
          continue;
        }
        if (!take()) {
          at++; // the listing of what is not a directory: not asked for alone
          continue;
        }
        const re = componentRegExp(part); // a leading '.' is matched only literally, as glob(3)
        for (const name of take() as string[]) if (re.test(name)) next.push(join(dir, name));
      }
      x.current = next;
    }
  }
  return globs.map((x) => (x.parts.length === 0 ? ['/'] : x.current.sort()));
}

/** truncate: the file must exist; it becomes empty (symlinks followed). */
export async function truncateFile(g: Guestfs, p: string): Promise<void> {
  if (!(await g.exists(p))) throw new ErrnoError('ENOENT', `${p}: No such file or directory`);
  if (!(await g.isFile(p, { followsymlinks: true }))) throw new ErrnoError('EINVAL', `${p}: not a regular file`);
  await g.write(p, '');
}

/** Every regular file under PATH (symlinks not followed) truncated to zero. */
export async function truncateRecursive(g: Guestfs, root: string): Promise<void> {
  const walk = async (p: string): Promise<void> => {
    const { mode } = await lmode(g, p);
    if ((mode & S_IFMT) === S_IFREG) await g.write(p, '');
    else if ((mode & S_IFMT) === S_IFDIR) for (const n of await g.ls(p)) await walk(join(p, n));
  };
  await walk(root);
}


/** scrub-file, with customize's messages for a missing or non-regular file. */
export async function scrubFile(g: Guestfs, p: string): Promise<void> {
  if (!(await g.isFile(p, { followsymlinks: true }))) {
    throw new ErrnoError((await g.exists(p)) ? 'EINVAL' : 'ENOENT', `${p}: ${(await g.exists(p)) ? 'not a regular file' : 'No such file or directory'}`);
  }
  await g.scrubFile(p);
}

export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
