/** Golden cases captured from the real virt tools: a directory of NAME.out/.err/.rc files and a cases.txt of "NAME<TAB>ARGS". */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GoldenCases {
  /** The captured NAME.EXT (out, err, rc, now), or undefined when there is none. */
  read(name: string, ext: string): string | undefined;
  /** [name, arguments] from cases.txt, for the cases that have a captured stdout. */
  cases: [string, string[]][];
}

export function goldenCases(dir: string): GoldenCases {
  const read = (name: string, ext: string) => {
    const f = join(dir, `${name}.${ext}`);
    return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
  };
  const cases = readFileSync(join(dir, 'cases.txt'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t') as [string, string])
    .filter(([name]) => read(name, 'out') !== undefined)
    .map(([name, args]): [string, string[]] => [name, args.split(' ')]);
  return { read, cases };
}
