/**
 * guestkit sysprep's planned path (tools/sysprep/sysprep-planned.ts): the plan
 * answers reads as if its recorded writes had happened and refuses what the real
 * call refuses; op sets it cannot model are refused up front; on the seeded
 * fedora-xfs guest (LVM + xfs root) the planned run leaves the same tree and
 * prints the same messages as the plain appliance path, and a failure while
 * applying the plan (a guest error, or an I/O error only the host sees) leaves
 * the image byte-identical.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Guestfs } from '../src/index.js';
import { CAPABILITIES } from '../src/backend/capabilities.js';
import { GuestkitError } from '../src/errors/index.js';
import { SysprepPlan } from '../src/sysprep/plan.js';
import { haveQemu } from './helpers/backends.js';
import { runCli } from './helpers/cli.js';
import { fixture, GOLDEN, scratch, sha256 } from './helpers/fixtures.js';

let dir: string, cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = scratch());
});
afterAll(() => cleanup());

const errorOf = async (p: Promise<unknown>) => p.then(() => undefined, (e: GuestkitError) => ({ code: e.code, command: e.command, message: e.message }));

describe('SysprepPlan over the real tree (wasm, read-only)', () => {
  it('answers reads as if the recorded writes had happened, and refuses what the real call refuses', async () => {
    const g = new Guestfs({ backend: 'wasm' });
    try {
      g.addDrive(fixture('ubuntu.img'), { readonly: true });
      await g.launch();
      const root = ((await g.call('inspect-os', [])) as string[])[0]!;
      await g.mountRo(root, '/');
      const plan = new SysprepPlan(g, CAPABILITIES.appliance);
      const p = plan.handle;
      const etc = (await g.ls('/etc')) as string[];
      expect(await p.ls('/etc')).toEqual(etc);

      // rm of a missing file: the real call's error, nothing recorded
      expect(await errorOf(p.rm('/etc/no-such-file'))).toEqual({ code: 'ENOENT', command: 'rm', message: '/etc/no-such-file: No such file or directory' });
      expect(await errorOf(p.rm('/etc'))).toMatchObject({ code: 'EISDIR', command: 'rm' });
      expect(await errorOf(p.write('/no/such/dir/f', 'x'))).toMatchObject({ code: 'ENOENT', command: 'write' });
      expect(await errorOf(p.find('/no-such-dir'))).toMatchObject({ code: 'ENOENT', command: 'find' });
      expect(plan.steps).toEqual([]);

      // a removed directory hides everything under it; the real tree is untouched
      await p.rmRf('/etc');
      expect(await p.exists('/etc/hostname')).toBe(false);
      expect(await p.isDir('/etc')).toBe(false);
      expect(await p.ls('/')).not.toContain('etc');
      expect(await errorOf(p.ls('/etc'))).toMatchObject({ code: 'ENOENT', command: 'ls' });
      expect(await g.isFile('/etc/hostname')).toBe(true);

      // created again: only what the plan put there
      await p.mkdirP('/etc/new/deep');
      await p.write('/etc/new/deep/f', 'one\r\ntwo\n');
      expect(await p.ls('/etc')).toEqual(['new']);
      expect(await p.find('/etc')).toEqual(['new', 'new/deep', 'new/deep/f']);
      expect(await p.readLines('/etc/new/deep/f')).toEqual(['one', 'two']);
      await p.writeAppend('/etc/new/deep/f', 'three');
      expect(await p.cat('/etc/new/deep/f')).toBe('one\r\ntwo\nthree');
      await p.truncate('/etc/new/deep/f');
      expect(await p.readFile('/etc/new/deep/f')).toEqual(new Uint8Array());

      // batches: each call its own result; a fatal failure stops the rest
      const rs = await p.callMany([
        { name: 'rm', args: ['/etc/new/deep/f'] },
        { name: 'rm', args: ['/etc/new/deep/f'], fatal: true },
        { name: 'rm-rf', args: ['/etc/new'] },
      ]);
      expect(rs.map((r) => (r.ok ? 'ok' : (r.error as GuestkitError).code))).toEqual(['ok', 'ENOENT', 'ECANCELED']);
      expect(plan.steps.map((s) => [s.name, s.args[0]])).toEqual([
        ['rm-rf', '/etc'], ['mkdir-p', '/etc/new/deep'], ['write', '/etc/new/deep/f'], ['write-append', '/etc/new/deep/f'],
        ['truncate', '/etc/new/deep/f'], ['rm', '/etc/new/deep/f'],
      ]);

      // where a write lands: symlinks resolved by the guest's tree (/bin is a symlink to usr/bin)
      await p.touch('/bin/new-file');
      expect(plan.steps.at(-1)).toMatchObject({ name: 'touch', at: '/usr/bin/new-file' });
      expect(await p.isFile('/bin/new-file')).toBe(true);

      // a command it does not model is refused (not a guest error) and marks the plan
      await expect(p.ln('/a', '/b')).rejects.toThrow(/cannot model ln/);
      expect(plan.unsupported).toBe('ln');
    } finally {
      await g.close();
    }
  });
});

describe.skipIf(!haveQemu)('sysprep of the seeded fedora-xfs guest (LVM + xfs): planned path', () => {
  const G = join(GOLDEN, 'sysprep');
  const times = (out: string) => out.replace(/^\[ *[0-9.]+\] /gm, '[TIME] ');
  const machineId = (diff: string) => diff.replace(/^\+[0-9a-f]{32}$/gm, '+<random machine id>');

  it('the same tree and messages as the plain appliance path; a failure while applying leaves the image as it was', async () => {
    const seeded = join(dir, 'fedora-xfs-seeded.img');
    copyFileSync(fixture('fedora-xfs.img'), seeded);
    const seed = join(dir, 'seed.gf');
    writeFileSync(seed, ['seed-linux-common.gf', 'seed-fedora.gf'].map((s) => readFileSync(join(G, s), 'utf8')).join('\n'));
    expect((await runCli(['fish', '-a', seeded, '-i', '-f', seed], { timeoutMs: 60_000 })).err).toBe('');

    // the plain path, which a --script program (that does nothing) chooses up front
    const noop = join(dir, 'noop.sh');
    writeFileSync(noop, '#!/bin/sh\n:\n');
    const plainImg = join(dir, 'plain.img');
    copyFileSync(seeded, plainImg);
    const plain = await runCli(['sysprep', '-v', '--script', noop, '-a', plainImg], { timeoutMs: 90_000 });
    expect(plain.status).toBe(0);
    expect(plain.err).toContain('guestkit sysprep: plain path: --script programs are not planned');

    const plannedImg = join(dir, 'planned.img');
    copyFileSync(seeded, plannedImg);
    const planned = await runCli(['sysprep', '-v', '-a', plannedImg], { timeoutMs: 90_000 });
    expect(planned.status).toBe(0);
    expect(planned.err).toMatch(/guestkit sysprep: planned path: inspected and planned in process, \d+ writes applied in the appliance/);
    // only the root (an LV) is written: the appliance gets it alone, as a whole disk
    expect(planned.err).toContain('guestkit sysprep: /dev/fedora/root served to the appliance as a disk of its own');
    expect(times(planned.out)).toBe(times(plain.out));
    expect(planned.out).toContain('Performing "lvm-uuids" ...');

    const diffOf = async (img: string) => {
      const r = await runCli(['diff', '-a', seeded, '-A', img], { timeoutMs: 60_000, env: { GUESTKIT_BACKEND: 'wasm' } });
      expect(r.err).toBe('');
      return machineId(r.out);
    };
    const plannedDiff = await diffOf(plannedImg);
    expect(plannedDiff).toMatch(/^- /m); // something was removed
    expect(plannedDiff).toBe(await diffOf(plainImg));

    // The apply phase fails (an immutable file the plan means to remove): nothing is committed.
    const failing = join(dir, 'immutable.img');
    copyFileSync(seeded, failing);
    const attr = await runCli(['fish', '-a', failing, '-i'], { input: 'debug sh "chattr +i /sysroot/var/log/messages"\n', timeoutMs: 60_000 });
    expect(attr.err).toBe('');
    const before = sha256(failing);
    const failed = await runCli(['sysprep', '-a', failing], { timeoutMs: 90_000 });
    expect(failed.status).toBe(1);
    expect(failed.err).toMatch(/^guestkit sysprep: error: logfiles: rm-rf: .*\/var\/log\/messages.*Operation not permitted\n$/);
    expect(sha256(failing)).toBe(before);

    // An I/O error under the appliance (the overlay's first flush fails): the guest may not notice,
    // the host does; nothing is committed.
    const ioError = join(dir, 'io-error.img');
    copyFileSync(seeded, ioError);
    const failedIo = await runCli(['sysprep', '-a', ioError], { timeoutMs: 90_000, env: { GUESTKIT_FAULT: 'fail@1' } });
    expect(failedIo.status).toBe(1);
    expect(failedIo.err).toMatch(/^guestkit sysprep: error: \/dev\/fedora\/root \(served over NBD\): a write failed: injected I\/O error at qcow2-data-fsync \(GUESTKIT_FAULT\)\n$/);
    expect(sha256(ioError)).toBe(sha256(seeded));
  }, 150_000);
});
