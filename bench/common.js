// What the side-by-side benchmarks share: paths, the run count, medians, and
// whether a program is installed.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const out = join(root, 'bench', 'out');
// The bin, run as npm's link runs it: exec'd, its sh launcher first (scripts/bundle.js).
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

/**
 * Times guestkit cases on the wasm backend (--backend=auto) and the appliance beside
 * their libguestfs peer, alternating runs, and prints medians and ratios. A case is
 * [label, guestkit args, libguestfs command, its args]; the peer runs with
 * LIBGUESTFS_BACKEND=direct (and whatever LIBGUESTFS_BACKEND_SETTINGS the caller exported).
 */
export function sideBySide(title, cases) {
  const libguestfs = cases.every(([, , cmd]) => have(cmd));
  const lgEnv = { LIBGUESTFS_BACKEND: 'direct' };
  console.log(`${title}: ${runs} runs each, alternating${libguestfs ? ' with libguestfs (LIBGUESTFS_BACKEND=direct)' : ' (libguestfs not installed)'}`);
  console.log(`${'case'.padEnd(20)}${'wasm'.padStart(10)}${'appliance'.padStart(11)}${libguestfs ? 'libguestfs'.padStart(12) + 'lg/wasm'.padStart(9) + 'lg/appl'.padStart(9) : ''}`);
  for (const [label, gkArgs, lgCmd, lgArgs] of cases) {
    const wasm = [], appl = [], lg = [];
    for (let i = 0; i < runs; i++) {
      wasm.push(timeRun(guestkit, [...gkArgs]));
      appl.push(timeRun(guestkit, [...gkArgs, '--backend=appliance']));
      if (libguestfs) lg.push(timeRun(lgCmd, lgArgs, lgEnv));
    }
    const w = median(wasm), a = median(appl);
    let line = `${label.padEnd(20)}${(w.toFixed(3) + ' s').padStart(10)}${(a.toFixed(2) + ' s').padStart(11)}`;
    if (libguestfs) {
      const l = median(lg);
      line += `${(l.toFixed(2) + ' s').padStart(12)}${((l / w).toFixed(1) + '×').padStart(9)}${((l / a).toFixed(1) + '×').padStart(9)}`;
    }
    console.log(line);
  }
}

/**
 * Runs each case [label, guestkitArgs(target), peerCmd, peerArgs(target), makeTarget]
 * `runs` times, guestkit and its libguestfs peer alternating (a fresh target per run),
 * and prints the medians side by side.
 */
export function sideBySideTargets(title, cases, { peers, peerEnv }) {
  console.log(`${title}: ${runs} runs each, alternating${peers ? ' with libguestfs' : ' (libguestfs not installed: guestkit only)'}`);
  console.log(`${'case'.padEnd(26)}${'guestkit'.padStart(12)}${peers ? 'libguestfs'.padStart(12) + 'ratio'.padStart(10) : ''}`);
  for (const [label, gkArgs, peerCmd, peerArgs, target] of cases) {
    const gk = [], peer = [];
    for (let i = 0; i < runs; i++) {
      gk.push(timeRun(guestkit, [...gkArgs(target())]));
      if (peers) peer.push(timeRun(peerCmd, peerArgs(target()), peerEnv));
    }
    const g = median(gk);
    let line = `${label.padEnd(26)}${(g.toFixed(3) + ' s').padStart(12)}`;
    if (peers) line += `${(median(peer).toFixed(2) + ' s').padStart(12)}${((median(peer) / g).toFixed(1) + '×').padStart(10)}`;
    console.log(line);
  }
}
