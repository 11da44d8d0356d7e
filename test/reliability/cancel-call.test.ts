/**
 * A cancelled agent call leaves the appliance session usable: a call that
 * times out fails with ETIMEDOUT, one whose AbortSignal fires with ECANCELED
 * (both naming the command), the guest kills what the call was running, and
 * the next command on the same session answers correctly. One appliance
 * boot for the whole file; afterwards no qemu or qemu-nbd of this session is
 * left.
 */
import { spawnSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Guestfs, GuestkitError } from '../../src/index.js';
import { haveQemu } from '../helpers/backends.js';
import { scratch } from '../helpers/fixtures.js';

/** The qemu and qemu-nbd processes whose command line mentions `text`. */
function qemuMentioning(text: string): string[] {
  const r = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.includes(text) && /^qemu-(system-|nbd)/.test(basename(l.trim().split(/\s+/)[1] ?? '')));
}

async function failure(p: Promise<unknown>): Promise<GuestkitError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GuestkitError) return e;
    throw e;
  }
  throw new Error('the call succeeded');
}

describe.runIf(haveQemu)('a cancelled appliance call', () => {
  const tmp = scratch();
  const g = new Guestfs({ backend: 'appliance' });
  afterAll(async () => {
    await g.close();
    tmp.cleanup();
  });

  it('times out, is killed in the guest, and the session goes on', async () => {
    const disk = join(tmp.dir, 'disk.img');
    writeFileSync(disk, '');
    truncateSync(disk, 64 * 1024 * 1024);
    await g.setTmpdir(tmp.dir);
    await g.addDrive(disk, { format: 'raw' });
    await g.launch();
    await g.mkfs('ext4', '/dev/sda');
    await g.mount('/dev/sda', '/');

    const saved = process.env.GUESTKIT_CALL_TIMEOUT;
    process.env.GUESTKIT_CALL_TIMEOUT = '2';
    const t0 = Date.now();
    let e: GuestkitError;
    try {
      e = await failure(g.debug('sh', ['sleep 300; echo late']));
    } finally {
      if (saved === undefined) delete process.env.GUESTKIT_CALL_TIMEOUT;
      else process.env.GUESTKIT_CALL_TIMEOUT = saved;
    }
    expect(e.code).toBe('ETIMEDOUT');
    expect(e.command).toBe('debug');
    expect(Date.now() - t0).toBeLessThan(30_000);

    // the next command answers, and the sleep is gone from the guest
    await g.write('/after-timeout', 'written after a timeout\n');
    expect(await g.cat('/after-timeout')).toBe('written after a timeout\n');
    expect(await g.debug('sh', ['ps -o args | grep -c "^sleep 300" || true'])).toBe('0');
  }, 240_000);

  it('is cancelled by an AbortSignal, running or still queued', async () => {
    const ac = new AbortController();
    const running = g.debug('sh', ['sleep 300'], { signal: ac.signal });
    const queued = g.debug('sh', ['echo never'], { signal: ac.signal });
    const after = g.cat('/after-timeout');
    setTimeout(() => ac.abort(), 1000);
    const e1 = await failure(running);
    const e2 = await failure(queued);
    expect([e1.code, e1.command]).toEqual(['ECANCELED', 'debug']);
    expect([e2.code, e2.command]).toEqual(['ECANCELED', 'debug']);
    expect(await after).toBe('written after a timeout\n');
    expect(await g.debug('sh', ['ps -o args | grep -c "^sleep 300" || true'])).toBe('0');

    // a signal already aborted never reaches the guest
    const e3 = await failure(g.cat('/after-timeout', { signal: AbortSignal.abort() }));
    expect([e3.code, e3.command]).toEqual(['ECANCELED', 'cat']);
    expect(await g.ls('/')).toContain('after-timeout');
  }, 120_000);

  it('closes cleanly with no qemu or qemu-nbd left', async () => {
    expect(qemuMentioning(tmp.dir).length).toBeGreaterThan(0);
    await g.close();
    expect(qemuMentioning(tmp.dir)).toEqual([]);
  }, 60_000);
});
