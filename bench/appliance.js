#!/usr/bin/env node
// The appliance backend side by side with libguestfs (LIBGUESTFS_BACKEND=direct),
// on the same ext4 image, alternating runs, medians and ratios:
//   1. launch to first answer: `guestkit cat --backend=appliance` vs `virt-cat`
//      (whole cold process), plus guestkit's qemu start → agent READY (from -v);
//   2. reading a 256 MiB file out: `guestkit fish --backend=appliance download`
//      vs guestfish `download`, in MB/s of the transfer alone: the output file is
//      watched, from its first byte to its last (launch time excluded on both sides).
//   3. the Fedora-style guest (GPT, LVM, xfs root: fixtures/out/fedora-xfs.img) through
//      the appliance: cat / inspect --no-applications / df beside virt-cat /
//      virt-inspector / virt-df (whole cold processes);
//   4. ten `guestkit fish --remote cat` commands after one `--listen` (the listen
//      included) beside ten `guestfish -a … -m … cat` runs.
// A session starts from the appliance's saved VM state when there is one (the
// first run after a build saves it): "ready" is qemu start → agent answering.
// Parts 1 and 2 also read a qcow2 copy of the image (cat, cold process).
// BENCH_BASELINE=path/to/guestkit.cjs adds another guestkit build (e.g. a copy of
// dist/bundle from before a change; keep it at the same depth under the checkout)
// to parts 1 and 2, alternating with the others.
// BENCH_PEERS=0 leaves libguestfs out (a quicker before/after run).
// Usage: npm run bench:appliance   (BENCH_RUNS=N, default 3; BENCH_PARTS=1,2,3,4 to pick)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guestkit, have, median, out, root, runs } from './common.js';

const image = join(out, 'appliance.img');
const qcow2 = join(out, 'appliance.qcow2');
const baseline = process.env.BENCH_BASELINE;
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
  rmSync(qcow2, { force: true });
}

const lgEnv = { LIBGUESTFS_BACKEND: 'direct', LIBGUESTFS_BACKEND_SETTINGS: process.env.LIBGUESTFS_BACKEND_SETTINGS ?? 'force_tcg' };
const parts = new Set((process.env.BENCH_PARTS ?? '1,2,3,4').split(',').map(Number));

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
if (!existsSync(qcow2)) execFileSync('qemu-img', ['convert', '-O', 'qcow2', image, qcow2]);
const libguestfs = process.env.BENCH_PEERS !== '0' && have('virt-cat') && have('guestfish');
console.log(`guestkit appliance bench: ${runs} runs each, alternating${libguestfs ? ' with libguestfs (LIBGUESTFS_BACKEND=direct)' : ' (libguestfs not installed or BENCH_PEERS=0: guestkit only)'}`);
// Build (or find) the appliance before timing anything.
execFileSync(guestkit, ['cat', '--backend=appliance', '-a', image, '-m', '/dev/sda', '/etc/hostname'], { stdio: 'ignore' });

