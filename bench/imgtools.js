#!/usr/bin/env node
// Side by side: guestkit make-fs, sparsify (copy and --in-place) and resize against
// virt-make-fs, virt-sparsify and virt-resize on the same inputs, alternating runs,
// medians (a cold process per run, a fresh output or scratch copy per run).
// guestkit picks its route as it would for a user (--backend=auto): make-fs ext4 and
// sparsify of an ext4 disk run in process; resize --expand grows the ext4 in the
// appliance. libguestfs runs with LIBGUESTFS_BACKEND=direct and force_tcg (this
// host's qemu aborts on /dev/kvm).
// Usage: npm run bench:imgtools  (BENCH_RUNS=N, default 3)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { have, root, sideBySideTargets } from './common.js';

const fixtures = join(root, 'fixtures', 'out');
const work = mkdtempSync(join(tmpdir(), 'guestkit-bench-'));
const lgEnv = { LIBGUESTFS_BACKEND: 'direct', LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' };
const libguestfs = ['virt-make-fs', 'virt-sparsify', 'virt-resize'].every(have);

let n = 0;
const fresh = () => { const d = join(work, `r${n++}`); mkdirSync(d); return d; };
const tree = join(work, 'tree');
mkdirSync(tree);
for (let i = 0; i < 200; i++) writeFileSync(join(tree, `f${i}`), `line ${i}\n`.repeat(500));
/** A scratch copy of a fixture. */
const scratch = (name) => () => { const f = join(fresh(), name); copyFileSync(join(fixtures, name), f); return f; };
/** A scratch copy of gpt.img and an empty 64 MiB target. */
const resizePair = () => {
  const d = fresh();
  execFileSync('qemu-img', ['create', '-q', '-f', 'raw', join(d, 'out.img'), '64M']);
  return [join(fixtures, 'gpt.img'), join(d, 'out.img')];
};

const cases = [
  ['make-fs ext4 200 files', (d) => ['make-fs', '-t', 'ext4', tree, join(d, 'o.img')], 'virt-make-fs', (d) => ['-t', 'ext4', tree, join(d, 'o.img')], fresh],
  ['sparsify ext4.img', (f) => ['sparsify', '-q', f, `${f}.out`], 'virt-sparsify', (f) => ['-q', f, `${f}.out`], scratch('ext4.img')],
  ['sparsify --in-place', (f) => ['sparsify', '-q', '--in-place', f], 'virt-sparsify', (f) => ['-q', '--in-place', f], scratch('ext4.img')],
  ['resize --expand (gpt)', ([i, o]) => ['resize', '-q', '--expand', '/dev/sda2', i, o], 'virt-resize', ([i, o]) => ['-q', '--expand', '/dev/sda2', i, o], resizePair],
];

try {
  sideBySideTargets('guestkit imgtools bench', cases, { peers: libguestfs, peerEnv: lgEnv });
} finally {
  rmSync(work, { recursive: true, force: true });
}
