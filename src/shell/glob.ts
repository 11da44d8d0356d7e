/**
 * `glob`: wildcards in a command's arguments expanded against the guest, as
 * guestfish does it: guest paths by walking directories (directories get a
 * trailing '/'), /dev/ names against the devices, partitions and LVs; a pattern
 * with no match is passed through unchanged. The command runs once for every
 * combination of the expanded arguments.
 */
import { componentRegExp } from '../augeas/guest-files.js';
import type { Guestfs } from '../core/guestfs.js';

const WILD = /[*?[]/;

async function deviceNames(g: Guestfs): Promise<string[]> {
  const lists = await Promise.all([g.call('list-devices', []), g.call('list-partitions', []), g.call('lvs', [])]);
  return (lists as string[][]).flat();
}

async function expandPath(g: Guestfs, pattern: string): Promise<string[]> {
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
    found.push((await g.call('is-dir', [p], { followsymlinks: true })) ? `${p}/` : p);
  }
  return found;
}

/** The words a pattern stands for (itself when it has no wildcard or matches nothing). */
export async function expandWord(g: Guestfs, word: string): Promise<string[]> {
  if (!WILD.test(word)) return [word];
  let found: string[] = [];
  if (word.startsWith('/dev/')) {
    const re = componentRegExp(word);
    found = (await deviceNames(g)).filter((d) => re.test(d));
  } else if (word.startsWith('/')) found = await expandPath(g, word);
  return found.length ? found : [word];
}

/** Every combination of the expanded arguments, in order. */
export async function globCombinations(g: Guestfs, words: string[]): Promise<string[][]> {
  let combos: string[][] = [[]];
  for (const w of words) {
    const options = await expandWord(g, w);
    combos = combos.flatMap((c) => options.map((o) => [...c, o]));
  }
  return combos;
}
