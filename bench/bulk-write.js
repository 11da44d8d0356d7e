// npm run bench:bulk-write: creating BULK_FILES (default 10,000) small files in
// one directory on FAT32 and NTFS with the wasm backend, beside the host tools
// (mtools' mcopy for FAT, ntfs-3g's ntfscp for NTFS), then listing that
// directory (guestkit's ls, ll, readdir, lstatnslist in one session, beside
// mdir / ntfsls). Fresh images made here (mkfs.vfat / mkntfs on a sparse
// file); medians of BENCH_RUNS rounds, guestkit and the host tool alternating.
// After each guestkit run: fsck.vfat -n / ntfsfix -n must be clean and the
// host tools must read a sample of the files back. ntfscp opens the volume
// once per file, so it runs on BULK_NTFSCP_FILES (default 200) files and its
// time is scaled to BULK_FILES (marked "scaled"); mcopy, quadratic in the
// directory's size like FatFs (over 9 minutes for 10,000 files here), copies
// BULK_MCOPY_FILES (default 2,000), not scaled. In-process figures also give
// the process's CPU time (worker included), which a loaded machine does not
// inflate. Writes bench/out/bulk-write.txt.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guestkit, median, out, root, runs, timeRun } from './common.js';

const { Guestfs } = await import(join(root, 'dist', 'src', 'index.js'));

const N = Number(process.env.BULK_FILES ?? 10_000);
const NTFSCP_FILES = Math.min(N, Number(process.env.BULK_NTFSCP_FILES ?? 200));
const MCOPY_FILES = Math.min(N, Number(process.env.BULK_MCOPY_FILES ?? 2000));
const IMAGE_BYTES = 512 * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'gk-bulk-'));
const lines = [];
const say = (s) => {
  console.log(s);
  lines.push(s);
};

/** CPU seconds of this process (both threads: the fs worker's too) since `c0`: the shared machine's load does not count. */
const cpuSince = (c0) => {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
};

const shortName = (i) => `f${i}`; // 8.3-compatible: no long-name entries on FAT
const longName = (i) => `file-${i}.txt`; // a long name: FAT adds a numbered short alias
const content = (i) => `content of file ${i}\n`;

function makeImage(kind) {
  const img = join(dir, `${kind}.img`);
  rmSync(img, { force: true });
  writeFileSync(img, '');
  execFileSync('truncate', ['-s', String(IMAGE_BYTES), img]);
  if (kind === 'vfat') execFileSync('mkfs.vfat', ['-F', '32', img], { stdio: 'ignore' });
  else execFileSync('mkntfs', ['-F', '-f', '-q', img], { stdio: 'ignore' });
  return img;
}

function fishScript(name, lineOf) {
  const f = join(dir, name);
  const body = ['run', 'mount /dev/sda /', 'mkdir /d'];
  for (let i = 0; i < N; i++) body.push(lineOf(i));
  writeFileSync(f, body.join('\n') + '\n');
  return f;
}

