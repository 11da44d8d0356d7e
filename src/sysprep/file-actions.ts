/**
 * The file actions virt-sysprep's operations are made of, on the mounted guest:
 * glob-driven deletions, "remove only the files under a directory", the
 * backup-files tree walk, and line filtering of small config files.
 */
import type { Guestfs } from '../core/guestfs.js';
import { GuestkitError } from '../errors/index.js';
import { componentRegExp } from '../augeas/guest-files.js';
import { globExpand } from '../customize/guest-files.js';
import { guardHolds, type GlobRemovals, type SysprepContext } from './operation.js';

/**
 * Directory listings (readdir: names and types in one call), each read once:
 * for expanding many globs under the same directories, as logfiles does,
 * before anything is removed.
 */
class DirListings {
  private readonly cache = new Map<string, Promise<Map<string, string> | undefined>>();

  constructor(private readonly g: Guestfs) {}

  /** name -> type letter of the entries of DIR (symlinks in DIR followed), or undefined when DIR is not a directory. */
  entries(dir: string): Promise<Map<string, string> | undefined> {
    let e = this.cache.get(dir);
    if (!e) {
      e = (async () => {
        try {
          const list = (await this.g.readdir(dir)) as { name: string; ftyp: string }[];
          return new Map(list.filter((d) => d.name !== '.' && d.name !== '..').map((d) => [d.name, d.ftyp]));
        } catch (err) {
          if (err instanceof GuestkitError) return undefined; // missing, or not a directory
          throw err;
        }
      })();
      this.cache.set(dir, e);
    }
    return e;
  }

  /** glob-expand: the paths matching PATTERN, sorted; a leading '.' is matched only literally, as glob(3). */
  async expand(pattern: string): Promise<string[]> {
    let current = ['/'];
    for (const part of pattern.split('/').filter((p) => p !== '')) {
      const next: string[] = [];
      for (const dir of current) {
        const entries = await this.entries(dir);
        if (!entries) continue;
        if (!/[*?[]/.test(part)) {
          const name = part.replace(/\\(.)/g, '$1');
          if (entries.has(name)) next.push(join(dir, name));
          continue;
        }
        const re = componentRegExp(part);
        for (const name of entries.keys()) if (re.test(name)) next.push(join(dir, name));
      }
      current = next;
    }
    return current.sort();
  }
}

const join = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/** Runs `fn`, ignoring a failure the guest reported (virt-sysprep's `try ... with G.Error _ -> ()`). */
export async function ignoringGuestErrors(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof GuestkitError)) throw e;
  }
}

/** Every match of the globs, in glob order, each glob's matches sorted (glob-expand), each path once. */
async function expandAll(dirs: DirListings, globs: readonly string[], except: ReadonlySet<string>): Promise<string[]> {
  const out = new Set<string>();
  for (const glob of globs) for (const p of await dirs.expand(glob)) if (!except.has(p)) out.add(p);
  return [...out];
}

/** Applies a GlobRemovals record when its guard holds. */
export async function applyGlobRemovals(ctx: SysprepContext, r: GlobRemovals): Promise<void> {
  if (!guardHolds(r.when, ctx.facts)) return;
  const { g } = ctx;
  const except = new Set(r.except ?? []);
  // Every glob is expanded before anything is removed: a path an earlier glob's
  // removal took away is then removed again, which rm-rf allows and rm ignores.
  const dirs = new DirListings(g);
  const rmRf = await expandAll(dirs, r.rmRf ?? [], except);
  const rmQuiet = await expandAll(dirs, r.rmQuiet ?? [], except);
  const rmStrict = await expandAll(dirs, r.rmStrict ?? [], except);
  for (const p of rmRf) await g.rmRf(p);
  for (const p of rmQuiet) await ignoringGuestErrors(() => g.rm(p));
  for (const p of rmStrict) await g.rm(p);
  for (const p of r.rmF ?? []) await g.rmF(p);
}

/** Every regular file under DIR removed (directories and symlinks kept), except those `keep` accepts. */
export async function rmRfOnlyFiles(g: Guestfs, dir: string, keep: (path: string) => boolean = () => false): Promise<void> {
  if (!(await g.isDir(dir))) return;
  const base = dir.replace(/\/+$/, '');
  for (const rel of (await g.find(dir)) as string[]) {
    const p = `${base}/${rel}`;
    if ((await g.isFile(p)) && !keep(p)) await g.rm(p);
  }
}

/** fnmatch(3) without flags for the simple patterns backup-files uses: '*' matches anything, dots included. */
function fnmatchAll(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
}

/** Regular files under each existing top directory whose name matches a pattern, removed (symlinks not followed). */
export async function removeMatchingFiles(g: Guestfs, tops: readonly string[], patterns: readonly string[]): Promise<void> {
  const res = patterns.map(fnmatchAll);
  const dirs = new DirListings(g);
  const walk = async (dir: string): Promise<void> => {
    const entries = (await dirs.entries(dir)) ?? new Map<string, string>();
    for (const [name, type] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const p = join(dir, name);
      if (type === 'd') await walk(p);
      else if (type === 'r' && res.some((re) => re.test(name))) await g.rmF(p);
    }
  };
  for (const top of tops) {
    if (await g.isDir(top, { followsymlinks: false })) await walk(top);
  }
}

/** Rewrites each file matching GLOB without the lines `drop` selects (read-lines, then lines joined and "\n"). */
export async function dropLines(g: Guestfs, glob: string, drop: (line: string) => boolean): Promise<void> {
  for (const file of await globExpand(g, glob)) {
    const lines = ((await g.readLines(file)) as string[]).filter((l) => !drop(l));
    await g.write(file, `${lines.join('\n')}\n`);
  }
}
