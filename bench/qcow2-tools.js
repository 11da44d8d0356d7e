#!/usr/bin/env node
// guestkit's qcow2 pipeline tools beside qemu's, alternating runs, medians:
//   1. `guestkit copy` of a 4 GiB image 25% allocated, qcow2 → raw and raw → qcow2,
//      beside `qemu-img convert` and `nbdcopy` from `qemu-nbd`;
//   2. `guestkit serve` read throughput (`nbdcopy $uri null:`) beside qemu-nbd serving the same qcow2:
//      from start to end (serve --run, nbdcopy's [ qemu-nbd ]), and from servers already running (both
//      started once with -t, one untimed read each first);
//   3. `guestkit info --map` on a 100 GiB sparse qcow2 beside `qemu-img map`.
// Usage: node bench/qcow2-tools.js   (BENCH_RUNS=N, default 3; BENCH_GROUPS=copy,serve,map runs only those
// groups; BENCH_ONLY=text only the groups whose title contains it, e.g. BENCH_ONLY='raw → qcow2').
// Needs qemu-utils and nbdcopy (libnbd-bin).
import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { guestkit, have, median, out, runs, timeRun } from './common.js';

for (const cmd of ['qemu-img', 'qemu-nbd', 'nbdcopy']) {
  if (!have(cmd)) {
    console.log(`qcow2-tools bench: ${cmd} is not installed: skipped`);
    process.exit(0);
  }
}
mkdirSync(out, { recursive: true });
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const srcRaw = join(out, 'q4g.raw');
const srcQcow2 = join(out, 'q4g.qcow2');
if (!existsSync(srcQcow2)) {
  // 4 GiB, a quarter of it data: 4 MiB of random bytes at the start of every 16 MiB.
  const fd = openSync(srcRaw, 'w');
  const chunk = Buffer.alloc(4 * MiB);
  for (let at = 0; at < 4 * GiB; at += 16 * MiB) writeSync(fd, randomFillSync(chunk), 0, chunk.length, at);
  closeSync(fd);
  execFileSync('truncate', ['-s', '4G', srcRaw]);
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', srcRaw, srcQcow2]);
}
const sparse = join(out, 'q100g.qcow2');
if (!existsSync(sparse)) {
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', sparse, '100G']);
  const cmds = [];
  for (let g = 0; g < 100; g++) cmds.push('-c', `write -P ${g % 250} ${g}G 1M`);
  execFileSync('qemu-io', ['-f', 'qcow2', ...cmds, sparse], { stdio: 'ignore' });
}

const dst = join(out, 'q4g-out');
// Each run starts with the last one's output gone and written back: a 1 GiB file still being written
// back when the next tool starts slowed that one down (qemu-img convert after guestkit copy: 0.71 s, 0.31 s after a sync).
const clean = () => {
  rmSync(dst, { force: true });
  execFileSync('sync');
};
const gk = (...args) => () => timeRun(guestkit, [...args]);
const run = (cmd, ...args) => () => timeRun(cmd, args);

