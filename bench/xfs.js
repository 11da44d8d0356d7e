#!/usr/bin/env node
// xfs read in process: guestkit cat / ls -lR / df on the stock Fedora-shaped guest
// (fixtures/out/fedora-xfs.img: LVM, xfs root) with --backend=auto (which now stays
// on wasm) and with --backend=appliance, beside virt-cat / virt-ls / virt-df
// (LIBGUESTFS_BACKEND=direct), alternating runs, medians and ratios.
// Usage: npm run bench:xfs  (BENCH_RUNS=N, default 3; where KVM does not work,
// LIBGUESTFS_BACKEND_SETTINGS=force_tcg makes libguestfs use TCG as guestkit's appliance does)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { guestkit, have, median, root, runs, timeRun } from './common.js';

const image = join(root, 'fixtures', 'out', 'fedora-xfs.img');
if (!existsSync(image)) {
  console.error(`bench/xfs.js: ${image} is missing: run fixtures/make-all.sh`);
  process.exit(1);
}
const libguestfs = have('virt-cat') && have('virt-ls') && have('virt-df');
const lgEnv = { LIBGUESTFS_BACKEND: 'direct' };
const cases = [
  ['cat /etc/hostname', ['cat', '-a', image, '/etc/hostname'], 'virt-cat', ['-a', image, '/etc/hostname']],
  ['ls -lR /', ['ls', '-lR', '-a', image, '/'], 'virt-ls', ['-lR', '-a', image, '/']],
  ['df', ['df', '-a', image], 'virt-df', ['-a', image]],
];

console.log(`guestkit xfs bench (${image}): ${runs} runs each, alternating${libguestfs ? ' with libguestfs (LIBGUESTFS_BACKEND=direct)' : ' (libguestfs not installed)'}`);
console.log(`${'case'.padEnd(20)}${'wasm'.padStart(10)}${'appliance'.padStart(11)}${libguestfs ? 'libguestfs'.padStart(12) + 'lg/wasm'.padStart(9) + 'lg/appl'.padStart(9) : ''}`);
for (const [label, gkArgs, lgCmd, lgArgs] of cases) {
  const wasm = [], appl = [], lg = [];
  for (let i = 0; i < runs; i++) {
    wasm.push(timeRun('node', [guestkit, ...gkArgs]));
    appl.push(timeRun('node', [guestkit, ...gkArgs, '--backend=appliance']));
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
