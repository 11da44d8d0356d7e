/**
 * --backend=auto: the wasm backend when it serves every filesystem and command
 * involved, else the appliance; -v says which and why. Only one test boots the
 * appliance (a fish chain with a command only it runs); xfs and btrfs are read in process when read-only.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { applianceOnlyCommands, chooseBackend } from '../src/core/backend-choice.js';
import { Guestfs } from '../src/core/guestfs.js';
import { runCli } from './helpers/cli.js';
import { fixture, scratch, sha256 } from './helpers/fixtures.js';

const haveQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;

/** An empty filesystem of this type in a sparse file, or null when its mkfs is not installed. */
function mkfsImage(dir: string, type: 'xfs' | 'btrfs', mib: number): string | null {
  const img = path.join(dir, `${type}.img`);
  fs.writeFileSync(img, '');
  fs.truncateSync(img, mib << 20);
  const r = spawnSync(`mkfs.${type}`, ['-q', img], { stdio: 'ignore' });
  return r.status === 0 ? img : null;
}

async function choiceFor(files: string[], needs: Parameters<typeof chooseBackend>[1] = {}, readonly = true) {
  const w = new WasmBackend();
  await w.launch(files.map((file) => ({ file, readonly })));
  try {
    return await chooseBackend(w, needs);
  } finally {
    await w.shutdown();
  }
}

