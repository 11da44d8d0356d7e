#!/usr/bin/env node
// The read-only tools and customize on installer-shaped guests (the fixtures made by
// fixtures/make-stock-guests.sh and make-fedora-optxfs.sh), each guestkit run (cold
// process, --backend=auto) beside the libguestfs tool on the same image, alternating;
// medians and ratios. customize works on a fresh copy of the image for every run.
// Usage: node bench/stock-guests.js [IMAGE...]   (BENCH_RUNS=N; libguestfs needs
// LIBGUESTFS_BACKEND_SETTINGS=force_tcg on hosts whose /dev/kvm qemu cannot use)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { guestkit, have, median, out, root, runs, timeRun } from './common.js';

const images = process.argv.slice(2).length ? process.argv.slice(2) : ['fedora-xfs.img', 'fedora-optxfs.img', 'ubuntu.img'].map((f) => join(root, 'fixtures', 'out', f));
const libguestfs = have('virt-cat') && have('virt-customize');
const lgEnv = { LIBGUESTFS_BACKEND: 'direct' };
mkdirSync(out, { recursive: true });
const scratch = join(out, 'stock-copy.img');

/** A timed run after its preparation (a fresh copy for customize), which is not timed. */
function time(cmd, args, env = {}, prepare) {
  prepare?.();
  return timeRun(cmd, args, env);
}

/** Which backend auto picks for a tool on the image, from -v. */
function backendOf(args) {
  const r = spawnSync(guestkit, [...args, '-v'], { encoding: 'utf8' });
  return /backend: (\w+)/.exec(r.stderr)?.[1] ?? '?';
}

console.log(`guestkit on stock-shaped guests: ${runs} runs each, alternating${libguestfs ? ' with libguestfs' : ' (libguestfs not installed)'}`);
console.log(`${'image / case'.padEnd(44)} ${'backend'.padEnd(9)} ${'guestkit'.padStart(9)} ${'libguestfs'.padStart(10)} ${'ratio'.padStart(7)}`);
for (const image of images) {
  const fresh = () => copyFileSync(image, scratch);
  const cases = [
    ['cat /etc/hostname', ['cat', '-a', image, '/etc/hostname'], 'virt-cat', ['-a', image, '/etc/hostname']],
    ['ls -lR /etc', ['ls', '-lR', '-a', image, '/etc'], 'virt-ls', ['-lR', '-a', image, '/etc']],
    ['inspect --no-applications', ['inspect', '--no-applications', '-a', image], 'virt-inspector', ['--no-applications', '-a', image]],
    ['df', ['df', '-a', image], 'virt-df', ['-a', image]],
    ['customize --hostname (copy)', ['customize', '-a', scratch, '--hostname', 'bench'], 'virt-customize', ['-a', scratch, '--hostname', 'bench'], fresh],
  ];
  for (const [name, gk, lgCmd, lgArgs, prepare] of cases) {
    prepare?.();
    const backend = backendOf(gk);
    const g = [];
    const l = [];
    for (let i = 0; i < runs; i++) {
      g.push(time(guestkit, [...gk], {}, prepare));
      if (libguestfs && have(lgCmd)) l.push(time(lgCmd, lgArgs, lgEnv, prepare));
    }
    const gm = median(g);
    const lm = l.length ? median(l) : undefined;
    console.log(`${`${basename(image)} ${name}`.padEnd(44)} ${backend.padEnd(9)} ${gm.toFixed(3).padStart(8)}s ${lm === undefined ? '-'.padStart(10) : `${lm.toFixed(2).padStart(9)}s`} ${lm === undefined ? '' : `${(lm / gm).toFixed(1)}×`.padStart(7)}`);
  }
}
rmSync(scratch, { force: true });
