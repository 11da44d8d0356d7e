#!/usr/bin/env node
// Side-by-side benchmark of guestkit diff (wasm backend) against virt-diff on two
// images of 20,000+ files that differ in a few hundred (made by bench/make-diff-images.sh
// into bench/out, not committed). Alternating runs, medians, ratio; the two outputs are
// also compared. Usage: npm run bench:diff  (BENCH_RUNS=N, default 3; BENCH_FILES=N, default 20000)
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'bench', 'out');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const files = Number(process.env.BENCH_FILES ?? 20000);
const guestkit = join(root, 'dist', 'bundle', 'guestkit.cjs');
const a = join(out, 'bench-diff-a.img'), b = join(out, 'bench-diff-b.img');

execFileSync('bash', [join(root, 'bench', 'make-diff-images.sh'), out, String(files)], { stdio: 'inherit' });

function run(cmd, args, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, maxBuffer: 1 << 30 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return { s, out: r.stdout };
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const haveVirtDiff = spawnSync('sh', ['-c', 'command -v virt-diff']).status === 0;

console.log(`guestkit diff bench: ${files} files per image, ${runs} runs each, alternating` +
  (haveVirtDiff ? ' with virt-diff (LIBGUESTFS_BACKEND=direct)' : ' (virt-diff not installed: guestkit only)'));
const gk = [], lg = [];
let gkOut, lgOut;
for (let i = 0; i < runs; i++) {
  const g = run(guestkit, ['diff', '-a', a, '-A', b]);
  gk.push(g.s);
  gkOut = g.out;
  if (haveVirtDiff) {
    const l = run('virt-diff', ['-a', a, '-A', b], { LIBGUESTFS_BACKEND: 'direct' });
    lg.push(l.s);
    lgOut = l.out;
  }
  const same = haveVirtDiff ? (g.out.equals(lgOut) ? ', same output' : ', OUTPUTS DIFFER') : '';
  console.log(`  run ${i + 1}: guestkit ${g.s.toFixed(2)} s${haveVirtDiff ? `, virt-diff ${lg[i].toFixed(2)} s` : ''}${same}`);
}
const g = median(gk);
let line = `median: guestkit diff ${g.toFixed(2)} s`;
if (haveVirtDiff) {
  const l = median(lg);
  line += `, virt-diff ${l.toFixed(2)} s, ratio ${(l / g).toFixed(1)}× (virt-diff / guestkit)`;
}
console.log(line);
console.log(`output: ${gkOut.toString().split('\n').filter((l) => /^[-+=] /.test(l)).length} changed-file lines`);
