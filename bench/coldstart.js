#!/usr/bin/env node
// Cold start, whole process: `node -e 0` (the floor), `guestkit --version`,
// `guestkit cat` of /etc/hostname from fixtures/out/ext4.img and libguestfs's
// virt-cat on the same image, in alternating rounds; medians and ratios, then
// where guestkit's cat time goes (medians of the GUESTKIT_TIMING=1 marks).
// Usage: npm run bench:coldstart   (BENCH_RUNS=N rounds with virt-cat, default 3;
// COLDSTART_RUNS=N rounds of the guestkit cases, default 21; COLDSTART_BASELINE=FILE
// adds another build's bin, e.g. an older commit's, to the same rounds)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { guestkit, have, median, root, runs } from './common.js';

const image = join(root, 'fixtures', 'out', 'ext4.img');
if (!existsSync(image)) {
  console.error(`coldstart: ${image} missing: run 'npm run fixtures' first`);
  process.exit(1);
}
if (!existsSync(guestkit)) {
  console.error(`coldstart: ${guestkit} missing: run 'npm run build' first`);
  process.exit(1);
}
const quickRuns = Number(process.env.COLDSTART_RUNS ?? 21);
const catArgs = ['-a', image, '-m', '/dev/sda', '/etc/hostname'];

function run(cmd, args, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return { s, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const baseline = process.env.COLDSTART_BASELINE;
const cases = [
  { label: 'node -e 0', cmd: 'node', args: ['-e', '0'] },
  { label: 'guestkit --version', cmd: guestkit, args: ['--version'] },
  { label: 'guestkit cat', cmd: guestkit, args: ['cat', ...catArgs] },
  ...(baseline
    ? [
        { label: 'baseline --version', cmd: 'node', args: [baseline, '--version'] },
        { label: 'baseline cat', cmd: 'node', args: [baseline, 'cat', ...catArgs] },
      ]
    : []),
];
// BENCH_RUNS=0 leaves virt-cat out altogether (not even its first, checking run).
const virtCat = runs > 0 && have('virt-cat')
  ? { label: 'virt-cat', cmd: 'virt-cat', args: catArgs, env: { LIBGUESTFS_BACKEND: 'direct' } }
  : undefined;

// Same answer from both, or the timing means nothing.
const expected = run(guestkit, ['cat', ...catArgs]).stdout;
// Where /dev/kvm is there but qemu aborts on it (nested KVM refusing an MSR),
// libguestfs fails at once: its rounds then run under TCG, as it would be told to by hand.
let virtNote = '';
if (virtCat) {
  try {
    run(virtCat.cmd, virtCat.args, virtCat.env);
  } catch {
    virtCat.env.LIBGUESTFS_BACKEND_SETTINGS = 'force_tcg';
    virtNote = ', force_tcg: qemu aborted under KVM';
  }
}
const times = new Map([...cases, ...(virtCat ? [virtCat] : [])].map((c) => [c.label, []]));
// virt-cat's rounds are spread evenly through the guestkit rounds.
const virtAt = new Set(Array.from({ length: virtCat ? runs : 0 }, (_, i) => Math.floor(((i + 0.5) * quickRuns) / runs)));
for (let i = 0; i < quickRuns; i++) {
  for (const c of cases) times.get(c.label).push(run(c.cmd, c.args).s);
  if (virtAt.has(i)) {
    const r = run(virtCat.cmd, virtCat.args, virtCat.env);
    if (r.stdout !== expected) throw new Error(`virt-cat printed ${JSON.stringify(r.stdout)}, guestkit ${JSON.stringify(expected)}`);
    times.get(virtCat.label).push(r.s);
  }
}

const med = (label) => median(times.get(label));
console.log(`guestkit cold start: medians of ${quickRuns} runs${virtCat ? `, virt-cat ${runs} runs (LIBGUESTFS_BACKEND=direct${virtNote})` : ' (virt-cat not run: not installed or BENCH_RUNS=0)'}, alternating`);
for (const [label, xs] of times) {
  console.log(`${label.padEnd(22)}${(median(xs).toFixed(3) + ' s').padStart(10)}   min ${Math.min(...xs).toFixed(3)} s`);
}
console.log(`guestkit --version over node -e 0: +${(med('guestkit --version') - med('node -e 0')).toFixed(3)} s`);
console.log(`guestkit cat over node -e 0:       +${(med('guestkit cat') - med('node -e 0')).toFixed(3)} s`);
if (virtCat) console.log(`virt-cat / guestkit cat:            ${(med('virt-cat') / med('guestkit cat')).toFixed(1)}×`);
if (baseline) {
  console.log(`baseline (${baseline}) cat / guestkit cat: ${(med('baseline cat') / med('guestkit cat')).toFixed(2)}×`);
  if (virtCat) console.log(`virt-cat / baseline cat:            ${(med('virt-cat') / med('baseline cat')).toFixed(1)}×`);
}

// Where the time goes: each GUESTKIT_TIMING mark's median, in ms since the process started.
const marks = new Map();
for (let i = 0; i < quickRuns; i++) {
  const { stderr } = run(guestkit, ['cat', ...catArgs], { GUESTKIT_TIMING: '1' });
  for (const m of stderr.matchAll(/^guestkit timing: ([\d.]+) ms (.*)$/gm)) {
    if (!marks.has(m[2])) marks.set(m[2], []);
    marks.get(m[2]).push(Number(m[1]));
  }
}
console.log(`\nguestkit cat, where the time goes (GUESTKIT_TIMING=1, medians, ms since process start):`);
for (const [what, xs] of [...marks].sort((a, b) => median(a[1]) - median(b[1]))) {
  console.log(`${median(xs).toFixed(1).padStart(8)} ms  ${what}`);
}
