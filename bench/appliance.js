#!/usr/bin/env node
// The appliance backend side by side with libguestfs (LIBGUESTFS_BACKEND=direct),
// on the same ext4 image, alternating runs, medians and ratios:
//   1. launch to first answer: `guestkit cat --backend=appliance` vs `virt-cat`
//      (whole cold process), plus guestkit's qemu start → agent READY (from -v);
//   2. reading a 256 MiB file out: `guestkit fish --backend=appliance download`
//      vs guestfish `download`, in MB/s of the transfer alone: the output file is
//      watched, from its first byte to its last (launch time excluded on both sides).
// Usage: npm run bench:appliance   (BENCH_RUNS=N, default 3)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guestkit, have, median, out, runs } from './common.js';

const image = join(out, 'appliance.img');
const BIG_MIB = 256;
const BIG_BYTES = BIG_MIB << 20;

function makeImage() {
  if (existsSync(image)) return;
  mkdirSync(out, { recursive: true });
  const tree = join(out, 'appliance-tree');
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(join(tree, 'etc'), { recursive: true });
  writeFileSync(join(tree, 'etc', 'hostname'), 'bench-guest\n');
  execFileSync('sh', ['-c', `head -c ${BIG_MIB}M /dev/urandom > '${join(tree, 'big.bin')}'`]);
  execFileSync('truncate', ['-s', '512M', image]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', tree, image]);
  rmSync(tree, { recursive: true, force: true });
}

const lgEnv = { LIBGUESTFS_BACKEND: 'direct' };

/**
 * Runs a command; resolves with its wall time (s), stderr, and — when `watch` names
 * a file — the time from that file's first byte to its reaching `watchBytes`.
 */
function run(cmd, args, { env = {}, watch, watchBytes } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    let first = null;
    let full = null;
    const poll = watch
      ? setInterval(() => {
          let size = 0;
          try {
            size = statSync(watch).size;
          } catch {
            return;
          }
          const now = performance.now();
          if (size > 0 && first === null) first = now;
          if (size >= watchBytes && full === null) full = now;
        }, 5)
      : null;
    child.on('error', reject);
    child.on('close', (status) => {
      if (poll) clearInterval(poll);
      const end = performance.now();
      if (status !== 0) return reject(new Error(`${cmd} ${args.join(' ')} failed (${status}): ${err.trim()}`));
      resolve({ wall: (end - t0) / 1000, err, transfer: first === null ? null : ((full ?? end) - first) / 1000 });
    });
  });
}

makeImage();
const libguestfs = have('virt-cat') && have('guestfish');
console.log(`guestkit appliance bench: ${runs} runs each, alternating${libguestfs ? ' with libguestfs (LIBGUESTFS_BACKEND=direct)' : ' (libguestfs not installed: guestkit only)'}`);
// Build (or find) the appliance before timing anything.
execFileSync('node', [guestkit, 'cat', '--backend=appliance', '-a', image, '-m', '/dev/sda', '/etc/hostname'], { stdio: 'ignore' });

const catArgs = ['-a', image, '-m', '/dev/sda', '/etc/hostname'];
const dl = join(out, 'download.bin');
const gkCat = [], gkReady = [], lgCat = [], gkDl = [], lgDl = [];
for (let i = 0; i < runs; i++) {
  const g = await run('node', [guestkit, 'cat', '-v', '--backend=appliance', ...catArgs]);
  gkCat.push(g.wall);
  const m = /appliance: ready in (\d+) ms/.exec(g.err);
  if (m) gkReady.push(Number(m[1]) / 1000);
  if (libguestfs) lgCat.push((await run('virt-cat', catArgs, { env: lgEnv })).wall);

  rmSync(dl, { force: true });
  const gd = await run('node', [guestkit, 'fish', '--backend=appliance', '--ro', '-a', image, '-m', '/dev/sda', 'download', '/big.bin', dl], { watch: dl, watchBytes: BIG_BYTES });
  if (statSync(dl).size !== BIG_BYTES) throw new Error(`guestkit download wrote ${statSync(dl).size} bytes`);
  gkDl.push(gd.transfer);
  if (libguestfs) {
    rmSync(dl, { force: true });
    const ld = await run('guestfish', ['--ro', '-a', image, '-m', '/dev/sda', 'download', '/big.bin', dl], { env: lgEnv, watch: dl, watchBytes: BIG_BYTES });
    lgDl.push(ld.transfer);
  }
  rmSync(dl, { force: true });
  process.stderr.write(`run ${i + 1}/${runs} done\n`);
}

const s = (x) => `${x.toFixed(2)} s`;
const mbs = (t) => BIG_BYTES / 1e6 / t;
console.log(`${'case'.padEnd(34)}${'guestkit'.padStart(14)}${libguestfs ? 'libguestfs'.padStart(14) + 'ratio'.padStart(9) : ''}`);
let line = `${'cat /etc/hostname (cold process)'.padEnd(34)}${s(median(gkCat)).padStart(14)}`;
if (libguestfs) line += `${s(median(lgCat)).padStart(14)}${`${(median(lgCat) / median(gkCat)).toFixed(1)}×`.padStart(9)}`;
console.log(line);
if (gkReady.length) console.log(`${'  qemu start → agent READY'.padEnd(34)}${s(median(gkReady)).padStart(14)}   (all: ${gkReady.map((x) => x.toFixed(2)).join(' ')})`);
line = `${`download ${BIG_MIB} MiB (transfer)`.padEnd(34)}${`${mbs(median(gkDl)).toFixed(0)} MB/s`.padStart(14)}`;
if (libguestfs) line += `${`${mbs(median(lgDl)).toFixed(0)} MB/s`.padStart(14)}${`${(median(lgDl) / median(gkDl)).toFixed(1)}×`.padStart(9)}`;
console.log(line);
console.log(`runs (s): guestkit cat ${gkCat.map((x) => x.toFixed(2)).join(' ')}${libguestfs ? `; virt-cat ${lgCat.map((x) => x.toFixed(2)).join(' ')}` : ''}`);
console.log(`runs (MB/s): guestkit download ${gkDl.map((t) => mbs(t).toFixed(0)).join(' ')}${libguestfs ? `; guestfish download ${lgDl.map((t) => mbs(t).toFixed(0)).join(' ')}` : ''}`);