const allGroups = [
  [
    'copy qcow2 → raw (4 GiB, 25% allocated)',
    [
      ['guestkit copy', gk('copy', srcQcow2, dst)],
      ['qemu-img convert', run('qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw', srcQcow2, dst)],
      ['nbdcopy ← qemu-nbd', run('nbdcopy', '--', '[', 'qemu-nbd', '-r', '-f', 'qcow2', srcQcow2, ']', dst)],
    ],
  ],
  [
    'copy raw → qcow2 (4 GiB, 25% allocated)',
    [
      ['guestkit copy -O qcow2', gk('copy', '-O', 'qcow2', srcRaw, dst)],
      ['qemu-img convert', run('qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', srcRaw, dst)],
      [
        'nbdcopy → qemu-nbd',
        () => {
          execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', dst, '4G']);
          return timeRun('nbdcopy', ['--', srcRaw, '[', 'qemu-nbd', '-f', 'qcow2', dst, ']']);
        },
      ],
    ],
  ],
  [
    'serve: nbdcopy URI null: (qcow2, 4 GiB)',
    [
      ['guestkit serve', gk('serve', '--run', 'nbdcopy "$uri" null:', srcQcow2)],
      ['qemu-nbd', run('nbdcopy', '--', '[', 'qemu-nbd', '-r', '-f', 'qcow2', srcQcow2, ']', 'null:')],
    ],
  ],
  [
    'serve throughput: nbdcopy URI null: from running servers (qcow2, 4 GiB)',
    [
      ['guestkit serve -t', () => timeRun('nbdcopy', [socketUri(gkSocket), 'null:'])],
      ['qemu-nbd -t', () => timeRun('nbdcopy', [socketUri(qnSocket), 'null:'])],
    ],
    { before: startServers, after: stopServers },
  ],
  [
    'allocation map (100 GiB sparse qcow2)',
    [
      ['guestkit info --map', gk('info', '--map', sparse)],
      ['qemu-img map', run('qemu-img', 'map', sparse)],
    ],
  ],
];

const gkSocket = join(out, 'gk-serve.sock');
const qnSocket = join(out, 'qemu-nbd.sock');
const socketUri = (socket) => `nbd+unix:///?socket=${socket}`;
let servers = [];

/** Both servers on their sockets, each read once (their tables loaded, guestkit's code compiled) before the timed runs. */
async function startServers() {
  for (const s of [gkSocket, qnSocket]) rmSync(s, { force: true });
  servers = [
    spawn(guestkit, ['serve', '-t', '-k', gkSocket, srcQcow2], { stdio: 'ignore' }),
    spawn('qemu-nbd', ['-t', '-r', '-f', 'qcow2', '-k', qnSocket, srcQcow2], { stdio: 'ignore' }),
  ];
  for (const s of [gkSocket, qnSocket]) {
    for (let i = 0; !existsSync(s); i++) {
      if (i > 200) throw new Error(`qcow2-tools bench: no server on ${s}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    timeRun('nbdcopy', [socketUri(s), 'null:']);
  }
}

function stopServers() {
  for (const p of servers) p.kill();
  servers = [];
}

/** A group's key: the first word of its title ('copy', 'serve', 'allocation' also answers to 'map'). */
const groupKey = (title) => (title.startsWith('allocation') ? 'map' : title.split(/[ :]/)[0]);
const wanted = process.env.BENCH_GROUPS?.split(',').map((g) => g.trim()).filter(Boolean);
const groups = wanted ? allGroups.filter(([title]) => wanted.includes(groupKey(title))) : allGroups;
const only = process.env.BENCH_ONLY;
const chosen = only ? groups.filter(([title]) => title.includes(only)) : groups;
if (chosen.length === 0) {
  console.error(`qcow2-tools bench: no group title contains BENCH_ONLY='${only}'`);
  process.exit(2);
}

console.log(`qcow2 tools: ${runs} runs each, alternating; seconds (median) and MiB/s of guest data where it applies`);
for (const [title, cases, hooks] of chosen) {
  await hooks?.before();
  const times = cases.map(() => []);
  for (let i = 0; i < runs; i++) {
    cases.forEach(([, fn], k) => {
      clean();
      times[k].push(fn());
    });
  }
  clean();
  hooks?.after();
  console.log(`\n${title}`);
  const base = median(times[0]);
  cases.forEach(([label], k) => {
    const m = median(times[k]);
    const rate = title.startsWith('allocation') ? '' : `${((4 * GiB) / MiB / m).toFixed(0).padStart(7)} MiB/s`;
    console.log(`  ${label.padEnd(26)}${m.toFixed(3).padStart(8)} s ${rate}${k ? `   ${(m / base).toFixed(2)}× guestkit's time` : ''}`);
  });
}
