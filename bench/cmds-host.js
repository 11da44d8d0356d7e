#!/usr/bin/env node
// The file-reading commands of issue #10 side by side with guestfish 1.48 (libguestfs's
// appliance under TCG here), alternating runs, medians and ratios (guestfish/guestkit:
// above 1 means guestkit is faster). Each row is one cold process per side, read-only,
// on fixtures/out/extra.img. Usage: node bench/cmds-host.js  (BENCH_RUNS=N, default 3)
// Needs: npm run build first, fixtures made, guestfish for the peer column.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { guestkit, have, median, out, root, runs, timeRun } from './common.js';

const img = join(root, 'fixtures', 'out', 'extra.img');
const lg = { LIBGUESTFS_BACKEND: 'direct', LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' };
mkdirSync(out, { recursive: true });

const ROWS = [
  ['file (text, device, directory)', ['file', '/names/a-c', ':', 'file', '/dev/sda', ':', 'file', '/modes']],
  ['filesystem-walk /dev/sda', ['filesystem-walk', '/dev/sda']],
  ['cpio-out /names', ['cpio-out', '/names', join(out, 'names.cpio')]],
  ['compress-out gzip 10 MiB file', ['compress-out', 'gzip', '/sizes/s10485760', join(out, 's10m.gz')]],
];

const peer = have('guestfish');
console.log(`cmds-host commands on extra.img, ${runs} runs, medians (guestfish: ${peer ? 'direct backend, TCG' : 'not installed'})\n`);
console.log(`${'command'.padEnd(34)} ${'guestkit'.padStart(9)} ${'guestfish'.padStart(10)} ${'ratio'.padStart(7)}`);
for (const [name, cmd] of ROWS) {
  const ours = [], theirs = [];
  for (let i = 0; i < runs; i++) {
    // filesystem-walk reads the device unmounted: no -m for it, as with guestfish.
    const mount = name.startsWith('filesystem-walk') ? ['run', ':'] : ['-m', '/dev/sda', '--'];
    ours.push(timeRun(guestkit, ['fish', '--ro', '--format=raw', '-a', img, ...mount, ...cmd]));
    if (peer) theirs.push(timeRun('guestfish', ['--ro', '--format=raw', '-a', img, ...mount, ...cmd], lg));
  }
  const a = median(ours), b = peer ? median(theirs) : NaN;
  console.log(`${name.padEnd(34)} ${`${a.toFixed(2)} s`.padStart(9)} ${peer ? `${b.toFixed(2)} s`.padStart(10) : 'n/a'.padStart(10)} ${peer ? `${(b / a).toFixed(1)}x`.padStart(7) : ''}`);
}
