// What the side-by-side benchmarks share: paths, the run count, medians, and
// whether a program is installed.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const out = join(root, 'bench', 'out');
export const guestkit = join(root, 'dist', 'bundle', 'guestkit.cjs');
/** BENCH_RUNS, default 3. */
export const runs = Number(process.env.BENCH_RUNS ?? 3);

export const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
