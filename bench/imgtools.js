#!/usr/bin/env node
// Side by side: guestkit make-fs, sparsify (copy and --in-place) and resize against
// virt-make-fs, virt-sparsify and virt-resize on the same inputs, alternating runs,
// medians (a cold process per run, a fresh output or scratch copy per run).
// guestkit picks its route as it would for a user (--backend=auto): make-fs ext4 and
// sparsify of an ext4 disk run in process; resize --expand grows the ext4 in the
// appliance. libguestfs runs with LIBGUESTFS_BACKEND=direct and force_tcg (this
// host's qemu aborts on /dev/kvm).
// The issue's speed targets are the last three cases: make-fs of a 10,000-file 200 MiB
// tree (>= 10x), sysprep of the LVM Fedora-style fixture (>= 10x), sparsify --in-place
// of a 4 GiB ext4 image with 1 GiB used and 1 GiB of deleted data in its free space (>= 5x).
// Usage: npm run bench:imgtools  (BENCH_RUNS=N, default 3; BENCH_ONLY=a,b runs the
// cases whose label contains one of them)
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guestkit, have, root, sideBySideTargets } from './common.js';

const fixtures = join(root, 'fixtures', 'out');
const work = mkdtempSync(join(tmpdir(), 'guestkit-bench-'));
const lgEnv = { LIBGUESTFS_BACKEND: 'direct', LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' };
const libguestfs = ['virt-make-fs', 'virt-sparsify', 'virt-resize', 'virt-sysprep'].every(have);

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

/** `count` files of `size` random bytes each, 100 to a directory, under `dir`. */
function randomTree(dir, count, size) {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < count; i++) {
    const sub = join(dir, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}`), randomFillSync(buf));
  }
}
const bigTree = join(work, 'big-tree');
const sparseBase = join(work, 'sparse-base.img');
let built = false;
/** Built on first use: the 10,000-file tree, and the 4 GiB image whose free space holds 1 GiB of deleted data. */
function buildIssueInputs() {
  if (built) return;
  built = true;
  randomTree(bigTree, 10000, Math.floor((200 * 1024 * 1024) / 10000));
  const fill = join(work, 'fill');
  randomTree(join(fill, 'keep'), 64, 16 * 1024 * 1024);
  randomTree(join(fill, 'junk'), 64, 16 * 1024 * 1024);
  execFileSync(guestkit, ['make-fs', '-t', 'ext4', '--size=4G', fill, sparseBase]);
  execFileSync(guestkit, ['fish', '-a', sparseBase, '-m', '/dev/sda', 'rm-rf', '/junk']);
  rmSync(fill, { recursive: true, force: true });
}
const bigTreeTarget = () => { buildIssueInputs(); return fresh(); };
const sparseScratch = () => {
  buildIssueInputs();
  const f = join(fresh(), 's.img');
  execFileSync('cp', ['--sparse=always', sparseBase, f]);
  return f;
};

const allCases = [
  ['make-fs ext4 200 files', (d) => ['make-fs', '-t', 'ext4', tree, join(d, 'o.img')], 'virt-make-fs', (d) => ['-t', 'ext4', tree, join(d, 'o.img')], fresh],
  ['sparsify ext4.img', (f) => ['sparsify', '-q', f, `${f}.out`], 'virt-sparsify', (f) => ['-q', f, `${f}.out`], scratch('ext4.img')],
  ['sparsify --in-place', (f) => ['sparsify', '-q', '--in-place', f], 'virt-sparsify', (f) => ['-q', '--in-place', f], scratch('ext4.img')],
  ['resize --expand (gpt)', ([i, o]) => ['resize', '-q', '--expand', '/dev/sda2', i, o], 'virt-resize', ([i, o]) => ['-q', '--expand', '/dev/sda2', i, o], resizePair],
  // --size=+64M for both: 10,000 files of 20 KiB take whole 4 KiB blocks, more than virt-make-fs's estimate (apparent size + 10%).
  ['make-fs ext4 10k files 200M', (d) => ['make-fs', '-t', 'ext4', '--size=+64M', bigTree, join(d, 'o.img')], 'virt-make-fs', (d) => ['-t', 'ext4', '--size=+64M', bigTree, join(d, 'o.img')], bigTreeTarget],
  ['sysprep fedora.img (LVM)', (f) => ['sysprep', '-q', '-a', f], 'virt-sysprep', (f) => ['-q', '-a', f], scratch('fedora.img')],
  ['sparsify --in-place 4G/1G', (f) => ['sparsify', '-q', '--in-place', f], 'virt-sparsify', (f) => ['-q', '--in-place', f], sparseScratch],
];
const only = process.env.BENCH_ONLY?.split(',');
const cases = allCases.filter(([label]) => !only || only.some((t) => label.includes(t)));

try {
  sideBySideTargets('guestkit imgtools bench', cases, { peers: libguestfs, peerEnv: lgEnv });
} finally {
  rmSync(work, { recursive: true, force: true });
}
