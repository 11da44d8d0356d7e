#!/usr/bin/env node
// Breadth benchmark: guestkit's in-process formats (NTFS, FAT, registry hives,
// augeas) side by side with the host tool doing the same job on the same image,
// alternating runs, medians and ratios (host/guestkit: above 1 means guestkit is
// faster). File reads and listings are cold processes on both sides; the hive walk
// and aug-init are timed in process for guestkit (a library call) against the host
// tool's cold process. A host tool that is missing shows "not installed".
// Images are made once under bench/out/ (gitignored) and reused on later runs.
// Usage: node bench/breadth.js  (BENCH_RUNS=N to change the number of runs, default 3)
// Needs: npm run build first; host tools ntfs-3g, dosfstools, mtools, libhivex-bin
// (hivexregedit), augeas-tools (augtool), e2fsprogs (debugfs) for the host columns.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Guestfs } from '../dist/src/index.js';
import { Hive } from '../dist/src/hive/index.js';
import { buildLargeSoftwareHive } from '../dist/fixtures/hive/large-hive.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'bench', 'out');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const guestkit = join(root, 'dist', 'bundle', 'guestkit.cjs');
const BIG_MIB = 200;
const MANY = 10000;
const ntfsImg = join(out, 'ntfs.img');
const fatImg = join(out, 'fat.img');
const hivePath = join(out, 'SOFTWARE');
const etcDir = join(out, 'augeas-root');
const ext4Img = join(root, 'fixtures', 'out', 'ext4.img');
const mtoolsEnv = { MTOOLS_SKIP_CHECK: '1' };

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function time(cmd, args, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env }, maxBuffer: 1 << 30 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return s;
}

