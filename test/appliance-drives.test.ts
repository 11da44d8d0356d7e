/**
 * How the appliance's local drives reach qemu: guestkit's own NBD server (in
 * this process) for raw, qcow2 and read-only vmdk; a qemu-nbd child only for
 * the formats guestkit does not read (here vdi, and a vmdk opened for writing,
 * which the wasm backend also leaves to qemu-nbd). One VM for the file; the
 * writes to a writable qcow2 must land in it with `qemu-img check` clean, and
 * shutting down must leave no child, socket or temporary file.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplianceBackend } from '../src/backend/appliance/appliance-backend.js';
import { buildAppliance } from '../src/backend/appliance/build.js';
import { liveChildCount } from '../src/backend/appliance/children.js';
import { applianceOps as o } from '../src/backend/appliance/ops.js';
import { WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { fixture, scratch, sha256 } from './helpers/fixtures.js';
import { runCli } from './helpers/cli.js';

const haveQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0 && spawnSync('qemu-img', ['--version']).status === 0 && fs.existsSync(fixture('ext4.img'));

/** The qemu-nbd processes that are children of this process, by command line. */
function ourQemuNbds(): string[] {
  const r = spawnSync('pgrep', ['-a', '-P', String(process.pid)], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').filter((l) => /qemu-nbd/.test(l) && !/<defunct>/.test(l));
}

describe.skipIf(!haveQemu)('appliance drives', () => {
  const raw = fixture('ext4.img');
  const roVmdk = fixture('vmdk/ext4-stream.vmdk');
  let tmp: ReturnType<typeof scratch>;
  let sessions: string;
  let qcow2: string;
  let vdi: string;
  let rwVmdk: string;
  let b: ApplianceBackend;
  const before = new Map<string, string>();

  beforeAll(async () => {
    tmp = scratch();
    sessions = path.join(tmp.dir, 'sessions');
    fs.mkdirSync(sessions);
    qcow2 = path.join(tmp.dir, 'rw.qcow2');
    vdi = path.join(tmp.dir, 'ro.vdi');
    rwVmdk = path.join(tmp.dir, 'rw.vmdk');
    execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
    execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vdi', raw, vdi]);
    execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vmdk', raw, rwVmdk]);
    for (const f of [raw, roVmdk, vdi]) before.set(f, sha256(f));
    buildAppliance();
    b = new ApplianceBackend({ tmpDir: sessions });
    await b.launch([
      { file: raw, readonly: true },
      { file: qcow2, readonly: false },
      { file: roVmdk, readonly: true },
      { file: vdi, readonly: true },
      { file: rwVmdk, readonly: false },
    ]);
  }, 120_000);

  afterAll(async () => {
    await b?.shutdown();
    tmp?.cleanup();
  });

  it('serves raw, qcow2 and read-only vmdk itself; qemu-nbd only for vdi and the writable vmdk', async () => {
    expect(b.nbdPids).toHaveLength(2);
    const nbds = ourQemuNbds();
    expect(nbds).toHaveLength(2);
    expect(nbds.some((l) => l.includes('--format=vdi') && l.includes(vdi) && l.includes('--read-only'))).toBe(true);
    expect(nbds.some((l) => l.includes('--format=vmdk') && l.includes(rwVmdk) && !l.includes('--read-only'))).toBe(true);
    for (const dev of ['/dev/sda', '/dev/sdb', '/dev/sdc', '/dev/sdd', '/dev/sde']) {
      await o.mountRo(b, dev, '/');
      expect([dev, await o.cat(b, '/etc/hostname')]).toEqual([dev, 'guestkit-test\n']);
      await o.umountAll(b);
    }
  });

  it('a read-only drive served in process takes the guest\'s writes in qemu\'s overlay, not in the image', async () => {
    await o.mount(b, '/dev/sda', '/');
    await o.write(b, '/scratch.txt', 'scratch\n');
    expect(await o.cat(b, '/scratch.txt')).toBe('scratch\n');
    await o.umountAll(b);
  });

  it('writes to the writable qcow2 land in it, qemu-img check clean; shutdown leaves nothing behind', async () => {
    await o.mount(b, '/dev/sdb', '/');
    const data = Buffer.alloc(3 << 20, 0x5a);
    await o.write(b, '/written.bin', data);
    await o.write(b, '/etc/motd', 'through guestkit\'s NBD server\n');
    await o.umountAll(b);
    await b.shutdown();
    expect(liveChildCount()).toBe(0);
    expect(ourQemuNbds()).toEqual([]);
    expect(fs.readdirSync(sessions)).toEqual([]);
    expect(spawnSync('qemu-img', ['check', '-q', qcow2]).status).toBe(0);
    const w = new WasmBackend();
    try {
      await w.launch([{ file: qcow2, readonly: true }]);
      await w.mount('/dev/sda', '/', true);
      expect(Buffer.from(await w.rpc('read', '/etc/motd', 0, 100)).toString('utf8')).toBe('through guestkit\'s NBD server\n');
      expect(Buffer.compare(Buffer.from(await w.rpc('read', '/written.bin', 0, data.length)), data)).toBe(0);
    } finally {
      await w.shutdown();
    }
    for (const [f, sum] of before) expect([f, sha256(f)]).toEqual([f, sum]);
  }, 60_000);

  it('a write the image refuses under the guest (an I/O error at the qcow2\'s flush) ends the session with an error naming the drive', async () => {
    const img = path.join(tmp.dir, 'io-error.qcow2');
    execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, img]);
    // the guest's kernel may only log the failed flush: the host, which saw it, reports it
    const r = await runCli(['fish', '-a', img, '-m', '/dev/sda'], { input: 'write /motd hi\n', env: { GUESTKIT_FAULT: 'fail@1', GUESTKIT_BACKEND: 'appliance' }, timeoutMs: 60_000 });
    expect(r.status).toBe(1);
    expect(r.err).toBe(`guestkit fish: error: ${img}: a write from the appliance failed: injected I/O error at qcow2-data-fsync (GUESTKIT_FAULT)\n`);
  }, 60_000);

  it('a drive another process has open for writing is refused in one line, with nothing started', async () => {
    const held = path.join(tmp.dir, 'held.img');
    fs.copyFileSync(raw, held);
    const sock = path.join(tmp.dir, 'held.sock');
    const server: ChildProcess = spawn('qemu-nbd', ['-f', 'raw', '-k', sock, held], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
      const x = new ApplianceBackend({ tmpDir: sessions });
      const err = await x.launch([{ file: held, readonly: false }]).catch((e: Error) => e);
      expect(err).toMatchObject({ code: 'EBUSY' });
      expect((err as Error).message).toBe(`${held}: is in use: qemu-nbd (pid ${server.pid}) has it open for writing (use --no-lock to write anyway)`);
      expect(liveChildCount()).toBe(0);
      expect(fs.readdirSync(sessions)).toEqual([]);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('close', r));
    }
  });
});
