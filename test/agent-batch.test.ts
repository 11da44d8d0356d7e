/**
 * Batched agent requests (Guestfs.callMany; src/backend/appliance/agent-batch.ts):
 * each call of a batch gives what it gives alone — its value, or its own typed
 * error with the command's name — on both backends; a fatal failure stops the
 * calls after it (ECANCELED) and they change nothing; and sysprep, whose globs
 * and removals go out in batches on the appliance, still has virt-sysprep's effect
 * on the seeded Fedora (LVM) guest (test/golden/sysprep).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Guestfs } from '../src/index.js';
import type { CallItem, CallResult } from '../src/api/types.js';
import { GuestkitError } from '../src/errors/index.js';
import { haveQemu } from './helpers/backends.js';
import { runCli } from './helpers/cli.js';
import { fixture, GOLDEN, scratch } from './helpers/fixtures.js';

let dir: string, cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = scratch());
});
afterAll(() => cleanup());

/** Calls whose answers and errors differ one from the next. */
const CALLS: CallItem[] = [
  { name: 'is-dir', args: ['/etc'] },
  { name: 'readlink', args: ['/etc/hostname'] }, // not a symlink: EINVAL
  { name: 'statns', args: ['/no/such/file'] }, // ENOENT
  { name: 'read-file', args: ['/etc'] }, // EISDIR
  { name: 'read-file', args: ['/etc/hostname'] },
  { name: 'is-file', args: [42] }, // a bad argument: refused before anything runs
  { name: 'ls', args: ['/etc/hostname'] }, // ENOTDIR
  { name: 'exists', args: ['/etc/fstab'] },
  { name: 'vfs-type', args: ['/dev/sda1'] },
  { name: 'vfs-uuid', args: ['/dev/sda1'] },
];

/** What a result shows a caller: the value, or the error's class, code, command and message. */
function shape(r: CallResult): unknown {
  if (r.ok) return { value: r.value instanceof Uint8Array ? Buffer.from(r.value).toString('utf8') : r.value };
  const e = r.error as GuestkitError;
  expect(e).toBeInstanceOf(GuestkitError);
  return { error: e.name, code: e.code, command: e.command, message: e.message };
}

async function alone(g: Guestfs, c: CallItem): Promise<CallResult> {
  try {
    return { ok: true, value: await g.call(c.name, c.args, c.optargs) };
  } catch (error) {
    return { ok: false, error };
  }
}

describe.each(haveQemu ? ['wasm', 'appliance'] : ['wasm'])('callMany on the %s backend', (backend) => {
  it('each call gives its own value or its own typed error, as when called alone; a fatal failure stops the rest', async () => {
    const img = join(dir, `ubuntu-${backend}.img`);
    copyFileSync(fixture('ubuntu.img'), img);
    const g = new Guestfs({ backend: backend as 'wasm' | 'appliance' });
    try {
      g.addDrive(img);
      await g.launch();
      const root = (await g.call('inspect-os', [])) as string[];
      await g.call('mount', [root[0], '/']);
      const batched = await g.callMany(CALLS);
      const single = [];
      for (const c of CALLS) single.push(await alone(g, c));
      expect(batched.map(shape)).toEqual(single.map(shape));
      expect(batched.map((r) => r.ok)).toEqual([true, false, false, false, true, false, false, true, true, true]);
      expect((batched[2] as { error: GuestkitError }).error.code).toBe('ENOENT');
      expect((batched[3] as { error: GuestkitError }).error.code).toBe('EISDIR');
      expect((batched[5] as { error: GuestkitError }).error.command).toBe('is-file');

      // rm of a missing file fails and is fatal: the removal after it is not made.
      await g.call('write', ['/batch-keep', 'x']);
      const stopped = await g.callMany([
        { name: 'rm', args: ['/batch-missing'], fatal: true },
        { name: 'rm', args: ['/batch-keep'] },
      ]);
      expect(shape(stopped[0]!)).toMatchObject({ code: 'ENOENT', command: 'rm' });
      expect(shape(stopped[1]!)).toMatchObject({ code: 'ECANCELED', command: 'rm', message: 'not run: an earlier call of the batch failed' });
      expect(await g.call('exists', ['/batch-keep'])).toBe(true);
      // Not fatal: the next call is made.
      const goesOn = await g.callMany([{ name: 'rm', args: ['/batch-missing'] }, { name: 'rm', args: ['/batch-keep'] }]);
      expect(goesOn.map((r) => r.ok)).toEqual([false, true]);
      expect(await g.call('exists', ['/batch-keep'])).toBe(false);

      // Writes (write, write-append, touch, chmod, chown): in a batch, the same effects and errors as alone.
      const writes = (d: string): CallItem[] => [
        { name: 'write', args: [`${d}/f`, 'hello'] },
        { name: 'write-append', args: [`${d}/f`, ' world'] },
        { name: 'write', args: [`${d}/missing/f`, 'x'] }, // ENOENT
        { name: 'write', args: [d, 'x'] }, // EISDIR
        { name: 'touch', args: [`${d}/t`] },
        { name: 'touch', args: [`${d}/missing/t`] }, // ENOENT
        { name: 'chmod', args: [0o10000, `${d}/f`] }, // an invalid mode
        { name: 'chmod', args: [0o600, `${d}/f`] },
        { name: 'chmod', args: [0o600, `${d}/nope`] }, // ENOENT
        { name: 'chown', args: [1000, 1001, `${d}/f`] },
        { name: 'chown', args: [0, 0, `${d}/nope`] }, // ENOENT
        { name: 'write', args: [`${d}/big`, Buffer.alloc(70 * 1024, 7)] }, // too big to travel in a script: sent alone
      ];
      await g.callMany([{ name: 'mkdir', args: ['/wa'] }, { name: 'mkdir', args: ['/wb'] }]);
      const writesAlone = [];
      for (const c of writes('/wa')) writesAlone.push(shape(await alone(g, c)));
      const writesBatched = (await g.callMany(writes('/wb'))).map(shape);
      expect(JSON.parse(JSON.stringify(writesBatched).replaceAll('/wb', '/wa'))).toEqual(writesAlone);
      // (the invalid mode, index 6: refused by the appliance, masked by the wasm backend; the same either way)
      expect(writesBatched.map((r) => 'value' in (r as object)).filter((_, i) => i !== 6)).toEqual([true, true, false, false, true, false, true, false, true, false, true]);
      const after = async (d: string) => {
        const st = (await g.call('statns', [`${d}/f`])) as Record<string, number>;
        return [Buffer.from((await g.call('read-file', [`${d}/f`])) as Uint8Array).toString(), st.st_mode, st.st_uid, st.st_gid,
          ((await g.call('statns', [`${d}/t`])) as Record<string, number>).st_size, ((await g.call('statns', [`${d}/big`])) as Record<string, number>).st_size];
      };
      expect(await after('/wb')).toEqual(await after('/wa'));
      expect(await after('/wb')).toEqual(['hello world', 0o100600, 1000, 1001, 0, 70 * 1024]);
    } finally {
      await g.shutdown();
    }
  }, 60_000);
});