describe('backend auto', () => {
  let tmp: ReturnType<typeof scratch>;
  let xfs: string | null;
  let btrfs: string | null;
  beforeAll(() => {
    tmp = scratch();
    xfs = mkfsImage(tmp.dir, 'xfs', 300);
    btrfs = mkfsImage(tmp.dir, 'btrfs', 128);
  });
  afterAll(() => tmp.cleanup());

  it('knows from the command table which commands only the appliance runs', () => {
    expect(applianceOnlyCommands(['cat', 'sh', '-command', 'mount-ro', 'no-such-command', 'sh']).sort()).toEqual(['command', 'sh']);
    expect(applianceOnlyCommands(['ls', 'write', 'hivex-open'])).toEqual([]);
  });

  it('chooses wasm for ext2/3/4 on whole disks, partitions and qcow2', async () => {
    expect(await choiceFor([fixture('ext4.img')])).toEqual({ name: 'wasm', reason: 'ext4 is read in process' });
    expect(await choiceFor([fixture('gpt.img'), fixture('debian.qcow2')])).toEqual({ name: 'wasm', reason: 'ext2, ext4 are read in process' });
  });

  it('chooses the appliance for xfs and btrfs only when they may be written, saying which device', async () => {
    if (btrfs) {
      expect(await choiceFor([btrfs])).toEqual({ name: 'wasm', reason: 'btrfs is read in process' });
      expect(await choiceFor([btrfs], {}, false)).toEqual({ name: 'appliance', reason: '/dev/sda is btrfs, which the wasm backend does not write to' });
    }
    if (!xfs) return;
    expect(await choiceFor([fixture('ext4.img'), xfs])).toEqual({ name: 'wasm', reason: 'ext4, xfs are read in process' });
    const written = { name: 'appliance', reason: '/dev/sdb is xfs, which the wasm backend does not write to' };
    expect(await choiceFor([fixture('ext4.img'), xfs], {}, false)).toEqual(written);
    expect(await choiceFor([fixture('ext4.img'), xfs], { writes: true })).toEqual(written);
  });

  it('counts only the devices the caller will mount, when it says', async () => {
    if (!btrfs) return;
    expect((await choiceFor([fixture('ext4.img'), btrfs], { devices: ['/dev/sda'], writes: true })).name).toBe('wasm');
    expect((await choiceFor([fixture('ext4.img'), btrfs], { devices: ['/dev/sdb'], writes: true })).name).toBe('appliance');
  });

  it('chooses the appliance for commands only it runs', async () => {
    expect(await choiceFor([fixture('ext4.img')], { commands: ['mount-ro', 'sh'] })).toEqual({ name: 'appliance', reason: 'sh runs only in the appliance' });
  });

  it('a handle reports its choice and logs it', async () => {
    const lines: string[] = [];
    const g = new Guestfs({ backend: 'auto', log: (l) => lines.push(l) });
    g.addDrive(fixture('ext4.img'), { readonly: true });
    expect(g.backendName).toBe('wasm');
    await g.launch();
    try {
      expect(g.backendName).toBe('wasm');
      expect(g.backendChoice).toEqual({ name: 'wasm', reason: 'auto: ext4 is read in process' });
      expect(lines).toEqual(['backend: wasm (auto: ext4 is read in process)']);
    } finally {
      await g.close();
    }
  });

  it('-v prints the choice; GUESTKIT_BACKEND and --backend override auto; a bad name is one line', async () => {
    const img = fixture('ext4.img');
    const r = await runCli(['fish', '-v', '--ro', '-a', img, 'run', ':', 'list-filesystems']);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toBe('/dev/sda: ext4\n');
    expect(r.err).toContain('backend: wasm (auto: ext4 is read in process)\n');
    const bad = await runCli(['cat', '--backend=bogus', '-a', img, '-m', '/dev/sda', '/etc/hostname']);
    expect(bad.status).toBe(1);
    expect(bad.err).toBe("guestkit cat: error: unknown backend 'bogus' (expected auto, wasm or appliance)\n");
  });

  it.skipIf(!haveQemu)('a chain reaching a command only the appliance runs: auto moves there, says so under -v, and leaves the image unchanged', async () => {
    if (!btrfs) return;
    const before = sha256(btrfs);
    const r = await runCli(['fish', '-v', '--ro', '-a', btrfs, 'run', ':', 'list-filesystems', ':', 'mount-ro', '/dev/sda', '/', ':', 'acl-get-file', '/', 'access'], { timeoutMs: 120_000 });
    expect(r.status, r.err).toBe(0);
    expect(r.out).toBe('/dev/sda: btrfs\nuser::rwx\ngroup::r-x\nother::r-x\n\n');
    // (fish decides on wasm for the chain's start, then moves the session when it reaches acl-get-file)
    expect(r.err).toMatch(/backend: moving to the appliance \(auto: acl-get-file runs only in the appliance\)\n/);
    expect(r.err).toMatch(/appliance: (restored the saved VM state: )?ready in \d+ ms/);
    expect(sha256(btrfs)).toBe(before);
  }, 150_000);

  it('a btrfs image read-only: auto stays on wasm (no appliance), and a read-write mount there says btrfs is read-only in process', async () => {
    if (!btrfs) return;
    const r = await runCli(['fish', '-v', '--ro', '-a', btrfs, 'run', ':', 'list-filesystems', ':', 'mount-ro', '/dev/sda', '/', ':', 'ls', '/']);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toBe('/dev/sda: btrfs\n');
    expect(r.err).toMatch(/^backend: wasm \(auto: btrfs is read in process\)\n/);
    const rw = await runCli(['fish', '--ro', '-a', btrfs, 'run', ':', 'mount', '/dev/sda', '/'], { env: { GUESTKIT_BACKEND: 'wasm' } });
    expect(rw.status).toBe(1);
    expect(rw.err).toMatch(/btrfs filesystems are read-only in the wasm backend/);
  });

  it('an xfs image read-only: auto stays on wasm (no appliance), says so under -v, and leaves the image unchanged', async () => {
    if (!xfs) return;
    const before = sha256(xfs);
    const r = await runCli(['fish', '-v', '--ro', '-a', xfs, 'run', ':', 'list-filesystems', ':', 'mount-ro', '/dev/sda', '/', ':', 'ls', '/']);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toBe('/dev/sda: xfs\n');
    expect(r.err).toMatch(/^backend: wasm \(auto: xfs is read in process\)\n/);
    expect(r.err).not.toMatch(/appliance: ready/);
    expect(sha256(xfs)).toBe(before);
  });
});
