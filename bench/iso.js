#!/usr/bin/env node
// iso9660 read in process: guestkit cat / ls -lR on the cloud-init seed ISO
// (fixtures/out/seed.iso, mounted with -m /dev/sda: it holds no operating system)
// with --backend=auto (wasm) and --backend=appliance, beside virt-cat / virt-ls
// (LIBGUESTFS_BACKEND=direct), alternating runs, medians and ratios.
// Usage: npm run bench:iso  (BENCH_RUNS=N, default 3; where KVM does not work,
// LIBGUESTFS_BACKEND_SETTINGS=force_tcg makes libguestfs use TCG as guestkit's appliance does)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root, sideBySide } from './common.js';

const image = join(root, 'fixtures', 'out', 'seed.iso');
if (!existsSync(image)) {
  console.error(`bench/iso.js: ${image} is missing: run fixtures/make-all.sh`);
  process.exit(1);
}
const m = ['-a', image, '-m', '/dev/sda'];
sideBySide(`guestkit iso9660 bench (${image})`, [
  ['cat /user-data', ['cat', ...m, '/user-data'], 'virt-cat', [...m, '/user-data']],
  ['ls -lR /', ['ls', '-lR', ...m, '/'], 'virt-ls', ['-lR', ...m, '/']],
]);
