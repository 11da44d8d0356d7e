/**
 * guestkit fish runs each line as it arrives: a program writes a command, waits
 * for its output, then writes the next. Under --backend=auto a command only the
 * appliance runs, arriving mid-session, moves the session there (drives, mounts
 * and written data kept) or, when its state cannot move, fails alone.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultCacheDir } from '../src/backend/appliance/build.js';
import { haveQemu, TEST_BACKENDS } from './helpers/backends.js';
import { FishDriver } from './helpers/fish-driver.js';
import { copyFixture, fixture, scratch } from './helpers/fixtures.js';

let tmp: ReturnType<typeof scratch>;
let fish: FishDriver | undefined;
beforeEach(() => { tmp = scratch(); });
afterEach(() => { fish?.kill(); fish = undefined; tmp.cleanup(); });

describe.each(TEST_BACKENDS)('a fish session driven line by line (%s)', (backend) => {
  it('answers each of 50 commands before the next is written', async () => {
    const disk = copyFixture('ext4.img', tmp.dir);
    fish = new FishDriver(['--backend', backend, '-a', disk]);
    let commands = 0;
    const send = async (line: string) => { commands++; return fish!.send(line, 120_000); };
    expect(await send('run')).toEqual({ out: '', err: '' });
    await send('mount /dev/sda /');
    expect((await send('mounts')).out).toBe('/dev/sda\n');
    expect((await send('cat /etc/hostname')).out).toBe('guestkit-test\n\n'); // the file's text, then fish's newline
    for (let i = 0; commands < 50; i++) {
      // Each answer depends on the command before it: nothing can have been read ahead.
      await send(`write /f${i} "line ${i}"`);
      expect((await send(`cat /f${i}`)).out).toBe(`line ${i}\n`);
    }
    expect(commands).toBe(50);
    expect(await fish.close()).toBe(0);
    expect(fish.stderr).toBe('');
  }, 300_000);
});

describe('--backend=auto meets an appliance-only command mid-session', () => {
  it('keeps the session on wasm and fails only that command when overlay writes would be lost', async () => {
    fish = new FishDriver(['--ro', '-a', fixture('ext4.img')]);
    await fish.send('run');
    await fish.send('mount /dev/sda /');
    await fish.send('write /only-in-overlay "kept"');
    const r = await fish.send('-sh true');
    expect(r).toEqual({ out: '', err: 'guestkit: error: sh: not supported by the wasm backend: use --backend=appliance\n' });
    // The session is intact: the write is still there and the mount still in place.
    expect((await fish.send('cat /only-in-overlay')).out).toBe('kept\n');
    expect((await fish.send('mounts')).out).toBe('/dev/sda\n');
    expect(await fish.close()).toBe(0);
  }, 60_000);

  it.runIf(haveQemu && TEST_BACKENDS.includes('appliance'))('moves to the appliance with its drives, mounts and written data', async () => {
    const busybox = join(defaultCacheDir(), 'busybox-static', 'bin', 'busybox');
    expect(existsSync(busybox)).toBe(true);
    const disk = copyFixture('ext4.img', tmp.dir);
    fish = new FishDriver(['-v', '-a', disk]);
    await fish.send('run');
    expect(fish.stderr).toMatch(/^backend: wasm \(auto: /m);
    await fish.send('mount /dev/sda /');
    await fish.send('mkdir-p /bin');
    await fish.send(`upload ${busybox} /bin/busybox`);
    await fish.send('chmod 0755 /bin/busybox');
    await fish.send('ln-s busybox /bin/sh');
    await fish.send('write /written-by-wasm "from wasm\\n"');
    const r = await fish.send('sh "/bin/busybox cat /written-by-wasm /etc/hostname"', 180_000);
    expect(r.out).toBe('from wasm\nguestkit-test\n\n'); // sh's string, then fish's newline
    expect(r.err).toMatch(/backend: moving to the appliance \(auto: sh runs only in the appliance\)/);
    expect((await fish.send('mounts')).out).toBe('/dev/sda\n');
    expect((await fish.send('cat /written-by-wasm')).out).toBe('from wasm\n\n');
    expect(await fish.close()).toBe(0);
  }, 300_000);
});
