// Remote control (fish --listen / --remote, issue #16), beside guestfish.
// Part "latency": how long one command takes in a warm session, on each backend:
//   library: FishRemoteClient.call on an open connection (what a program embedding guestkit pays)
//   library+connect: a new connection per command
//   in-process: the same call on a handle in this process (no remote control), to show what the socket adds
//   cli: a whole `guestkit fish --remote cat /etc/hostname` process; guestfish: the same with guestfish
//   (medians of BENCH_RUNS, default 3; the library rows take 20 samples per run; cli and guestfish alternate).
// Part "session": a script's ten commands, end to end: `fish --listen -a disk -m /dev/sda` then ten
//   `fish --remote cat /etc/hostname` processes, on the appliance and on auto (wasm for this image),
//   beside ten whole `guestfish --ro -a disk -m /dev/sda cat /etc/hostname` runs and guestfish's own
//   --listen + ten --remote. BENCH_RUNS rounds of guestkit (default 3), alternating with
//   BENCH_PEER_RUNS rounds of guestfish (default 1: ten guestfish runs take minutes); medians,
//   ratios, where a guestkit session's time goes, and the load average (a shared machine's noise).
// Usage: node bench/remote.js [disk.img] (default fixtures/out/ext4.img, mounted at /);
// BENCH_PARTS=latency,session picks parts (default both); REMOTE_BASELINE=FILE adds another
// build's bin (e.g. an older commit's dist/bundle/guestkit.cjs) to the session rounds
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { guestkit, have, median, root, runs, timeRun } from './common.js';