const catArgs = ['-a', image, '-m', '/dev/sda', '/etc/hostname'];
const catQcow2Args = ['-a', qcow2, '-m', '/dev/sda', '/etc/hostname'];
const dl = join(out, 'download.bin');
const gkCat = [], gkReady = [], lgCat = [], gkDl = [], lgDl = [], gkQcow2 = [], lgQcow2 = [];
const base = { cat: [], qcow2: [], dl: [] };
/** One guestkit download of /big.bin; the transfer time. */
async function download(cli) {
  rmSync(dl, { force: true });
  const gd = await run('node', [cli, 'fish', '--backend=appliance', '--ro', '-a', image, '-m', '/dev/sda', 'download', '/big.bin', dl], { watch: dl, watchBytes: BIG_BYTES });
  if (statSync(dl).size !== BIG_BYTES) throw new Error(`guestkit download wrote ${statSync(dl).size} bytes`);
  return gd.transfer;
}
for (let i = 0; i < runs && (parts.has(1) || parts.has(2)); i++) {
  const g = await run(guestkit, ['cat', '-v', '--backend=appliance', ...catArgs]);
  gkCat.push(g.wall);
  const m = /appliance: (?:restored the saved VM state: )?ready in (\d+) ms/.exec(g.err);
  if (m) gkReady.push(Number(m[1]) / 1000);
  if (baseline) base.cat.push((await run('node', [baseline, 'cat', '--backend=appliance', ...catArgs])).wall);
  if (libguestfs) lgCat.push((await run('virt-cat', catArgs, { env: lgEnv })).wall);
  gkQcow2.push((await run(guestkit, ['cat', '--backend=appliance', ...catQcow2Args])).wall);
  if (baseline) base.qcow2.push((await run('node', [baseline, 'cat', '--backend=appliance', ...catQcow2Args])).wall);
  if (libguestfs) lgQcow2.push((await run('virt-cat', catQcow2Args, { env: lgEnv })).wall);

  if (!parts.has(2)) continue;
  gkDl.push(await download(guestkit));
  if (baseline) base.dl.push(await download(baseline));
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
/** One table row: guestkit's median beside libguestfs's, with the ratio. */
function row(name, gk, lg) {
  let line = `${name.padEnd(34)}${s(median(gk)).padStart(14)}`;
  if (lg.length) line += `${s(median(lg)).padStart(14)}${`${(median(lg) / median(gk)).toFixed(1)}×`.padStart(9)}`;
  console.log(line);
}
const table = [];
if (gkCat.length) {
  table.push(() => {
    row('cat /etc/hostname (cold process)', gkCat, lgCat);
    if (gkReady.length) console.log(`${'  qemu start → agent ready'.padEnd(34)}${s(median(gkReady)).padStart(14)}   (all: ${gkReady.map((x) => x.toFixed(2)).join(' ')})`);
    row('cat on a qcow2 copy (cold process)', gkQcow2, lgQcow2);
  });
}
if (gkDl.length) {
  table.push(() => {
    let line = `${`download ${BIG_MIB} MiB (transfer)`.padEnd(34)}${`${mbs(median(gkDl)).toFixed(0)} MB/s`.padStart(14)}`;
    if (lgDl.length) line += `${`${mbs(median(lgDl)).toFixed(0)} MB/s`.padStart(14)}${`${(median(lgDl) / median(gkDl)).toFixed(1)}×`.padStart(9)}`;
    console.log(line);
  });
}
if (baseline && gkCat.length) {
  table.push(() => {
    console.log(`BENCH_BASELINE (${baseline}) beside this build (medians; all runs in brackets):`);
    const both = (name, now, before, fmt) => console.log(`  ${name.padEnd(32)}${fmt(median(now)).padStart(12)} now ${fmt(median(before)).padStart(12)} baseline   [${now.map(fmt).join(' ')}] [${before.map(fmt).join(' ')}]`);
    both('cat raw (cold process)', gkCat, base.cat, s);
    both('cat qcow2 (cold process)', gkQcow2, base.qcow2, s);
    if (base.dl.length) both(`download ${BIG_MIB} MiB (transfer)`, gkDl, base.dl, (t) => `${mbs(t).toFixed(0)} MB/s`);
  });
}

// 3. The Fedora-style guest through the appliance.
const fedora = join(root, 'fixtures', 'out', 'fedora-xfs.img');
if (parts.has(3) && existsSync(fedora)) {
  const cases = [
    ['fedora: cat /etc/hostname', ['cat', '-a', fedora, '/etc/hostname'], 'virt-cat', ['-a', fedora, '/etc/hostname']],
    ['fedora: inspect --no-applications', ['inspect', '--no-applications', '-a', fedora], 'virt-inspector', ['--no-applications', '-a', fedora]],
    ['fedora: df', ['df', '-a', fedora], 'virt-df', ['-a', fedora]],
  ];
  for (const [name, gkArgs, lgCmd, lgArgs] of cases) {
    const gk = [], lg = [];
    for (let i = 0; i < runs; i++) {
      gk.push((await run(guestkit, [...gkArgs, '--backend=appliance'])).wall);
      if (libguestfs && have(lgCmd)) lg.push((await run(lgCmd, lgArgs, { env: lgEnv })).wall);
      process.stderr.write(`${name}: run ${i + 1}/${runs} done\n`);
    }
    table.push(() => row(name, gk, lg));
  }
}

// 4. Ten commands in one warm session (the --listen included) vs ten guestfish runs.
if (parts.has(4)) {
  const gk = [], lg = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    // stderr inherited: the listener keeps it, and spawnSync would wait for a piped one to close.
    const l = spawnSync(guestkit, ['fish', '--listen', '--backend=appliance', '--ro', '-a', image, '-m', '/dev/sda'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = /GUESTFISH_PID=(\d+)/.exec(l.stdout ?? '')?.[1];
    if (!pid) throw new Error('guestkit fish --listen failed');
    for (let k = 0; k < 10; k++) {
      const r = spawnSync(guestkit, ['fish', `--remote=${pid}`, 'cat', '/etc/hostname'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`guestkit fish --remote failed: ${r.stderr}`);
    }
    gk.push((performance.now() - t0) / 1000);
    spawnSync(guestkit, ['fish', `--remote=${pid}`, 'exit']);
    if (libguestfs) {
      const t1 = performance.now();
      for (let k = 0; k < 10; k++) await run('guestfish', ['--ro', ...catArgs.slice(0, 4), 'cat', '/etc/hostname'], { env: lgEnv });
      lg.push((performance.now() - t1) / 1000);
    }
    process.stderr.write(`remote: run ${i + 1}/${runs} done\n`);
  }
  table.push(() => row('10 × cat: --listen + 10 --remote', gk, lg));
}

console.log(`${'case'.padEnd(34)}${'guestkit'.padStart(14)}${libguestfs ? 'libguestfs'.padStart(14) + 'ratio'.padStart(9) : ''}`);
for (const t of table) t();
if (gkCat.length) console.log(`runs (s): guestkit cat ${gkCat.map((x) => x.toFixed(2)).join(' ')}${libguestfs ? `; virt-cat ${lgCat.map((x) => x.toFixed(2)).join(' ')}` : ''}`);
