#!/usr/bin/env node
// btrfs read in process: guestkit cat / ls -lR / df / inspect on the openSUSE-shaped guest
// (fixtures/out/opensuse.img: GPT, btrfs root with subvolumes @, @/home, @/var, @/.snapshots)
// on the wasm backend (auto: it now stays in process) and on the appliance, beside virt-cat / virt-ls /
// virt-df / virt-inspector (LIBGUESTFS_BACKEND=direct), alternating runs, medians and ratios.
// Then zstd: the decoder alone (libzstd in WASM beside fzstd, the old pure-JS path), and the read
// throughput of a 1 GiB file stored zstd-compressed (made once in bench/out by the appliance with
// compress-force=zstd): the driver alone, and `guestkit cat` to /dev/null, beside the old fzstd path.
// Usage: npm run bench:btrfs  (BENCH_RUNS=N, default 3; where KVM does not work,
// LIBGUESTFS_BACKEND_SETTINGS=force_tcg makes libguestfs use TCG as guestkit's appliance does)
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, fstatSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { guestkit, median, out, root, runs, sideBySide } from './common.js';

const image = join(root, 'fixtures', 'out', 'opensuse.img');
if (!existsSync(image)) {
  console.error(`bench/btrfs.js: ${image} is missing: run fixtures/make-all.sh`);
  process.exit(1);
}
const cases = [
  ['cat /etc/hostname', ['cat', '-a', image, '/etc/hostname'], 'virt-cat', ['-a', image, '/etc/hostname']],
  ['ls -lR /', ['ls', '-lR', '-a', image, '/'], 'virt-ls', ['-lR', '-a', image, '/']],
  ['df', ['df', '-a', image], 'virt-df', ['-a', image]],
  // (no applications: virt-inspector fails on the fixture's minimal rpm database)
  ['inspect', ['inspect', '--no-applications', '-a', image], 'virt-inspector', ['--no-applications', '-a', image]],
];
/** BENCH_ONLY=table or BENCH_ONLY=zstd runs one part; BENCH_CASES=inspect,df picks table rows. */
const only = process.env.BENCH_ONLY;
const picked = process.env.BENCH_CASES?.split(',');

if (only !== 'zstd') sideBySide(`guestkit btrfs bench (${image})`, picked ? cases.filter(([label]) => picked.some((p) => label.startsWith(p))) : cases);
if (only === 'table') process.exit(0);