const { FishRemoteClient } = await import(join(root, 'dist', 'src', 'shell', 'remote', 'client.js'));
const { Guestfs } = await import(join(root, 'dist', 'src', 'core', 'guestfs.js'));
const work = mkdtempSync(join(tmpdir(), 'bench-remote-'));
const disk = join(work, 'disk.img');
copyFileSync(process.argv[2] ?? join(root, 'fixtures', 'out', 'ext4.img'), disk);
const env = { LIBGUESTFS_BACKEND: 'direct', LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' };
const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
const io = { out: sink(), err: process.stderr };

/** Starts a listener (guestkit or guestfish) and returns its PID. */
function listen(cmd, args) {
  const r = spawnSync(cmd, [...args, '--listen', '--ro', '-a', disk, '-m', '/dev/sda'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = Number(/GUESTFISH_PID=(\d+)/.exec(String(r.stdout))?.[1]);
  if (!pid) throw new Error(`${cmd} --listen failed`);
  return pid;
}

const ms = (s) => `${(s * 1000).toFixed(1)} ms`;
async function time(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const parts = new Set((process.env.BENCH_PARTS ?? 'latency,session').split(','));
const rows = [];
for (const backend of parts.has('latency') ? ['wasm', 'appliance'] : []) {
  // In-process first, closed before the listener starts: one appliance at a time on this machine.
  const g = new Guestfs({ backend });
  g.addDrive(disk, { readonly: true });
  await g.launch();
  await g.call('mount-ro', ['/dev/sda', '/']);
  await g.call('cat', ['/etc/hostname']);
  const direct = [];
  for (let i = 0; i < runs * 20; i++) direct.push(await time(() => g.call('cat', ['/etc/hostname'])));
  await g.close();
  const pid = listen(guestkit, ['fish', `--backend=${backend}`]);
  const client = await FishRemoteClient.connect(pid);
  await client.call('cat', ['/etc/hostname'], true, io); // first touch of the file's blocks
  const open = [], fresh = [];
  for (let i = 0; i < runs * 20; i++) {
    open.push(await time(() => client.call('cat', ['/etc/hostname'], true, io)));
    fresh.push(await time(async () => {
      const c = await FishRemoteClient.connect(pid);
      await c.call('cat', ['/etc/hostname'], true, io);
      c.close();
    }));
  }
  client.close();
  rows.push([`guestkit ${backend}: in-process call (no remote)`, median(direct)]);
  rows.push([`guestkit ${backend}: library call, open connection`, median(open)]);
  rows.push([`guestkit ${backend}: library call, new connection`, median(fresh)]);
  const cli = [];
  const floor = [];
  const peer = [];
  const peerPid = backend === 'wasm' && have('guestfish') ? listen('guestfish', []) : undefined;
  for (let i = 0; i < runs; i++) {
    cli.push(timeRun(guestkit, ['fish', `--remote=${pid}`, 'cat', '/etc/hostname']));
    floor.push(timeRun(process.execPath, ['-e', '0']));
    if (peerPid) peer.push(timeRun('guestfish', [`--remote=${peerPid}`, 'cat', '/etc/hostname'], env));
  }
  rows.push([`guestkit ${backend}: guestkit fish --remote (whole process)`, median(cli)]);
  rows.push([`  beside node -e 0 (Node's own start, the floor)`, median(floor)]);
  if (peerPid) {
    rows.push(['guestfish 1.48: guestfish --remote (whole process)', median(peer)]);
    spawnSync('guestfish', [`--remote=${peerPid}`, 'exit'], { env: { ...process.env, ...env } });
  }
  spawnSync(guestkit, ['fish', `--remote=${pid}`, 'exit']);
}
if (rows.length) {
  const width = Math.max(...rows.map(([n]) => n.length));
  console.log(`remote command 'cat /etc/hostname' in a warm session (medians, ${runs} runs)`);
  for (const [name, s] of rows) console.log(`${name.padEnd(width)}  ${ms(s)}`);
}

/** Seconds since t0 (an hrtime bigint). */
const since = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const remoteCat = ['cat', '/etc/hostname'];

/** guestkit: listen, then ten --remote processes; the whole time and its parts. */
function guestkitSession(backend, bin = guestkit) {
  const t0 = process.hrtime.bigint();
  const pid = listen(bin, ['fish', `--backend=${backend}`]);
  const listenTime = since(t0);
  const remotes = [];
  for (let k = 0; k < 10; k++) remotes.push(timeRun(bin, ['fish', `--remote=${pid}`, ...remoteCat]));
  const total = since(t0);
  spawnSync(bin, ['fish', `--remote=${pid}`, 'exit']);
  return { total, listen: listenTime, remote: median(remotes) };
}

/** guestfish: ten whole runs, or its own listen + ten --remote. */
function guestfishRuns() {
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < 10; k++) timeRun('guestfish', ['--ro', '-a', disk, '-m', '/dev/sda', ...remoteCat], env);
  return since(t0);
}
function guestfishSession() {
  const t0 = process.hrtime.bigint();
  const pid = listen('guestfish', []);
  for (let k = 0; k < 10; k++) timeRun('guestfish', [`--remote=${pid}`, ...remoteCat], env);
  const total = since(t0);
  spawnSync('guestfish', [`--remote=${pid}`, 'exit'], { env: { ...process.env, ...env } });
  return total;
}

if (parts.has('session')) {
  const peerRuns = have('guestfish') ? Number(process.env.BENCH_PEER_RUNS ?? 1) : 0;
  const load = [loadavg()[0]];
  const baseline = process.env.REMOTE_BASELINE;
  const cases = [['appliance', 'appliance'], ['auto', 'auto'], ...(baseline ? [['baseline appliance', 'appliance', baseline], ['baseline auto', 'auto', baseline]] : [])];
  const gk = Object.fromEntries(cases.map(([name]) => [name, []]));
  const peer = { runs: [], session: [] };
  for (let i = 0; i < Math.max(runs, peerRuns); i++) {
    if (i < runs) for (const [name, backend, bin] of cases) gk[name].push(guestkitSession(backend, bin));
    if (i < peerRuns) {
      peer.runs.push(guestfishRuns());
      peer.session.push(guestfishSession());
    }
    load.push(loadavg()[0]);
    process.stderr.write(`session: round ${i + 1} done\n`);
  }
  const lg = peerRuns ? median(peer.runs) : undefined;
  const sec = (s) => `${s.toFixed(2)} s`;
  const ratio = (s) => (lg ? `  ${(lg / s).toFixed(1)}× ten guestfish runs` : '');
  console.log(`\nlisten + ten 'fish --remote cat /etc/hostname', end to end (medians: guestkit ${runs} rounds, guestfish ${peerRuns})`);
  for (const [name] of cases) {
    const r = gk[name];
    const total = median(r.map((x) => x.total));
    console.log(`guestkit ${name.padEnd(18)}  ${sec(total).padStart(8)}  (listen ${sec(median(r.map((x) => x.listen)))}, a --remote ${ms(median(r.map((x) => x.remote)))})${ratio(total)}`);
  }
  if (lg) {
    console.log(`${'guestfish: ten whole runs'.padEnd(29)}${sec(lg).padStart(8)}`);
    console.log(`${'guestfish: --listen + ten --remote'.padEnd(29)}${sec(median(peer.session)).padStart(8)}${ratio(median(peer.session))}`);
  }
  console.log(`load average (1 min) during the rounds: ${load.map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} cpus`);
}
rmSync(work, { recursive: true, force: true });