async function timeIn(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (s) => (s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`);

// A 200 MiB random file under bench/out, made for the image builds and removed after.
function withBigFile(fn) {
  const big = join(out, 'big.bin.tmp');
  execFileSync('sh', ['-c', `head -c ${BIG_MIB}M /dev/urandom > '${big}'`]);
  try {
    fn(big);
  } finally {
    rmSync(big, { force: true });
  }
}

// Creates /many with MANY small files through guestkit's library; returns seconds.
async function fillMany(image) {
  const g = new Guestfs();
  const t0 = process.hrtime.bigint();
  g.addDrive(image, { format: 'raw', readonly: false });
  await g.launch();
  await g.mount('/dev/sda', '/');
  await g.mkdir('/many');
  for (let i = 0; i < MANY; i++) await g.write(`/many/f${String(i).padStart(5, '0')}.txt`, `file ${i}\n`);
  await g.umountAll();
  await g.close();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

// Each image is built under a temporary name and renamed when complete, so an
// interrupted build is redone on the next run rather than reused half-made.
const writeFigures = [];

async function makeNtfs() {
  if (existsSync(ntfsImg) || !have('mkntfs') || !have('ntfscp')) return;
  const tmp = `${ntfsImg}.tmp`;
  rmSync(tmp, { force: true });
  execFileSync('truncate', ['-s', '300M', tmp]);
  execFileSync('mkntfs', ['-F', '-q', '-f', tmp], { stdio: 'ignore' });
  withBigFile((big) => execFileSync('ntfscp', ['-f', tmp, big, 'big.bin'], { stdio: 'ignore' }));
  writeFigures.push([`NTFS: write ${MANY} files`, await fillMany(tmp)]);
  renameSync(tmp, ntfsImg);
}

async function makeFat() {
  if (existsSync(fatImg) || !have('mkfs.vfat') || !have('mcopy')) return;
  const tmp = `${fatImg}.tmp`;
  rmSync(tmp, { force: true });
  execFileSync('mkfs.vfat', ['-C', '-F', '32', tmp, String(300 * 1024)], { stdio: 'ignore' });
  withBigFile((big) => execFileSync('mcopy', ['-i', tmp, big, '::/big.bin'], { env: { ...process.env, ...mtoolsEnv } }));
  writeFigures.push([`FAT: write ${MANY} files`, await fillMany(tmp)]);
  renameSync(tmp, fatImg);
}

// The ~20 MB SOFTWARE-like hive test/unit/src/hive/large.test.ts walks too.
function makeHive() {
  if (existsSync(hivePath)) return;
  const t0 = process.hrtime.bigint();
  const { bytes } = buildLargeSoftwareHive();
  writeFigures.push([`hive: build ${(bytes.length / 1048576).toFixed(1)} MiB`, Number(process.hrtime.bigint() - t0) / 1e9]);
  writeFileSync(`${hivePath}.tmp`, bytes);
  renameSync(`${hivePath}.tmp`, hivePath);
}

// Open + walk every key and value (names, keys, data), as hivexregedit --export does.
function walkHive() {
  const g = Hive.open(readFileSync(hivePath));
  let keys = 0;
  let bytes = 0;
  g.walk((n) => {
    keys++;
    g.nodeName(n);
    for (const v of g.nodeValues(n)) {
      g.valueKey(v);
      bytes += g.valueValue(v).bytes.length;
    }
  });
  return { keys, bytes };
}

// The host side of augeas: the guest's /etc copied to bench/out/augeas-root/etc.
function makeEtc() {
  if (existsSync(etcDir) || !have('debugfs')) return;
  const tmp = `${etcDir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync('debugfs', ['-R', `rdump /etc ${tmp}`, ext4Img], { stdio: 'ignore' });
  if (!existsSync(join(tmp, 'etc', 'passwd'))) throw new Error(`debugfs rdump of /etc from ${ext4Img} failed`);
  renameSync(tmp, etcDir);
}

mkdirSync(out, { recursive: true });
await makeNtfs();
await makeFat();
makeHive();
makeEtc();

const rows = [];
function row(label, gk, host, mib) {
  const g = median(gk);
  const h = typeof host === 'string' ? host : median(host);
  const ratio = typeof h === 'number' ? `${(h / g).toFixed(2)}×` : '';
  let tput = '';
  if (mib) tput = `gk ${(mib / g).toFixed(0)} MiB/s` + (typeof h === 'number' ? `, host ${(mib / h).toFixed(0)} MiB/s` : '');
  rows.push([label, secs(g), typeof h === 'number' ? secs(h) : h, ratio, tput]);
}

// Cold-process cases: [label, guestkit args, host command, host args, MiB or 0, image, env].
const coldCases = [];
if (existsSync(ntfsImg)) {
  coldCases.push(
    [`NTFS cat ${BIG_MIB} MiB`, ['cat', '-a', ntfsImg, '-m', '/dev/sda', '/big.bin'], 'ntfscat', [ntfsImg, 'big.bin'], BIG_MIB],
    [`NTFS ls ${MANY} entries`, ['ls', '-a', ntfsImg, '-m', '/dev/sda', '/many'], 'ntfsls', ['-p', '/many', ntfsImg], 0],
  );
} else rows.push(['NTFS', 'skipped', 'not installed', '', 'mkntfs/ntfscp missing: no image']);
if (existsSync(fatImg)) {
  coldCases.push(
    [`FAT cat ${BIG_MIB} MiB`, ['cat', '-a', fatImg, '-m', '/dev/sda', '/big.bin'], 'mtype', ['-i', fatImg, '::/big.bin'], BIG_MIB, mtoolsEnv],
    [`FAT ls ${MANY} entries`, ['ls', '-a', fatImg, '-m', '/dev/sda', '/many'], 'mdir', ['-i', fatImg, '-b', '::/many'], 0, mtoolsEnv],
  );
} else rows.push(['FAT', 'skipped', 'not installed', '', 'mkfs.vfat/mcopy missing: no image']);

console.log(`guestkit breadth bench: ${runs} runs each, alternating with the host tool; medians`);
for (const [label, secsTaken] of writeFigures) console.log(`  one-time ${label}: ${secs(secsTaken)} (guestkit library)`);

for (const [label, gkArgs, hostCmd, hostArgs, mib, env] of coldCases) {
  const hostOk = have(hostCmd);
  const gk = [], host = [];
  for (let i = 0; i < runs; i++) {
    gk.push(time(guestkit, [...gkArgs]));
    if (hostOk) host.push(time(hostCmd, hostArgs, env));
  }
  row(label, gk, hostOk ? host : 'not installed', mib);
}

// Hive: in-process open + full walk vs hivexregedit --export (cold process).
{
  const hostOk = have('hivexregedit');
  const gk = [], host = [];
  let info;
  for (let i = 0; i < runs; i++) {
    gk.push(await timeIn(() => { info = walkHive(); }));
    if (hostOk) host.push(time('hivexregedit', ['--export', hivePath, '\\']));
  }
  const mib = readFileSync(hivePath).length / 1048576;
  row(`hive open+walk ${mib.toFixed(0)} MiB`, gk, hostOk ? host : 'not installed', mib);
  rows[rows.length - 1][4] += ` (${info.keys} keys)`;
}

// augeas: aug-init / 0 + match /files/etc/* in process on fixtures' ext4 image vs
// augtool -r DIR (full autoload, cold process) on the same /etc files.
if (existsSync(ext4Img)) {
  const hostOk = have('augtool') && existsSync(etcDir);
  const g = new Guestfs();
  g.addDrive(ext4Img, { format: 'raw', readonly: true });
  await g.launch();
  await g.mountRo('/dev/sda', '/');
  const gk = [], host = [];
  let n = 0;
  for (let i = 0; i < runs; i++) {
    gk.push(await timeIn(async () => {
      await g.augInit('/', 0);
      n = (await g.augMatch('/files/etc/*')).length;
    }));
    await g.augClose();
    if (hostOk) host.push(time('augtool', ['-r', etcDir, 'match /files/etc/*']));
  }
  await g.close();
  row('aug-init / 0 + match', gk, hostOk ? host : 'not installed', 0);
  rows[rows.length - 1][4] = `${n} files parsed; gk in process, host cold`;
} else rows.push(['aug-init / 0', 'skipped', '', '', `${ext4Img} missing (npm run fixtures)`]);

const head = ['case', 'guestkit', 'host tool', 'host/gk', 'throughput / notes'];
const widths = [26, 11, 14, 9];
const fmt = (r) => r.slice(0, 4).map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('') + '   ' + r[4];
console.log(fmt(head));
for (const r of rows) console.log(fmt(r));
