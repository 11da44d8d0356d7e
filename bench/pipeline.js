#!/usr/bin/env node
// guestkit copy and guestkit serve side by side with their peers, alternating runs, medians,
// on a 1 GiB qcow2 with 25% of it allocated (64 runs of 4 MiB, made with qemu-img/qemu-io in /tmp):
//   1. copy to a raw file: `guestkit copy` vs `qemu-img convert -O raw` vs `nbdcopy` from a qemu-nbd export;
//   2. copy to a qcow2 file: `guestkit copy -O qcow2` vs `qemu-img convert -O qcow2`;
//   3. `nbdcopy URI null:` reading from `guestkit serve` vs from `qemu-nbd` serving the same qcow2.
// The servers are started once and stay up (their start-up is not timed).
// Usage: npm run bench:pipeline   (BENCH_RUNS=N, default 3).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guestkit, median, runs } from './common.js';

const dir = mkdtempSync(join(tmpdir(), 'guestkit-bench-pipeline-'));
const image = join(dir, 'sparse.qcow2');
const GIB = 1024 * 1024 * 1024;
execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', image, String(GIB)]);
const writes = [];
for (let i = 0; i < 64; i++) writes.push('-c', `write -P ${(i % 250) + 1} ${i * 16}M 4M`);
execFileSync('qemu-io', ['-f', 'qcow2', ...writes, image], { stdio: 'ignore' });

const servers = [];
async function startServer(cmd, args, sock) {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  servers.push(child);
  for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(sock)) throw new Error(`${cmd} did not start`);
  return `nbd+unix:///?socket=${sock}`;
}
const qemuNbd = await startServer('qemu-nbd', ['-r', '-t', '-e', '8', '-f', 'qcow2', '-k', join(dir, 'q.sock'), image], join(dir, 'q.sock'));
const ours = await startServer(guestkit, ['serve', '-t', '-e', '8', '-k', join(dir, 'g.sock'), image], join(dir, 'g.sock'));

/** Wall time of one run in seconds; the output file is removed afterwards. */
function time(cmd, args, output) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  if (output) rmSync(output, { force: true });
  return s;
}

const rawOut = join(dir, 'out.raw');
const qcowOut = join(dir, 'out.qcow2');
const cases = [
  ['guestkit copy -> raw', () => time(guestkit, ['copy', image, rawOut], rawOut)],
  ['qemu-img convert -O raw', () => time('qemu-img', ['convert', '-O', 'raw', image, rawOut], rawOut)],
  ['nbdcopy qemu-nbd -> raw', () => time('nbdcopy', [qemuNbd, rawOut], rawOut)],
  ['guestkit copy -O qcow2', () => time(guestkit, ['copy', '-O', 'qcow2', image, qcowOut], qcowOut)],
  ['qemu-img convert -O qcow2', () => time('qemu-img', ['convert', '-O', 'qcow2', image, qcowOut], qcowOut)],
  ['nbdcopy <- guestkit serve', () => time('nbdcopy', [ours, 'null:'])],
  ['nbdcopy <- qemu-nbd', () => time('nbdcopy', [qemuNbd, 'null:'])],
];

try {
  console.log(`pipeline bench: 1 GiB qcow2, 25% allocated; ${runs} runs each, alternating`);
  const times = new Map(cases.map(([name]) => [name, []]));
  for (let i = 0; i < runs; i++) for (const [name, fn] of cases) times.get(name).push(fn());
  for (const [name, xs] of times) console.log(`${name.padEnd(28)} median ${median(xs).toFixed(3)} s   [${xs.map((x) => x.toFixed(3)).join(', ')}]`);
  const m = (name) => median(times.get(name));
  console.log(`guestkit copy / qemu-img convert (raw): ${(m('guestkit copy -> raw') / m('qemu-img convert -O raw')).toFixed(2)}x`);
  console.log(`guestkit copy / nbdcopy from qemu-nbd (raw): ${(m('guestkit copy -> raw') / m('nbdcopy qemu-nbd -> raw')).toFixed(2)}x`);
  console.log(`guestkit copy -O qcow2 / qemu-img convert -O qcow2: ${(m('guestkit copy -O qcow2') / m('qemu-img convert -O qcow2')).toFixed(2)}x`);
  console.log(`nbdcopy from guestkit serve / from qemu-nbd: ${(m('nbdcopy <- guestkit serve') / m('nbdcopy <- qemu-nbd')).toFixed(2)}x`);
} finally {
  for (const s of servers) s.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
