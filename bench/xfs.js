#!/usr/bin/env node
// xfs read in process: guestkit cat / ls -lR / df / inspect on the stock Fedora-shaped guest
// (fixtures/out/fedora-xfs.img: LVM, xfs root) with --backend=auto (which stays
// on wasm), beside virt-cat / virt-ls / virt-df / virt-inspector
// (LIBGUESTFS_BACKEND=direct), alternating runs, medians and ratios.
// Usage: npm run bench:xfs  (BENCH_RUNS=N, default 3; where KVM does not work,
// LIBGUESTFS_BACKEND_SETTINGS=force_tcg makes libguestfs use TCG as guestkit's appliance does)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root, sideBySide } from './common.js';

const image = join(root, 'fixtures', 'out', 'fedora-xfs.img');
if (!existsSync(image)) {
  console.error(`bench/xfs.js: ${image} is missing: run fixtures/make-all.sh`);
  process.exit(1);
}
const cases = [
  ['cat /etc/hostname', ['cat', '-a', image, '/etc/hostname'], 'virt-cat', ['-a', image, '/etc/hostname']],
  ['ls -lR /', ['ls', '-lR', '-a', image, '/'], 'virt-ls', ['-lR', '-a', image, '/']],
  ['df', ['df', '-a', image], 'virt-df', ['-a', image]],
  ['inspect --no-applications', ['inspect', '--no-applications', '-a', image], 'virt-inspector', ['--no-applications', '-a', image]],
];

sideBySide(`guestkit xfs bench (${image})`, cases);
