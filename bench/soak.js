// npm run soak: one long `guestkit fish` session (the appliance by default)
// driven line by line over a pipe, as a wrapper program would: SOAK_COMMANDS
// commands (default 10,000) mixing writes, uploads, downloads, checksums,
// listings and removals with LVM and mkfs cycles. Each command must answer
// within SOAK_DEADLINE_S (default 300 s: a hang fails the run); every 500
// commands the host side is sampled (the fish process's open fds and RSS, the
// qemu process's RSS), so a leak shows as a trend. Prints the samples and the
// latency percentiles; writes bench/out/soak.txt.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { guestkit, out } from './common.js';

const TOTAL = Number(process.env.SOAK_COMMANDS ?? 10_000);
const BACKEND = process.env.SOAK_BACKEND ?? 'appliance';
const DEADLINE_MS = Number(process.env.SOAK_DEADLINE_S ?? 300) * 1000;
const SAMPLE_EVERY = 500;

const dir = mkdtempSync(join(tmpdir(), 'gk-soak-'));
const disk = join(dir, 'soak.img');
writeFileSync(disk, '');
if (spawnSync('truncate', ['-s', '512M', disk]).status !== 0) throw new Error('truncate failed');
const upload = join(dir, 'up.bin');
writeFileSync(upload, Buffer.alloc(26 * 1024, 0x5a));


/** The commands of one LVM + mkfs cycle with `light` light commands in the middle. */
function* cycle(n, light) {
  yield 'pvcreate /dev/sda1';
  yield 'vgcreate soakvg /dev/sda1';
  yield 'lvcreate soaklv soakvg 128';
  yield 'mkfs ext4 /dev/soakvg/soaklv';
  yield 'mount /dev/soakvg/soaklv /';
  for (let i = 0; i < light; i++) {
    const f = `/f${Math.floor(i / 10) % 40}`; // one file for each run of ten
    switch (i % 10) {
      case 0: yield `write ${f} "cycle ${n} line ${i}\\n"`; break;
      case 1: yield `upload ${upload} ${f}.bin`; break;
      case 2: yield `download ${f}.bin ${join(dir, 'down.bin')}`; break;
      case 3: yield `checksum sha256 ${f}.bin`; break;
      case 4: yield `mkdir-p /d${Math.floor(i / 10) % 40}/sub`; break;
      case 5: yield `ls /`; break;
      case 6: yield `cat ${f}`; break;
      case 7: yield `fill 0x61 4096 ${f}.fill`; break;
      case 8: yield `statvfs /`; break;
      default: yield `rm-rf /d${Math.floor(i / 10) % 40}`; break;
    }
  }
  yield 'umount /';
  yield 'lvremove /dev/soakvg/soaklv';
  yield 'vgremove soakvg';
  yield 'pvremove /dev/sda1';
}

function* script() {
  yield 'run';
  yield 'part-disk /dev/sda mbr';
  for (let n = 0; ; n++) yield* cycle(n, 200);
}

const fdCount = (pid) => { try { return readdirSync(`/proc/${pid}/fd`).length; } catch { return NaN; } };
const rssMiB = (pid) => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch { return NaN; }
};
/** The qemu process under `pid` (the fish process, then its children's children). */
function qemuUnder(pid) {
  const kids = (p) => { try { return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number); } catch { return []; } };
  const queue = kids(pid);
  while (queue.length) {
    const p = queue.shift();
    try { if (readFileSync(`/proc/${p}/comm`, 'utf8').startsWith('qemu-system')) return p; } catch { /* gone */ }
    queue.push(...kids(p));
  }
  return undefined;
}

const fish = spawn(guestkit, ['fish', `--backend=${BACKEND}`, '--format=raw', '-a', disk], { stdio: ['pipe', 'pipe', 'pipe'] });
let stderr = '';
fish.stderr.on('data', (d) => (stderr += d));
const lines = createInterface({ input: fish.stdout });
const waiting = new Map();
lines.on('line', (l) => {
  const m = /^__soak_(\d+)__$/.exec(l);
  if (m) waiting.get(Number(m[1]))?.();
});
let exited = false;
fish.on('exit', () => { exited = true; for (const w of waiting.values()) w(); });

const latencies = [];
const samples = [];
const t0 = Date.now();
let done = 0;
let failure;
for (const cmd of script()) {
  if (done >= TOTAL) break;
  const start = process.hrtime.bigint();
  const answered = new Promise((resolve) => waiting.set(done, resolve));
  fish.stdin.write(`${cmd}\necho __soak_${done}__\n`);
  let timer;
  const hang = new Promise((resolve) => (timer = setTimeout(() => resolve('hang'), DEADLINE_MS)));
  const r = await Promise.race([answered, hang]);
  clearTimeout(timer);
  waiting.delete(done);
  if (r === 'hang') { failure = `command ${done} (${cmd}) did not answer within ${DEADLINE_MS / 1000} s`; break; }
  if (exited) { failure = `the session ended at command ${done} (${cmd}): ${stderr.trim().split('\n').pop()}`; break; }
  latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
  done++;
  if (done % SAMPLE_EVERY === 0 || done === 1) {
    const q = qemuUnder(fish.pid);
    const s = { commands: done, seconds: Math.round((Date.now() - t0) / 1000), fishFds: fdCount(fish.pid), fishRssMiB: rssMiB(fish.pid), qemuRssMiB: q ? rssMiB(q) : NaN };
    samples.push(s);
    if (process.stdout.isTTY) process.stdout.write(`\r${done}/${TOTAL} commands, ${s.seconds} s`);
  }
}
fish.stdin.end('exit\n');
await new Promise((r) => (exited ? r() : fish.on('exit', r)));
rmSync(dir, { recursive: true, force: true });

const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))].toFixed(0) : 'n/a');
const report = [
  `soak: ${done} of ${TOTAL} commands on the ${BACKEND} backend in ${((Date.now() - t0) / 1000).toFixed(0)} s${failure ? ` — FAILED: ${failure}` : ''}`,
  `latency ms: median ${pct(0.5)}, p90 ${pct(0.9)}, p99 ${pct(0.99)}, max ${pct(1)}`,
  'commands  seconds  fish-fds  fish-rss-MiB  qemu-rss-MiB',
  ...samples.map((s) => `${String(s.commands).padStart(8)}  ${String(s.seconds).padStart(7)}  ${String(s.fishFds).padStart(8)}  ${String(s.fishRssMiB).padStart(12)}  ${String(s.qemuRssMiB).padStart(12)}`),
];
if (process.stdout.isTTY) process.stdout.write('\n');
console.log(report.join('\n'));
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'soak.txt'), `${report.join('\n')}\n`);
process.exit(failure ? 1 : 0);
