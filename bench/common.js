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

/** Seconds one run of a program takes (stdout discarded); throws with its stderr when it fails. */
export function timeRun(cmd, args, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env }, maxBuffer: 1 << 30 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return s;
}
