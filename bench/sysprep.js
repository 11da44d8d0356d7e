#!/usr/bin/env node
// Side-by-side benchmark of guestkit sysprep against virt-sysprep, a default run on
// a fresh copy of the guest each time; alternating runs, medians, ratio.
//   default: fixtures/out/ubuntu.img seeded with the files the sysprep goldens use
//            (test/golden/sysprep/seed-*.gf); auto picks the wasm backend.
//   BENCH_SYSPREP=fedora-xfs: fixtures/out/fedora-xfs.img (GPT, EFI, LVM, xfs root) as it
//            is; xfs is written only by the appliance: guestkit plans in process and
//            finds nothing to write there, so no appliance starts.
//   BENCH_SYSPREP=fedora-xfs-seeded: the same seeded with the sysprep goldens' files
//            (seed-linux-common.gf, seed-fedora.gf; by the appliance, once): the planned
//            writes then go to the appliance.
// Usage: node bench/sysprep.js (BENCH_RUNS=N, default 3; BENCH_SYSPREP=ubuntu|fedora-xfs|fedora-xfs-seeded)
import { copyFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { guestkit, have, median, out, root, runs, timeRun } from './common.js';

const guest = process.env.BENCH_SYSPREP ?? 'ubuntu';
if (!['ubuntu', 'fedora-xfs', 'fedora-xfs-seeded'].includes(guest)) throw new Error(`BENCH_SYSPREP: ubuntu, fedora-xfs or fedora-xfs-seeded, not ${guest}`);
const image = guest === 'fedora-xfs-seeded' ? 'fedora-xfs' : guest;
const golden = join(root, 'test', 'golden', 'sysprep');
mkdirSync(out, { recursive: true });
const seeded = join(out, `bench-sysprep-${guest}.img`);
copyFileSync(join(root, 'fixtures', 'out', `${image}.img`), seeded);
if (guest !== 'fedora-xfs') {
  // ubuntu (ext4) is seeded in process; xfs only by the appliance
  for (const s of ['seed-linux-common.gf', guest === 'ubuntu' ? 'seed-ubuntu.gf' : 'seed-fedora.gf']) {
    execFileSync(guestkit, ['fish', '-a', seeded, '-i', '-f', join(golden, s)], { stdio: 'inherit', env: { ...process.env, GUESTKIT_BACKEND: guest === 'ubuntu' ? 'wasm' : 'appliance' } });
  }
}
const work = join(out, 'bench-sysprep-work.img');
const haveVirt = have('virt-sysprep');
const libguestfsEnv = { LIBGUESTFS_BACKEND: 'direct', LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' };

console.log(`guestkit sysprep bench: ${{ ubuntu: 'seeded ubuntu.img', 'fedora-xfs': 'fedora-xfs.img', 'fedora-xfs-seeded': 'seeded fedora-xfs.img' }[guest]}, default operations, ${runs} runs each, alternating` +
  (haveVirt ? ' with virt-sysprep (LIBGUESTFS_BACKEND=direct, force_tcg)' : ' (virt-sysprep not installed: guestkit only)'));
const gk = [], lg = [];
for (let i = 0; i < runs; i++) {
  copyFileSync(seeded, work);
  gk.push(timeRun(guestkit, ['sysprep', '-q', '-a', work]));
  if (haveVirt) {
    copyFileSync(seeded, work);
    lg.push(timeRun('virt-sysprep', ['-q', '-a', work], libguestfsEnv));
  }
  console.log(`  run ${i + 1}: guestkit ${gk[i].toFixed(2)} s${haveVirt ? `, virt-sysprep ${lg[i].toFixed(2)} s` : ''}`);
}
let line = `median: guestkit sysprep ${median(gk).toFixed(2)} s`;
if (haveVirt) line += `, virt-sysprep ${median(lg).toFixed(2)} s, ratio ${(median(lg) / median(gk)).toFixed(1)}× (virt-sysprep / guestkit)`;
console.log(line);
