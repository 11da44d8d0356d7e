/**
 * The file actions virt-sysprep's operations are made of, on the mounted guest:
 * glob-driven deletions, "remove only the files under a directory", the
 * backup-files tree walk, and line filtering of small config files.
 */
import type { Guestfs } from '../core/guestfs.js';
import type { CallItem } from '../api/types.js';
import { GuestkitError } from '../errors/index.js';
import { componentRegExp } from '../augeas/guest-files.js';
import { globExpand } from '../customize/guest-files.js';
import { guardHolds, type GlobRemovals, type SysprepContext } from './operation.js';

/**
 * Directory listings (readdir: names and types in one call), each read once:
 * for expanding many globs under the same directories, as logfiles does,
 * before anything is removed. The directories of one level of every glob are
 * read in one batch (Guestfs.callMany: one agent request on the appliance).
 */
class DirListings {
  private readonly cache = new Map<string, Map<string, string> | undefined>();

  constructor(private readonly g: Guestfs) {}

  /** Reads the listings of the directories not read yet, in one batch. */
  async prime(dirs: readonly string[]): Promise<void> {
    const todo = [...new Set(dirs)].filter((d) => !this.cache.has(d));
    if (!todo.length) return;
    const results = await this.g.callMany(todo.map((d) => ({ name: 'readdir', args: [d] })));
    todo.forEach((dir, i) => {
      const r = results[i]!;
      if (!r.ok && !(r.error instanceof GuestkitError)) throw r.error;
      // a failed listing: missing, or not a directory
      const list = r.ok ? (r.value as { name: string; ftyp: string }[]) : undefined;
      this.cache.set(dir, list && new Map(list.filter((d) => d.name !== '.' && d.name !== '..').map((d) => [d.name, d.ftyp])));
    });
  }

  /** name -> type letter of the entries of DIR (symlinks in DIR followed), or undefined when DIR is not a directory. */
  async entries(dir: string): Promise<Map<string, string> | undefined> {
    await this.prime([dir]);
    return this.cache.get(dir);
  }

  /** glob-expand of each pattern: the paths matching it, sorted; a leading '.' is matched only literally, as glob(3). */
  async expandMany(patterns: readonly string[]): Promise<string[][]> {
    const globs = patterns.map((p) => ({ parts: p.split('/').filter((x) => x !== ''), current: ['/'] }));
    // The directories before each pattern's first wildcard are known by name: all read in the first batch.
    await this.prime(globs.flatMap((x) => literalDirs(x.parts)));
    for (let level = 0; ; level++) {
      const active = globs.filter((x) => level < x.parts.length && x.current.length > 0);
      if (!active.length) break;
      await this.prime(active.flatMap((x) => x.current));
      for (const x of active) x.current = await this.matchLevel(x.current, x.parts[level]!);
    }
    return globs.map((x) => x.current.sort());
  }

  /** The paths under `current` whose next component matches `part`. */
  private async matchLevel(current: readonly string[], part: string): Promise<string[]> {
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
    return next;
  }
}

const join = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/** '/', then each directory a pattern names before its first wildcard component ('/var', '/var/log' for /var/log/*.log). */
function literalDirs(parts: readonly string[]): string[] {
  const dirs = ['/'];
  for (const part of parts.slice(0, -1)) {
    if (/[*?[]/.test(part)) break;
    dirs.push(join(dirs[dirs.length - 1]!, part.replace(/\\(.)/g, '$1')));
  }
  return dirs;
}

/** Runs `fn`, ignoring a failure the guest reported (virt-sysprep's `try ... with G.Error _ -> ()`). */
export async function ignoringGuestErrors(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof GuestkitError)) throw e;
  }
}

/** Every match of the globs, in glob order, each glob's matches sorted (glob-expand), each path once. */
function inGlobOrder(matches: readonly string[][], except: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const list of matches) for (const p of list) if (!except.has(p)) out.add(p);
  return [...out];
}

/** Applies a GlobRemovals record when its guard holds: its globs expanded, then its removals in one batch. */
export async function applyGlobRemovals(ctx: SysprepContext, r: GlobRemovals): Promise<void> {
  if (!guardHolds(r.when, ctx.facts)) return;
  await removeAll(ctx.g, (await globRemovals(ctx.g, [r]))[0]!);
}

/**
 * Removals in one batch, in order. A failure stops the rest, as removals made
 * in turn would (sysprep then fails without committing), except where `quiet`:
 * a failure the guest reported is ignored (virt-sysprep's `try ... with G.Error _ -> ()`).
 */
