// Remote control (fish --listen / --remote, issue #16): how long one command takes in a
// warm session, on each backend, beside guestfish's own --listen/--remote.
//   library: FishRemoteClient.call on an open connection (what a program embedding guestkit pays)
//   library+connect: a new connection per command
//   in-process: the same call on a handle in this process (no remote control), to show what the socket adds
//   cli: a whole `guestkit fish --remote cat /etc/hostname` process; guestfish: the same with guestfish
// Medians of BENCH_RUNS (default 3; the library rows take 20 samples per run); cli and guestfish alternate.
// Usage: node bench/remote.js [disk.img] (default fixtures/out/ext4.img, mounted at /)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

const rows = [];
for (const backend of ['wasm', 'appliance']) {
  // In-process first, closed before the listener starts: one appliance at a time on this machine.
  const g = new Guestfs({ backend });
  g.addDrive(disk, { readonly: true });
  await g.launch();
  await g.call('mount-ro', ['/dev/sda', '/']);
  await g.call('cat', ['/etc/hostname']);
  const direct = [];
  for (let i = 0; i < runs * 20; i++) direct.push(await time(() => g.call('cat', ['/etc/hostname'])));
  await g.close();
  const pid = listen(process.execPath, [guestkit, 'fish', `--backend=${backend}`]);
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
  const peer = [];
  const peerPid = backend === 'wasm' && have('guestfish') ? listen('guestfish', []) : undefined;
  for (let i = 0; i < runs; i++) {
    cli.push(timeRun(process.execPath, [guestkit, 'fish', `--remote=${pid}`, 'cat', '/etc/hostname']));
    if (peerPid) peer.push(timeRun('guestfish', [`--remote=${peerPid}`, 'cat', '/etc/hostname'], env));
  }
  rows.push([`guestkit ${backend}: guestkit fish --remote (whole process)`, median(cli)]);
  if (peerPid) {
    rows.push(['guestfish 1.48: guestfish --remote (whole process)', median(peer)]);
    spawnSync('guestfish', [`--remote=${peerPid}`, 'exit'], { env: { ...process.env, ...env } });
  }
  spawnSync(process.execPath, [guestkit, 'fish', `--remote=${pid}`, 'exit']);
}
rmSync(work, { recursive: true, force: true });
const width = Math.max(...rows.map(([n]) => n.length));
console.log(`remote command 'cat /etc/hostname' in a warm session (medians, ${runs} runs)`);
for (const [name, s] of rows) console.log(`${name.padEnd(width)}  ${ms(s)}`);