// --- 1 GiB zstd-compressed file ---
const GIB = 1024 ** 3;
const zimg = join(out, 'btrfs-zstd-1g.img');
if (!existsSync(zimg)) {
  mkdirSync(out, { recursive: true });
  // compressible but not trivial: numbered text lines
  const src = join(out, 'btrfs-zstd-1g.src');
  const fd = openSync(src, 'w');
  const chunk = Buffer.alloc(1 << 20);
  for (let off = 0, line = 0; off < GIB; off += chunk.length) {
    let p = 0;
    while (p < chunk.length) p += chunk.write(`record ${line++} of the throughput file: ${(line * 2654435761) % 1e9}\n`, p);
    writeSync(fd, chunk);
  }
  closeSync(fd);
  spawnSync('truncate', ['-s', '2G', zimg]);
  spawnSync('mkfs.btrfs', ['-q', '-f', zimg], { stdio: 'ignore' });
  const r = spawnSync(guestkit, ['fish', '--backend=appliance', '-a', zimg, 'run', ':', 'mount-options', 'compress-force=zstd', '/dev/sda', '/',
    ':', 'upload', src, '/big.bin'], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(src);
  if (r.status !== 0) { rmSync(zimg, { force: true }); throw new Error('making the zstd image failed'); }
}
// The decoder alone: 128 KiB frames (btrfs's extent size) of the same text, by the zstd CLI,
// through src/compress/zstd.ts (libzstd in WASM) and through fzstd (the old path), alternating.
const text = Buffer.alloc(64 << 20);
for (let p = 0, line = 0; p < text.length;) p += text.write(`record ${line++} of the throughput file: ${(line * 2654435761) % 1e9}\n`, p);
const frames = [];
for (let o = 0; o < text.length; o += 128 << 10) frames.push(spawnSync('zstd', ['-q', '-c', '-3'], { input: text.subarray(o, o + (128 << 10)) }).stdout);
const decoders = {
  wasm: (await import(join(root, 'dist', 'src', 'compress', 'zstd.js'))).zstdDecompressFirstFrameInto,
  fzstd: (await import(join(root, 'bench', 'zstd-old', 'fzstd-zstd.js'))).zstdDecompressFirstFrameInto,
};
const decodeSpeeds = { wasm: [], fzstd: [] };
const extent = new Uint8Array(128 << 10);
// one untimed pass each first: V8 starts both on baseline code and optimizes the hot paths in the background
for (const decode of Object.values(decoders)) for (const f of frames) decode(extent, f, extent.length);
for (let i = 0; i < runs; i++) {
  for (const [name, decode] of Object.entries(decoders)) {
    const t0 = process.hrtime.bigint();
    for (const f of frames) decode(extent, f, extent.length);
    decodeSpeeds[name].push(text.length / 2 ** 20 / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
}
console.log(`zstd decoder alone, 128 KiB frames: libzstd WASM ${median(decodeSpeeds.wasm).toFixed(0)} MiB/s, fzstd ${median(decodeSpeeds.fzstd).toFixed(0)} MiB/s (medians of ${runs})`);

const { openBtrfs } = await import(join(root, 'dist', 'src', 'fs', 'btrfs', 'btrfs-driver.js'));
const dfd = openSync(zimg, 'r');
const dev = { size: fstatSync(dfd).size, readOnly: true, read: (o, b) => { readSync(dfd, b, 0, b.length, o); }, write() {}, flush() {} };
const speeds = [];
for (let i = 0; i < runs; i++) {
  const fs = openBtrfs(dev, { readOnly: true });
  const ino = fs.lookup(fs.rootIno, 'big.bin');
  const size = fs.getattr(ino).size;
  const t0 = process.hrtime.bigint();
  for (let off = 0; off < size; off += 4 << 20) fs.read(ino, off, 4 << 20);
  speeds.push(size / 2 ** 20 / (Number(process.hrtime.bigint() - t0) / 1e9));
  fs.close();
}
closeSync(dfd);
// guestkit cat, whole process: the shipped bundle, and the unbundled build with the new decoder and
// with fzstd swapped in for it (bench/zstd-old: the old path), alternating.
const catArgs = ['cat', '--backend=wasm', '-a', zimg, '-m', '/dev/sda', '/big.bin'];
const unbundled = join(root, 'dist', 'tools', 'guestkit.js');
const oldHook = join(root, 'bench', 'zstd-old', 'register.js');
/**
 * MiB/s of one whole-process run: by the wall clock, and by the CPU time it used (user + system,
 * both threads): on a machine shared with other work the second says what the code costs.
 */
function catRate(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', 'node', ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  const [user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall: GIB / 2 ** 20 / wall, cpu: GIB / 2 ** 20 / (user + sys) };
}
const cli = { bundle: [], wasm: [], fzstd: [] };
for (let i = 0; i < runs; i++) {
  cli.bundle.push(catRate([guestkit, ...catArgs]));
  cli.wasm.push(catRate([unbundled, ...catArgs]));
  cli.fzstd.push(catRate(['--import', oldHook, unbundled, ...catArgs]));
}
const rate = (xs) => `${median(xs.map((x) => x.wall)).toFixed(0)} MiB/s (CPU ${median(xs.map((x) => x.cpu)).toFixed(0)})`;
console.log(`1 GiB zstd file: driver ${median(speeds).toFixed(0)} MiB/s; guestkit cat (whole process, wall clock, and per CPU second) ${rate(cli.bundle)}, ` +
  `unbundled ${rate(cli.wasm)}, unbundled with fzstd (old path) ${rate(cli.fzstd)} (medians of ${runs})`);
