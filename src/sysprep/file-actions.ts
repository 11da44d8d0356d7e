/**
 * The file actions virt-sysprep's operations are made of, on the mounted guest:
 * glob-driven deletions, "remove only the files under a directory", the
 * backup-files tree walk, and line filtering of small config files.
 */
import type { Guestfs } from '../core/guestfs.js';
import { GuestkitError } from '../errors/index.js';
import { globExpand } from '../customize/guest-files.js';
import { guardHolds, type GlobRemovals, type SysprepContext } from './operation.js';

const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000;

/** Runs `fn`, ignoring a failure the guest reported (virt-sysprep's `try ... with G.Error _ -> ()`). */
export async function ignoringGuestErrors(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof GuestkitError)) throw e;
  }
}

/** Every match of the globs, in glob order, each glob's matches sorted (glob-expand). */
async function expandAll(g: Guestfs, globs: readonly string[], except: ReadonlySet<string>): Promise<string[]> {
  const out: string[] = [];
  for (const glob of globs) for (const p of await globExpand(g, glob)) if (!except.has(p)) out.push(p);
  return out;
}

/** Applies a GlobRemovals record when its guard holds. */
export async function applyGlobRemovals(ctx: SysprepContext, r: GlobRemovals): Promise<void> {
  if (!guardHolds(r.when, ctx.facts)) return;
  const { g } = ctx;
  const except = new Set(r.except ?? []);
  for (const p of await expandAll(g, r.rmRf ?? [], except)) await g.rmRf(p);
  for (const p of await expandAll(g, r.rmQuiet ?? [], except)) await ignoringGuestErrors(() => g.rm(p));
  for (const p of await expandAll(g, r.rmStrict ?? [], except)) await g.rm(p);
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
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await g.ls(dir)) as string[]) {
      const p = dir === '/' ? `/${name}` : `${dir}/${name}`;
      const mode = ((await g.lstatns(p)) as { st_mode: number }).st_mode & S_IFMT;
      if (mode === S_IFDIR) await walk(p);
      else if (mode === S_IFREG && res.some((re) => re.test(name))) await g.rmF(p);
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
