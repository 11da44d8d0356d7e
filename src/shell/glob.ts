/**
 * `glob`: wildcards in a command's arguments expanded against the guest, as
 * guestfish does it: guest paths by walking directories (directories get a
 * trailing '/'), /dev/ names against the devices, partitions and LVs; a pattern
 * with no match is passed through unchanged. The command runs once for every
 * combination of the expanded arguments.
 */
import { componentRegExp } from '../augeas/guest-files.js';
import type { Guestfs } from '../core/guestfs.js';
import { expandPath, WILD } from '../api/guest-glob.js';

async function deviceNames(g: Guestfs): Promise<string[]> {
  const lists = await Promise.all([g.call('list-devices', []), g.call('list-partitions', []), g.call('lvs', [])]);
  return (lists as string[][]).flat();
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
