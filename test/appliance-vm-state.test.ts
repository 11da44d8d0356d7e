/**
 * The appliance's saved VM state (vm-state.ts): a plain boot saves it, the next
 * session starts from it with its own drives; a truncated or damaged state, or
 * another qemu binary, never loads the wrong thing: the state is detected,
 * the session boots plainly and a good state is saved again; no qemu is left.
 *
 * The appliance's files come from the shared cache, but the state files go to
 * a private copy of its directory (they live beside the appliance).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApplianceBackend } from '../src/backend/appliance/appliance-backend.js';
import { buildAppliance, type Appliance } from '../src/backend/appliance/build.js';
import { liveChildCount } from '../src/backend/appliance/children.js';

const FIX = path.resolve('fixtures/out');
const IMG_A = path.join(FIX, 'ext4.img');
const IMG_B = path.join(FIX, 'ext2.img');
const haveQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0 && fs.existsSync(IMG_A) && fs.existsSync(IMG_B);

/** qemu processes that are children of this process. */
function ourQemus(): string[] {
  const r = spawnSync('pgrep', ['-a', '-P', String(process.pid)], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').filter((l) => /qemu/.test(l) && !/<defunct>/.test(l));
}

/** The filesystem UUID the host's blkid reads from an image file. */
const hostUuid = (img: string) => spawnSync('blkid', ['-o', 'value', '-s', 'UUID', img], { encoding: 'utf8' }).stdout.trim();

describe.skipIf(!haveQemu)('appliance VM state', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-vmstate-test-'));
  let appliance: Appliance;
  const stateDir = () => path.join(tmp, 'appliance', 'vmstate');
  const states = () => (fs.existsSync(stateDir()) ? fs.readdirSync(stateDir()).filter((n) => n.endsWith('.state')).sort() : []);

  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** One session on `img`: the UUID the guest sees on /dev/vda, whether it was restored, its log. */
  async function session(img: string, qemu?: string): Promise<{ uuid: string; restored: boolean; log: string[] }> {
    appliance ??= (() => {
      const a = buildAppliance();
      const dir = path.join(tmp, 'appliance');
      fs.mkdirSync(dir);
      return { ...a, dir };
    })();
    const log: string[] = [];
    const b = new ApplianceBackend({ appliance, qemu, log: (l) => log.push(l) });
    try {
      await b.launch([{ file: img, readonly: true }]);
      const uuid = (await b.shText('blkid -o value -s UUID /dev/vda')).trim();
      return { uuid, restored: b.timings!.restored, log };
    } finally {
      await b.shutdown();
      expect(liveChildCount()).toBe(0);
      expect(ourQemus()).toEqual([]);
    }
  }

  it('a plain boot saves the state; the next session restores it and sees its own drive', async () => {
    const first = await session(IMG_A);
    expect(first.restored).toBe(false);
    expect(first.uuid).toBe(hostUuid(IMG_A));
    expect(first.log.some((l) => /saved the VM state/.test(l))).toBe(true);
    expect(states()).toHaveLength(1);

    // Another image in the same slot: the guest probes the drive after the restore.
    const second = await session(IMG_B);
    expect(second.restored).toBe(true);
    expect(second.uuid).toBe(hostUuid(IMG_B));
    expect(second.uuid).not.toBe(first.uuid);
  }, 120_000);

  it('a truncated state is detected, the session boots, a whole state is saved again', async () => {
    const [name] = states();
    const file = path.join(stateDir(), name!);
    const size = fs.statSync(file).size;
    fs.truncateSync(file, Math.floor(size / 2));
    const s = await session(IMG_A);
    expect(s.restored).toBe(false);
    expect(s.uuid).toBe(hostUuid(IMG_A));
    expect(fs.statSync(file).size).toBeGreaterThan(size / 2);
    expect((await session(IMG_A)).restored).toBe(true);
  }, 120_000);

  it('a damaged state of the recorded size: qemu refuses it, the session boots, the state is replaced', async () => {
    const [name] = states();
    const file = path.join(stateDir(), name!);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from('NOT A QEMU STATE'), 0, 16, 0);
    fs.closeSync(fd);
    const s = await session(IMG_B);
    expect(s.restored).toBe(false);
    expect(s.uuid).toBe(hostUuid(IMG_B));
    expect(s.log.some((l) => /could not be restored/.test(l))).toBe(true);
    expect(fs.readFileSync(file).subarray(0, 4).toString('latin1')).toBe('QEVM');
  }, 120_000);

  it('another qemu binary (an upgrade) gets its own state: the old one is not loaded', async () => {
    const wrapper = path.join(tmp, 'qemu-system-x86_64');
    fs.writeFileSync(wrapper, '#!/bin/sh\nexec qemu-system-x86_64 "$@"\n', { mode: 0o755 });
    const before = states();
    const s = await session(IMG_A, wrapper);
    expect(s.restored).toBe(false);
    expect(s.uuid).toBe(hostUuid(IMG_A));
    expect(states()).toHaveLength(before.length + 1);
  }, 120_000);
});
