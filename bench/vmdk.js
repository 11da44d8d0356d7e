#!/usr/bin/env node
// The native vmdk reader side by side with its peers, alternating runs, medians:
//   1. `guestkit cat` of /etc/hostname from the vmdk fixtures (monolithicSparse,
//      streamOptimized: read in TypeScript), from the raw image, and `virt-cat` on the
//      monolithicSparse vmdk (qemu reads it; LIBGUESTFS_BACKEND=direct);
//   2. the same for a 200 MiB file (read throughput through grain tables and inflate);
//   3. `guestkit info` vs `qemu-img info` on the monolithicSparse vmdk.
// Usage: npm run bench:vmdk   (BENCH_RUNS=N, default 3). Needs the fixtures (fixtures/out/vmdk).
// Where KVM aborts qemu, run with LIBGUESTFS_BACKEND_SETTINGS=force_tcg for virt-cat.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { guestkit, have, median, out, root, runs, timeRun } from './common.js';

const vmdkDir = join(root, 'fixtures', 'out', 'vmdk');
const sparse = join(vmdkDir, 'monolithicSparse.vmdk');
const stream = join(vmdkDir, 'streamOptimized.vmdk');
const raw = join(root, 'fixtures', 'out', 'gpt.img');
mkdirSync(out, { recursive: true });

// A 200 MiB file of random bytes in an ext4 over the whole disk, as raw and both sparse vmdk kinds.
const BIG_MIB = 200;
const big = { raw: join(out, 'vmdk-big.raw'), sparse: join(out, 'vmdk-big.vmdk'), stream: join(out, 'vmdk-big-stream.vmdk') };
if (!existsSync(big.stream)) {
  const tree = join(out, 'vmdk-big-tree');
  execFileSync('sh', ['-c', `mkdir -p '${tree}' && head -c ${BIG_MIB}M /dev/urandom > '${tree}/big.bin' && truncate -s ${BIG_MIB + 100}M '${big.raw}' && mkfs.ext4 -q -F -d '${tree}' '${big.raw}' && rm -rf '${tree}'`]);
  execFileSync('qemu-img', ['convert', '-O', 'vmdk', big.raw, big.sparse]);
  execFileSync('qemu-img', ['convert', '-O', 'vmdk', '-o', 'subformat=streamOptimized', big.raw, big.stream]);
}

const catArgs = (image) => [guestkit, 'cat', '-a', image, '-m', '/dev/sda2', '/etc/hostname'];
const bigArgs = (image) => [guestkit, 'cat', '-a', image, '-m', '/dev/sda', '/big.bin'];
const virtCat = have('virt-cat');
const lg = { LIBGUESTFS_BACKEND: 'direct' };
const cases = [
  ['guestkit cat (vmdk sparse)', () => timeRun('node', catArgs(sparse))],
  ['guestkit cat (vmdk stream)', () => timeRun('node', catArgs(stream))],
  ['guestkit cat (raw)', () => timeRun('node', catArgs(raw))],
];
if (virtCat) cases.push(['virt-cat (vmdk sparse)', () => timeRun('virt-cat', ['-a', sparse, '-m', '/dev/sda2', '/etc/hostname'], lg)]);
cases.push(
  [`guestkit cat ${BIG_MIB} MiB (sparse)`, () => timeRun('node', bigArgs(big.sparse))],
  [`guestkit cat ${BIG_MIB} MiB (stream)`, () => timeRun('node', bigArgs(big.stream))],
  [`guestkit cat ${BIG_MIB} MiB (raw)`, () => timeRun('node', bigArgs(big.raw))],
);
if (virtCat) cases.push([`virt-cat ${BIG_MIB} MiB (sparse)`, () => timeRun('virt-cat', ['-a', big.sparse, '-m', '/dev/sda', '/big.bin'], lg)]);
cases.push(
  ['guestkit info (vmdk)', () => timeRun(guestkit, ['info', sparse])],
  ['qemu-img info (vmdk)', () => timeRun('qemu-img', ['info', sparse])],
);

console.log(`vmdk bench: ${runs} runs each, alternating${virtCat ? '' : ' (virt-cat not installed)'}`);
const times = new Map(cases.map(([name]) => [name, []]));
for (let i = 0; i < runs; i++) for (const [name, fn] of cases) times.get(name).push(fn());
for (const [name, xs] of times) console.log(`${name.padEnd(32)} median ${median(xs).toFixed(3)} s   [${xs.map((x) => x.toFixed(3)).join(', ')}]`);
const m = (name) => (times.has(name) ? median(times.get(name)) : NaN);
if (virtCat) console.log(`virt-cat / guestkit cat (vmdk sparse): ${(m('virt-cat (vmdk sparse)') / m('guestkit cat (vmdk sparse)')).toFixed(1)}x`);
console.log(`guestkit cat vmdk sparse / raw: ${(m('guestkit cat (vmdk sparse)') / m('guestkit cat (raw)')).toFixed(2)}x, stream / raw: ${(m('guestkit cat (vmdk stream)') / m('guestkit cat (raw)')).toFixed(2)}x`);
for (const label of [`guestkit cat ${BIG_MIB} MiB (sparse)`, `guestkit cat ${BIG_MIB} MiB (stream)`, `guestkit cat ${BIG_MIB} MiB (raw)`, `virt-cat ${BIG_MIB} MiB (sparse)`]) {
  if (times.has(label)) console.log(`${label}: ${(BIG_MIB / m(label)).toFixed(0)} MiB/s (whole process)`);
}
console.log(`guestkit info / qemu-img info: ${(m('guestkit info (vmdk)') / m('qemu-img info (vmdk)')).toFixed(2)}x`);
