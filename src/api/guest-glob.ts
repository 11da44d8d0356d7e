/**
 * Guest path wildcards, as glob(3) expands them inside the guest: *, ?, [...]
 * per path component, a leading '.' matched only by a pattern's '.', and
 * directories marked with a trailing '/'. Used by glob-expand and fish's glob.
 */
import { componentRegExp } from '../augeas/guest-files.js';

export const WILD = /[*?[]/;

/** What expansion needs: a handle, or a command's context (glob-expand). */
export interface Caller {
  call(name: string, args: unknown[], optargs?: Record<string, unknown>): Promise<unknown>;
}

/** The guest paths one pattern (no braces) matches, sorted. */
export async function expandPath(g: Caller, pattern: string, directorySlash = true): Promise<string[]> {
  let dirs = ['/'];
  const parts = pattern.split('/').filter((p) => p !== '');
  for (const part of parts) {
    const next: string[] = [];
    for (const dir of dirs) {
      const prefix = dir.endsWith('/') ? dir : `${dir}/`;
      if (!WILD.test(part)) {
        next.push(prefix + part);
        continue;
      }
      let names: string[];
      try {
        names = (await g.call('ls', [dir])) as string[];
      } catch {
        continue; // not a directory, or unreadable: no matches below it
      }
      // As glob(3): a leading '.' matches only a pattern that starts with '.'.
      const re = componentRegExp(part);
      for (const n of names) if (re.test(n)) next.push(prefix + n);
    }
    dirs = next;
  }
  const found: string[] = [];
  for (const p of dirs.sort()) {
    if (!(await g.call('exists', [p]))) continue;
    found.push(directorySlash && !p.endsWith('/') && (await g.call('is-dir', [p], { followsymlinks: true })) ? `${p}/` : p);
  }
  return found;
}

/** {a,b} alternatives, expanded left to right (nested ones too), as GLOB_BRACE does. */
function braceAlternatives(pattern: string): string[] {
  let depth = 0, open = -1;
  const commas: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '{' && depth++ === 0) open = i;
    else if (c === ',' && depth === 1) commas.push(i);
    else if (c === '}' && depth > 0 && --depth === 0) {
      const cuts = [open, ...commas, i];
      const head = pattern.slice(0, open), tail = pattern.slice(i + 1);
      return cuts.slice(1).flatMap((end, k) => braceAlternatives(head + pattern.slice(cuts[k]! + 1, end) + tail));
    }
  }
  return [pattern];
}

/**
 * glob(3) with GLOB_MARK|GLOB_BRACE over guest paths (glob-expand): each brace
 * alternative's matches sorted, alternatives in the order written; paths without
 * wildcards only when they exist; no match is an empty list.
 */
export async function expandGlob(g: Caller, pattern: string, directorySlash: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const alt of braceAlternatives(pattern)) out.push(...(await expandPath(g, alt, directorySlash)));
  return out;
}
