#!/usr/bin/env node
// Fixed start-up cost of the image tools: `guestkit info`, `copy -O qcow2` and `serve --run`
// on a 1 MiB image, where moving the data costs next to nothing, beside their peers
// (`qemu-img info`, `qemu-img convert`, `nbdcopy` from `qemu-nbd`), in alternating rounds;
// medians and ratios, then where serve's time goes (medians of the GUESTKIT_TIMING=1 marks).
// Usage: npm run bench:image-tools-start   (IMAGE_START_RUNS=N rounds, default 21;
// IMAGE_START_BASELINE=FILE adds another build's bin, e.g. a copy of an older dist/bundle's
// guestkit.cjs, to the same rounds)
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guestkit, have, median, out, timeRun } from './common.js';

const rounds = Number(process.env.IMAGE_START_RUNS ?? 21);
const baseline = process.env.IMAGE_START_BASELINE;
const dir = join(out, 'image-tools-start');
mkdirSync(dir, { recursive: true });
const raw = join(dir, 'small.raw');
const qcow2 = join(dir, 'small.qcow2');
const target = join(dir, 'target.qcow2');
// 1 MiB of data, so that every tool reads and writes something.
writeFileSync(raw, Buffer.alloc(1 << 20, 0x5a));
rmSync(qcow2, { force: true });
timeRun(guestkit, ['copy', '-O', 'qcow2', raw, qcow2]);

const nbdcopyNull = 'nbdcopy "$uri" null:';
const groups = [
  { label: 'info', args: ['info', qcow2], peer: have('qemu-img') && ['qemu-img', 'info', qcow2] },
  { label: 'copy -O qcow2', args: ['copy', '-O', 'qcow2', raw, target], peer: have('qemu-img') && ['qemu-img', 'convert', '-O', 'qcow2', raw, target] },
  { label: 'serve --run true', args: ['serve', '--run', 'true', qcow2] },
  {
    label: 'serve --run nbdcopy',
    args: ['serve', '--run', nbdcopyNull, qcow2],
    peer: have('nbdcopy') && have('qemu-nbd') && ['nbdcopy', '--', '[', 'qemu-nbd', '-f', 'qcow2', qcow2, ']', 'null:'],
  },
];
const bins = [['guestkit', guestkit], ...(baseline ? [['baseline', baseline]] : [])];
const env = { GUESTKIT_TIMING: '' };

const times = new Map();
const record = (key, s) => times.set(key, [...(times.get(key) ?? []), s]);
for (let i = 0; i < rounds; i++) {
  for (const g of groups) {
    const order = [...bins.map(([who, bin]) => [who, bin, g.args]), ...(g.peer ? [['peer', g.peer[0], g.peer.slice(1)]] : [])];
    for (const [who, cmd, args] of i % 2 ? order.reverse() : order) {
      rmSync(target, { force: true });
      record(`${g.label}|${who}`, timeRun(cmd, args, env));
    }
  }
}
rmSync(target, { force: true });

console.log(`image tools' start-up on a 1 MiB image: medians of ${rounds} alternating rounds`);
const columns = [...bins.map(([who]) => who), 'peer'];
console.log(`${'case'.padEnd(22)}${columns.map((c) => c.padStart(11)).join('')}${'peer/guestkit'.padStart(15)}`);
for (const g of groups) {
  const m = Object.fromEntries(columns.map((c) => [c, times.has(`${g.label}|${c}`) ? median(times.get(`${g.label}|${c}`)) : undefined]));
  const cells = columns.map((c) => (m[c] === undefined ? '-' : `${(m[c] * 1000).toFixed(1)} ms`).padStart(11)).join('');
  console.log(`${g.label.padEnd(22)}${cells}${(m.peer === undefined ? '-' : `${(m.peer / m.guestkit).toFixed(2)}×`).padStart(15)}`);
}

// Where serve's time goes: each GUESTKIT_TIMING mark's median.
const marks = new Map();
for (let i = 0; i < Math.min(rounds, 11); i++) {
  const r = spawnSync(guestkit, ['serve', '--run', 'true', qcow2], { encoding: 'utf8', env: { ...process.env, GUESTKIT_TIMING: '1' } });
  for (const m of r.stderr.matchAll(/^guestkit timing: ([\d.]+) ms (.*)$/gm)) marks.set(m[2], [...(marks.get(m[2]) ?? []), Number(m[1])]);
}
console.log('guestkit serve --run true, GUESTKIT_TIMING=1 marks (medians):');
for (const [what, ms] of marks) console.log(`  ${median(ms).toFixed(1).padStart(6)} ms  ${what}`);
