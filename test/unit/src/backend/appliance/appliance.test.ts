/**
 * The appliance backend against the fixture images. One VM is booted for the
 * whole file (a TCG boot takes a few seconds) and reused by every test; the
 * last tests kill it and check the cleanup.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statnsStruct } from '../../../../../src/api/read-commands.js';
import { WasmBackend } from '../../../../../src/backend/wasm/wasm-backend.js';
import { ApplianceBackend } from '../../../../../src/backend/appliance/appliance-backend.js';
import { buildAppliance } from '../../../../../src/backend/appliance/build.js';
import { liveChildCount } from '../../../../../src/backend/appliance/children.js';
import { applianceOps as o } from '../../../../../src/backend/appliance/ops.js';

const FIX = path.resolve('fixtures/out');
const haveQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0 && fs.existsSync(path.join(FIX, 'gpt.img'));
const sha256 = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

/** qemu / qemu-nbd processes that are children of this process. */
function ourQemus(): string[] {
  const r = spawnSync('pgrep', ['-a', '-P', String(process.pid)], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').filter((l) => /qemu/.test(l) && !/<defunct>/.test(l));
}

/** A btrfs image made from a directory without mounting (mkfs.btrfs --rootdir), or null. */
function makeBtrfs(dir: string): string | null {
  const root = path.join(dir, 'btrfs-root');
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc', 'hostname'), 'btrfs-guest\n');
  const img = path.join(dir, 'btrfs.img');
  fs.writeFileSync(img, '');
  fs.truncateSync(img, 128 << 20);
  const r = spawnSync('mkfs.btrfs', ['-q', '-L', 'bt', '--rootdir', root, img], { stdio: 'ignore' });
  return r.status === 0 ? img : null;
}

describe.skipIf(!haveQemu)('appliance backend', () => {
  const t0 = Date.now();
  let b: ApplianceBackend;
  // Made at collection time so that skipIf below sees it.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-appl-test-'));
  const btrfs = makeBtrfs(tmp);
  const images = ['gpt.img', 'ext4.img', 'debian.qcow2'].map((f) => path.join(FIX, f));
  const before = new Map<string, string>();

  beforeAll(async () => {
    for (const f of images) before.set(f, sha256(f));
    buildAppliance();
    b = new ApplianceBackend();
    const drives = images.map((file) => ({ file, readonly: true }));
    if (btrfs) drives.push({ file: btrfs, readonly: false });
    await b.launch(drives);
    console.log(`appliance: boot to READY ${b.timings!.bootMs} ms, launch ${b.timings!.launchMs} ms (${b.timings!.kvm ? 'KVM' : 'TCG'})`);
  }, 120_000);

  afterAll(async () => {
    await b?.shutdown();
    fs.rmSync(tmp, { recursive: true, force: true });
    console.log(`appliance: whole run ${Date.now() - t0} ms`);
  });

  it('builds from the cache quickly the second time', () => {
    const t = Date.now();
    const a = buildAppliance();
    expect(a.built).toBe(false);
    expect(Date.now() - t).toBeLessThan(2000);
    expect(fs.existsSync(a.kernel) && fs.existsSync(a.initrd)).toBe(true);
  });

  it('lists devices, partitions and filesystems', async () => {
    const devs = await o.listDevices(b);
    expect(devs.slice(0, 3)).toEqual(['/dev/sda', '/dev/sdb', '/dev/sdc']);
    expect(devs.length).toBe(btrfs ? 4 : 3);
    expect(await o.listPartitions(b)).toEqual(['/dev/sda1', '/dev/sda2', '/dev/sdc1', '/dev/sdc2']);
    const fss = await o.listFilesystems(b);
    expect(fss).toMatchObject({ '/dev/sda1': 'ext2', '/dev/sda2': 'ext4', '/dev/sdb': 'ext4', '/dev/sdc1': 'ext2', '/dev/sdc2': 'ext4' });
    if (btrfs) expect(fss['/dev/sdd']).toBe('btrfs');
    expect(await o.vfsLabel(b, '/dev/sda2')).toBe('root');
    expect(await o.vfsUuid(b, '/dev/sda2')).toBe('33333333-0000-0000-0000-000000000002');
    expect(await o.blockdevGetsize64(b, '/dev/sda')).toBe(fs.statSync(images[0]!).size);
    await expect(o.vfsType(b, '/dev/sdz')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('mounts read-only and reads files like the wasm backend', async () => {
    await o.mountRo(b, '/dev/sdb', '/');
    expect(await o.mounts(b)).toEqual(['/dev/sdb']);
    const w = new WasmBackend();
    try {
      await w.launch([{ file: images[1]!, readonly: true }]);
      await w.mount('/dev/sda', '/', true);
      const st = await w.rpc('stat', '/etc/hostname', true);
      const wasmText = Buffer.from(await w.rpc('read', '/etc/hostname', 0, st.size)).toString('utf8');
      expect(await o.cat(b, '/etc/hostname')).toBe(wasmText);
      const a = await o.statns(b, '/etc/hostname');
      const ws = statnsStruct(await w.rpc('stat', '/etc/hostname', true));
      for (const k of ['st_ino', 'st_mode', 'st_nlink', 'st_uid', 'st_gid', 'st_size', 'st_blocks', 'st_mtime_sec', 'st_mtime_nsec', 'st_ctime_sec']) {
        expect([k, a[k]]).toEqual([k, ws[k]]);
      }
      expect((await o.ls(b, '/')).sort()).toEqual((await w.rpc('readdir', '/')).sort());
    } finally {
      await w.shutdown();
    }
    expect(await o.isFile(b, '/etc/hostname')).toBe(true);
    expect(await o.isDir(b, '/etc')).toBe(true);
    expect(await o.exists(b, '/nonexistent')).toBe(false);
    await expect(o.cat(b, '/nonexistent')).rejects.toMatchObject({ code: 'ENOENT', message: '/nonexistent: No such file or directory' });
    await expect(o.cat(b, '/etc')).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(o.write(b, '/x', 'no')).rejects.toMatchObject({ code: 'EROFS' });
    expect(await o.find(b, '/etc')).toContain('/hostname'); // libguestfs cuts "/etc" off the front
    const vfs = await o.statvfs(b, '/');
    expect((vfs.flag as number) & 1).toBe(1);
    await o.umountAll(b);
    expect(await o.mounts(b)).toEqual([]);
  });

  it('mounts a partition, reads a nested mount, and writes to the overlay of a read-only drive', async () => {
    await o.mount(b, '/dev/sdc2', '/');
    expect(await o.cat(b, '/etc/hostname')).toBe('debian-guest\n');
    await o.write(b, '/scratch.txt', 'scratch\n');
    expect(await o.cat(b, '/scratch.txt')).toBe('scratch\n');
    await o.mkdir(b, '/mnt2');
    await o.mountRo(b, '/dev/sdc1', '/mnt2');
    expect(await o.mountpoints(b)).toEqual({ '/dev/sdc2': '/', '/dev/sdc1': '/mnt2' });
    await o.umountAll(b);
  });

  it('streams a larger file intact', async () => {
    await o.mount(b, '/dev/sda2', '/');
    const data = crypto.randomBytes(3 << 20);
    await o.write(b, '/big.bin', data);
    const t = Date.now();
    const back = await o.readFile(b, '/big.bin');
    console.log(`appliance: read 3 MiB in ${Date.now() - t} ms`);
    expect(Buffer.compare(Buffer.from(back), data)).toBe(0);
    expect(await o.checksum(b, 'sha256', '/big.bin')).toBe(crypto.createHash('sha256').update(data).digest('hex'));
    await o.umountAll(b);
  });

  it.skipIf(!btrfs)('mounts btrfs (a filesystem only the appliance reads)', async () => {
    await o.mount(b, '/dev/sdd', '/');
    expect(await o.cat(b, '/etc/hostname')).toBe('btrfs-guest\n');
    await o.write(b, '/etc/new', 'written\n');
    await o.umountAll(b);
  });

  it('left the read-only images byte-identical', () => {
    for (const f of images) expect([f, sha256(f)]).toEqual([f, before.get(f)]);
  });

  it('reports a killed qemu as a clean error and reaps everything', async () => {
    process.kill(b.qemuPid!, 'SIGKILL');
    const err = await o.listDevices(b).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^the appliance is gone: qemu was killed by SIGKILL/);
    expect((err as Error).message).not.toContain('\n');
    await b.shutdown();
    expect(liveChildCount()).toBe(0);
    expect(ourQemus()).toEqual([]);
  });

  it('fails cleanly when qemu is missing, without leaving qemu-nbd behind', async () => {
    const x = new ApplianceBackend({ qemu: '/nonexistent/qemu-system-x86_64' });
    await expect(x.launch([{ file: images[0]!, readonly: true }])).rejects.toThrow(
      '/nonexistent/qemu-system-x86_64 not found: install the Debian package qemu-system-x86',
    );
    expect(liveChildCount()).toBe(0);
    expect(ourQemus()).toEqual([]);
  });
});

