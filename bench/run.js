#!/usr/bin/env node
// Side-by-side benchmark: guestkit (wasm backend, cold process per run) against
// libguestfs's virt-cat, virt-ls and virt-df on the same image, alternating runs,
// medians and ratios. libguestfs columns appear only when it is installed.
// Usage: npm run bench  (BENCH_RUNS=N to change the number of runs, default 3)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guestkit, have, median, out, runs, timeRun as time } from './common.js';

const image = join(out, 'bench.img');
const BIG_MIB = 200;

function makeImage() {
  if (existsSync(image)) return;
  mkdirSync(out, { recursive: true });
  const tree = join(out, 'tree');
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(join(tree, 'etc'), { recursive: true });
  writeFileSync(join(tree, 'etc', 'hostname'), 'bench-guest\n');
  for (let d = 0; d < 20; d++) {
    mkdirSync(join(tree, 'usr', `d${d}`), { recursive: true });
    for (let f = 0; f < 50; f++) writeFileSync(join(tree, 'usr', `d${d}`, `f${f}`), `file ${d}/${f}\n`.repeat(f + 1));
  }
  execFileSync('sh', ['-c', `head -c ${BIG_MIB}M /dev/urandom > '${join(tree, 'big.bin')}'`]);
  execFileSync('truncate', ['-s', '512M', image]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', tree, image]);
  rmSync(tree, { recursive: true, force: true });
}


makeImage();
const libguestfs = have('virt-cat') && have('virt-ls') && have('virt-df');
const lgEnv = { LIBGUESTFS_BACKEND: 'direct' };
const cases = [
  ['cat /etc/hostname', ['cat', '-a', image, '-m', '/dev/sda', '/etc/hostname'], 'virt-cat', ['-a', image, '-m', '/dev/sda', '/etc/hostname']],
  ['ls -lR /usr', ['ls', '-lR', '-a', image, '-m', '/dev/sda', '/usr'], 'virt-ls', ['-lR', '-a', image, '-m', '/dev/sda', '/usr']],
  ['df', ['df', '-a', image], 'virt-df', ['-a', image]],
  [`cat ${BIG_MIB} MiB file`, ['cat', '-a', image, '-m', '/dev/sda', '/big.bin'], 'virt-cat', ['-a', image, '-m', '/dev/sda', '/big.bin']],
];

console.log(`guestkit bench: ${runs} runs each, alternating${libguestfs ? ' with libguestfs (LIBGUESTFS_BACKEND=direct)' : ' (libguestfs not installed: guestkit only)'}`);
console.log(`${'case'.padEnd(24)}${'guestkit'.padStart(12)}${libguestfs ? 'libguestfs'.padStart(12) + 'ratio'.padStart(10) : ''}`);
for (const [label, gkArgs, lgCmd, lgArgs] of cases) {
  const gk = [], lg = [];
  for (let i = 0; i < runs; i++) {
    gk.push(time(guestkit, [...gkArgs]));
    if (libguestfs) lg.push(time(lgCmd, lgArgs, lgEnv));
  }
  const g = median(gk);
  let line = `${label.padEnd(24)}${(g.toFixed(3) + ' s').padStart(12)}`;
  if (libguestfs) {
    const l = median(lg);
    line += `${(l.toFixed(2) + ' s').padStart(12)}${((l / g).toFixed(1) + '×').padStart(10)}`;
  }
  if (label.includes('MiB')) {
    line += `   guestkit ${(BIG_MIB / g).toFixed(0)} MiB/s` + (libguestfs ? `, libguestfs ${(BIG_MIB / median(lg)).toFixed(0)} MiB/s` : '');
  }
  console.log(line);
}