/** fsck clean, the right number of entries, and a sample read back by the host tools. */
function verify(kind, img, names, data) {
  if (kind === 'vfat') {
    const r = spawnSync('fsck.vfat', ['-n', img], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`fsck.vfat -n failed:\n${r.stdout}`);
    for (const i of [0, Math.floor(N / 2), N - 1]) {
      const got = execFileSync('mtype', ['-i', img, `::/d/${names(i)}`], { encoding: 'utf8' });
      if (got !== data(i)) throw new Error(`mtype ${names(i)}: ${JSON.stringify(got)}`);
    }
    const count = execFileSync('mdir', ['-b', '-i', img, '::/d'], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
    if (count !== N) throw new Error(`mdir lists ${count} entries, expected ${N}`);
  } else {
    const r = spawnSync('ntfsfix', ['-n', img], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ntfsfix -n failed:\n${r.stdout}`);
    for (const i of [0, Math.floor(N / 2), N - 1]) {
      const got = execFileSync('ntfscat', [img, `/d/${names(i)}`], { encoding: 'utf8' });
      if (got !== data(i)) throw new Error(`ntfscat ${names(i)}: ${JSON.stringify(got)}`);
    }
    const count = execFileSync('ntfsls', ['-p', '/d', img], { encoding: 'utf8' }).split('\n').filter((n) => n && n !== '.' && n !== '..').length;
    if (count !== N) throw new Error(`ntfsls lists ${count} entries, expected ${N}`);
  }
}

/** The library: N writes in one session (the loop timed), then the listings of that directory. */
async function library(kind, img) {
  const g = new Guestfs({ backend: 'wasm' });
  await g.addDrive(img, { format: 'raw' });
  await g.launch();
  await g.mount('/dev/sda', '/');
  await g.mkdir('/d');
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await g.write(`/d/${longName(i)}`, content(i));
  const create = (performance.now() - t0) / 1000;
  const createCpu = cpuSince(c0);
  await g.close();
  const h = new Guestfs({ backend: 'wasm' });
  await h.addDrive(img, { format: 'raw', readonly: true });
  await h.launch();
  await h.mountRo('/dev/sda', '/');
  const list = {};
  const listCpu = {};
  const time = async (label, fn) => {
    await fn(); // the first listing of a fresh mount reads the directory in
    t0 = performance.now();
    c0 = process.cpuUsage();
    const r = await fn();
    list[label] = (performance.now() - t0) / 1000;
    listCpu[label] = cpuSince(c0);
    return r;
  };
  const names = await time('ls', () => h.ls('/d'));
  if (names.length !== N) throw new Error(`ls gave ${names.length} names`);
  await time('ll', () => h.ll('/d'));
  await time('readdir', () => h.readdir('/d'));
  await time('lstatnslist', () => h.lstatnslist('/d', names));
  await h.close();
  return { create, createCpu, list, listCpu };
}

const srcDir = join(dir, 'src', 'd');
mkdirSync(srcDir, { recursive: true });
for (let i = 0; i < N; i++) writeFileSync(join(srcDir, longName(i)), content(i));
const mcopyDir = join(dir, 'mcopy', 'd');
mkdirSync(mcopyDir, { recursive: true });
for (let i = 0; i < MCOPY_FILES; i++) writeFileSync(join(mcopyDir, longName(i)), content(i));

const touchScript = fishScript('touch.fish', (i) => `touch /d/${shortName(i)}`);
const writeScript = fishScript('write.fish', (i) => `write /d/${longName(i)} "content of file ${i}\\n"`);
const writeShortScript = fishScript('write-short.fish', (i) => `write /d/${shortName(i)} "content of file ${i}\\n"`);

say(`bulk writes, ${N.toLocaleString('en')} files in one directory, wasm backend: ${runs} runs each, medians, alternating with the host tools`);
for (const kind of ['vfat', 'ntfs']) {
  const fs = kind === 'vfat' ? 'FAT32' : 'NTFS';
  const t = { touch: [], write: [], writeShort: [], lib: [], libCpu: [], host: [], list: {}, listCpu: {}, hostList: [] };
  for (let r = 0; r < runs; r++) {
    let img = makeImage(kind);
    t.touch.push(timeRun(guestkit, ['fish', '--backend=wasm', '--format=raw', '-a', img, '-f', touchScript]));
    if (r === 0) verify(kind, img, shortName, () => '');
    img = makeImage(kind);
    t.writeShort.push(timeRun(guestkit, ['fish', '--backend=wasm', '--format=raw', '-a', img, '-f', writeShortScript]));
    if (r === 0) verify(kind, img, shortName, content);
    img = makeImage(kind);
    t.write.push(timeRun(guestkit, ['fish', '--backend=wasm', '--format=raw', '-a', img, '-f', writeScript]));
    if (r === 0) verify(kind, img, longName, content);
    img = makeImage(kind);
    const lib = await library(kind, img);
    if (r === 0) verify(kind, img, longName, content);
    t.lib.push(lib.create);
    t.libCpu.push(lib.createCpu);
    for (const [k, v] of Object.entries(lib.list)) (t.list[k] ??= []).push(v);
    for (const [k, v] of Object.entries(lib.listCpu)) (t.listCpu[k] ??= []).push(v);
    // the host tools: listing the directory guestkit just listed, creating on a fresh image
    t.hostList.push(kind === 'vfat' ? timeRun('mdir', ['-i', img, '::/d']) : timeRun('ntfsls', ['-l', '-p', '/d', img]));
    const hostImg = makeImage(kind);
    if (kind === 'vfat') {
      // mcopy is quadratic in the directory's size too (over 9 minutes for 10,000 files here)
      t.host.push(timeRun('mcopy', ['-i', hostImg, '-s', mcopyDir, '::/']));
    } else {
      // ntfs-3g has no mkdir tool: ntfscp into the root
      const t0 = performance.now();
      for (let i = 0; i < NTFSCP_FILES; i++) execFileSync('ntfscp', ['-q', hostImg, join(srcDir, longName(i)), `/${longName(i)}`], { stdio: 'ignore' });
      t.host.push(((performance.now() - t0) / 1000) * (N / NTFSCP_FILES));
    }
  }
  const s = (xs) => `${median(xs).toFixed(2)} s`;
  const ms = (xs) => `${(median(xs) * 1000).toFixed(0)} ms`;
  const hostTool = kind === 'vfat' ? `mcopy -s (one process, ${MCOPY_FILES.toLocaleString('en')} files)` : `ntfscp (one process per file${NTFSCP_FILES < N ? `, ${NTFSCP_FILES.toLocaleString('en')} files scaled` : ''})`;
  say(`\n${fs}`);
  say(`  fish, touch /d/fN (8.3 names), whole run      ${s(t.touch).padStart(10)}`);
  say(`  fish, write /d/fN (8.3 names), whole run      ${s(t.writeShort).padStart(10)}`);
  say(`  fish, write /d/file-N.txt (long names)        ${s(t.write).padStart(10)}`);
  say(`  library, write /d/file-N.txt, the loop        ${s(t.lib).padStart(10)}   (CPU ${s(t.libCpu)})`);
  say(`  host: ${hostTool.padEnd(41)}${s(t.host).padStart(10)}`);
  for (const [k, v] of Object.entries(t.list)) say(`  ${`list ${N.toLocaleString('en')} entries: ${k}`.padEnd(46)}${ms(v).padStart(10)}   (CPU ${ms(t.listCpu[k])})`);
  say(`  host list: ${(kind === 'vfat' ? 'mdir (whole run)' : 'ntfsls -l (whole run)').padEnd(36)}${ms(t.hostList).padStart(10)}`);
}
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'bulk-write.txt'), lines.join('\n') + '\n');
rmSync(dir, { recursive: true, force: true });