export async function removeAll(g: Guestfs, removals: readonly GlobRemoval[]): Promise<void> {
  const results = await g.callMany(removals.map((r) => ({ name: r.name, args: [r.path], fatal: !r.quiet })));
  results.forEach((r, i) => {
    if (r.ok) return;
    if (removals[i]!.quiet && r.error instanceof GuestkitError) return;
    throw r.error;
  });
}

/** One removal of a glob operation. */
export interface GlobRemoval {
  name: 'rm' | 'rm-f' | 'rm-rf';
  path: string;
  quiet?: boolean;
}

/**
 * What GlobRemovals records remove, each record's globs expanded before anything
 * is removed (a path an earlier glob's removal took away is then removed again,
 * which rm-rf allows and rm ignores). The globs of all the records expand
 * together, one batch per directory level; the removals of record i are
 * removals[i], in virt-sysprep's order: rm-rf, rm (failures ignored), rm, rm-f.
 */
export async function globRemovals(g: Guestfs, records: readonly GlobRemovals[]): Promise<GlobRemoval[][]> {
  const lists = records.map((r) => [r.rmRf ?? [], r.rmQuiet ?? [], r.rmStrict ?? []]);
  const matches = await new DirListings(g).expandMany(lists.flat(2));
  let at = 0;
  return records.map((r, i) => {
    const except = new Set(r.except ?? []);
    const [rmRf, rmQuiet, rmStrict] = lists[i]!.map((globs) => inGlobOrder(matches.slice(at, (at += globs.length)), except));
    return [
      ...rmRf!.map((path) => ({ name: 'rm-rf' as const, path })),
      ...rmQuiet!.map((path) => ({ name: 'rm' as const, path, quiet: true })),
      ...rmStrict!.map((path) => ({ name: 'rm' as const, path })),
      ...(r.rmF ?? []).map((path) => ({ name: 'rm-f' as const, path })),
    ];
  });
}

/** Every regular file under DIR removed (directories and symlinks kept), except those `keep` accepts. */
export async function rmRfOnlyFiles(g: Guestfs, dir: string, keep: (path: string) => boolean = () => false): Promise<void> {
  if (!(await g.isDir(dir))) return;
  const base = dir.replace(/\/+$/, '');
  const paths = ((await g.find(dir)) as string[]).map((rel) => `${base}/${rel}`);
  // Removing a file changes no other path's type: every test first, in one batch, then every removal in one.
  const files = await valuesOf(g, paths.map((p) => ({ name: 'is-file', args: [p] })));
  await removeAll(g, paths.filter((p, i) => files[i] === true && !keep(p)).map((path) => ({ name: 'rm' as const, path })));
}

/** The values of calls made in one batch; the first failure is thrown, as calls awaited in turn would throw it. */
export async function valuesOf(g: Guestfs, calls: CallItem[]): Promise<unknown[]> {
  const results = await g.callMany(calls.map((c) => ({ ...c, fatal: true })));
  return results.map((r) => {
    if (!r.ok) throw r.error;
    return r.value;
  });
}

/** fnmatch(3) without flags for the simple patterns backup-files uses: '*' matches anything, dots included. */
function fnmatchAll(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
}

/** Regular files under each existing top directory whose name matches a pattern, removed (symlinks not followed). */
export async function removeMatchingFiles(g: Guestfs, tops: readonly string[], patterns: readonly string[]): Promise<void> {
  const res = patterns.map(fnmatchAll);
  const dirs = new DirListings(g);
  const topIsDir = await valuesOf(g, tops.map((t) => ({ name: 'is-dir', args: [t], optargs: { followsymlinks: false } })));
  // Every directory of the walk read level by level, one batch per level; then the walk in order.
  let level = tops.filter((_, i) => topIsDir[i] === true);
  while (level.length) {
    await dirs.prime(level);
    const next: string[] = [];
    for (const d of level) for (const [name, type] of (await dirs.entries(d)) ?? []) if (type === 'd') next.push(join(d, name));
    level = next;
  }
  const doomed: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await dirs.entries(dir)) ?? new Map<string, string>();
    for (const [name, type] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const p = join(dir, name);
      if (type === 'd') await walk(p);
      else if (type === 'r' && res.some((re) => re.test(name))) doomed.push(p);
    }
  };
  for (const [i, top] of tops.entries()) if (topIsDir[i] === true) await walk(top);
  await removeAll(g, doomed.map((path) => ({ name: 'rm-f' as const, path })));
}

/** Rewrites each file matching GLOB without the lines `drop` selects (read-lines, then lines joined and "\n"). */
export async function dropLines(g: Guestfs, glob: string, drop: (line: string) => boolean): Promise<void> {
  for (const file of await globExpand(g, glob)) {
    const lines = ((await g.readLines(file)) as string[]).filter((l) => !drop(l));
    await g.write(file, `${lines.join('\n')}\n`);
  }
}