describe.skipIf(!haveQemu)('sysprep through the appliance (batched globs and removals)', () => {
  const G = join(GOLDEN, 'sysprep');
  const goldenBody = (name: string) => readFileSync(join(G, name), 'utf8').replace(/^##[^\n]*\n/, '');
  const wasm = { GUESTKIT_BACKEND: 'wasm' };

  it('fedora (LVM): the same files removed and changed, and the same messages, as virt-sysprep', async () => {
    const seeded = join(dir, 'fedora-seeded.img');
    copyFileSync(fixture('fedora.img'), seeded);
    for (const s of ['seed-linux-common.gf', 'seed-fedora.gf']) {
      const r = await runCli(['fish', '-a', seeded, '-i', '-f', join(G, s)], { timeoutMs: 60_000, env: wasm });
      expect(r.err).toBe('');
    }
    const img = join(dir, 'fedora-sysprep.img');
    copyFileSync(seeded, img);
    const r = await runCli(['sysprep', '--backend=appliance', '-a', img], { timeoutMs: 90_000 });
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const messages = goldenBody('fedora.messages')
      .replace('[TIME] Performing "machine-id" ...\n', '[TIME] Performing "lvm-system-devices" ...\n[TIME] Performing "machine-id" ...\n');
    expect(r.out.replace(/^\[ *[0-9.]+\] /gm, '[TIME] ').replace(/^guestkit sysprep:/gm, 'virt-sysprep:')).toBe(messages);
    const diff = await runCli(['diff', '-a', seeded, '-A', img], { timeoutMs: 60_000, env: wasm });
    expect(diff.err).toBe('');
    expect(diff.out.replace(/^\+[0-9a-f]{32}$/gm, '+<random machine id>')).toBe(goldenBody('fedora.diff'));
  }, 120_000);
});

describe.skipIf(!haveQemu)('read-only replies kept between requests (appliance)', () => {
  it('blkid and lvs answers from list-filesystems are reused until something may change them', async () => {
    const img = join(dir, 'kept-replies.img');
    copyFileSync(fixture('fedora.img'), img);
    const g = new Guestfs({ backend: 'appliance' });
    try {
      g.addDrive(img);
      await g.launch();
      const fss = (await g.call('list-filesystems', [])) as Record<string, string>;
      const lvs = (await g.call('lvs', [])) as string[];
      expect(lvs.length).toBeGreaterThan(0);
      const [dev, type] = Object.entries(fss).find(([, t]) => t === 'ext4')!;
      // Kept from list-filesystems: the same answers as a fresh blkid after a change.
      const kept = await g.callMany([{ name: 'vfs-type', args: [dev] }, { name: 'vfs-label', args: [dev] }, { name: 'vfs-uuid', args: [dev] }]);
      expect(kept.map(shape)).toEqual([{ value: type }, { value: expect.any(String) }, { value: expect.stringMatching(/^[0-9a-f-]{36}$/) }]);
      await g.call('set-label', [dev, 'relabelled']);
      expect(await g.call('vfs-label', [dev])).toBe('relabelled');
      await g.call('set-uuid-random', [dev]);
      expect(await g.call('vfs-uuid', [dev])).not.toBe((kept[2] as { value: string }).value);
      await g.call('mkfs', ['vfat', dev]);
      expect(await g.callMany([{ name: 'vfs-type', args: [dev] }, { name: 'vfs-label', args: [dev] }]).then((r) => r.map(shape))).toEqual([{ value: 'vfat' }, { value: '' }]);
      // An LV removed: lvs answers afresh.
      await g.call('lvremove', [lvs[0]]);
      expect(await g.call('lvs', [])).toEqual(lvs.slice(1));
    } finally {
      await g.shutdown();
    }
  }, 90_000);
});
