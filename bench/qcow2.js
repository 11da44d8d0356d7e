#!/usr/bin/env node
// The native qcow2 reader side by side with its peers, alternating runs, medians:
//   1. `guestkit cat` of /etc/hostname from debian.qcow2 (read in TypeScript), from a
//      raw copy of it, and `virt-cat` on the qcow2 (LIBGUESTFS_BACKEND=direct);
//   2. the same for a 200 MiB file (read throughput: a qcow2 of an ext4 with one big file);
//   3. `guestkit info` vs `qemu-img info` on debian.qcow2.
// Usage: npm run bench:qcow2   (BENCH_RUNS=N, default 3). Where KVM aborts qemu,
// run with LIBGUESTFS_BACKEND_SETTINGS=force_tcg for virt-cat.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { guestkit, have, median, out, root, runs } from './common.js';

const qcow2 = join(root, 'fixtures', 'out', 'debian.qcow2');
const raw = join(out, 'debian.raw');
mkdirSync(out, { recursive: true });
if (!existsSync(raw)) execFileSync('qemu-img', ['convert', '-O', 'raw', qcow2, raw]);
const BIG_MIB = 200;
const bigRaw = join(out, 'big-ext4.raw');
const bigQcow2 = join(out, 'big-ext4.qcow2');
if (!existsSync(bigQcow2)) {
  const tree = join(out, 'big-tree');
  mkdirSync(tree, { recursive: true });
  execFileSync('sh', ['-c', `head -c ${BIG_MIB}M /dev/urandom > '${join(tree, 'big.bin')}'`]);
  execFileSync('truncate', ['-s', `${BIG_MIB + 100}M`, bigRaw]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', tree, bigRaw]);
  execFileSync('qemu-img', ['convert', '-O', 'qcow2', bigRaw, bigQcow2]);
  rmSync(tree, { recursive: true, force: true });
}

const devNull = openSync('/dev/null', 'w');

/** Wall time of one run in seconds; a failed run stops the bench with its stderr. */
function time(cmd, args, env = {}) {
  const t0 = performance.now();
  // Output goes to /dev/null: the pipe to this process must not be what is timed.
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', devNull, 'pipe'] });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return s;
}

const catArgs = (image) => [guestkit, 'cat', '-a', image, '-m', '/dev/sda2', '/etc/hostname'];
const bigArgs = (image) => [guestkit, 'cat', '-a', image, '-m', '/dev/sda', '/big.bin'];
const virtCat = have('virt-cat');
const lg = { LIBGUESTFS_BACKEND: 'direct' };
const cases = [
  ['guestkit cat (qcow2, native)', () => time(process.execPath, catArgs(qcow2))],
  ['guestkit cat (raw copy)', () => time(process.execPath, catArgs(raw))],
];
if (virtCat) cases.push(['virt-cat (qcow2)', () => time('virt-cat', ['-a', qcow2, '-m', '/dev/sda2', '/etc/hostname'], lg)]);
cases.push(
  [`guestkit cat ${BIG_MIB} MiB (qcow2)`, () => time(process.execPath, bigArgs(bigQcow2))],
  [`guestkit cat ${BIG_MIB} MiB (raw)`, () => time(process.execPath, bigArgs(bigRaw))],
);
if (virtCat) cases.push([`virt-cat ${BIG_MIB} MiB (qcow2)`, () => time('virt-cat', ['-a', bigQcow2, '-m', '/dev/sda', '/big.bin'], lg)]);
cases.push(
  ['guestkit info (qcow2)', () => time(guestkit, ['info', qcow2])],
  ['qemu-img info (qcow2)', () => time('qemu-img', ['info', qcow2])],
);

console.log(`qcow2 bench: ${runs} runs each, alternating${have('virt-cat') ? '' : ' (virt-cat not installed)'}`);
const times = new Map(cases.map(([name]) => [name, []]));
for (let i = 0; i < runs; i++) for (const [name, fn] of cases) times.get(name).push(fn());
for (const [name, xs] of times) {
  console.log(`${name.padEnd(32)} median ${median(xs).toFixed(3)} s   [${xs.map((x) => x.toFixed(3)).join(', ')}]`);
}
const m = (name) => (times.has(name) ? median(times.get(name)) : NaN);
if (times.has('virt-cat (qcow2)')) console.log(`virt-cat / guestkit cat (qcow2): ${(m('virt-cat (qcow2)') / m('guestkit cat (qcow2, native)')).toFixed(1)}x`);
console.log(`guestkit cat qcow2 / raw: ${(m('guestkit cat (qcow2, native)') / m('guestkit cat (raw copy)')).toFixed(2)}x`);
for (const who of ['guestkit cat', 'virt-cat']) {
  const s = m(`${who} ${BIG_MIB} MiB (qcow2)`);
  if (!Number.isNaN(s)) console.log(`${who} ${BIG_MIB} MiB from qcow2: ${(BIG_MIB / s).toFixed(0)} MiB/s (whole process)`);
}
console.log(`guestkit info / qemu-img info: ${(m('guestkit info (qcow2)') / m('qemu-img info (qcow2)')).toFixed(2)}x`);
