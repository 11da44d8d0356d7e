/**
 * A CI-sized slice of `npm run soak`: one appliance session driven line by line
 * over a pipe through repeated upload / download / checksum / listing cycles,
 * with downloads larger than a stream's buffer to a file and to stdout (a
 * download whose sink was ended before it drained once left the agent
 * connection paused, and the next command never answered). Every command must
 * answer within its deadline and give the right bytes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haveQemu } from '../helpers/backends.js';
import { FishDriver } from '../helpers/fish-driver.js';
import { scratch } from '../helpers/fixtures.js';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

describe.runIf(haveQemu)('a long appliance session', () => {
  const tmp = scratch();
  let fish: FishDriver | undefined;
  afterAll(() => {
    fish?.kill();
    tmp.cleanup();
  });

  it('keeps answering through upload, download and checksum cycles', async () => {
    const disk = join(tmp.dir, 'disk.img');
    writeFileSync(disk, '');
    truncateSync(disk, 64 * 1024 * 1024);
    fish = new FishDriver(['--backend=appliance', '--format=raw', '-a', disk]);
    for (const c of ['run', 'mkfs ext4 /dev/sda', 'mount /dev/sda /']) expect((await fish.send(c, 120_000)).err).toBe('');
    const sizes = [1, 4096, 26 * 1024, 70_000, 1024 * 1024 + 7];
    for (let round = 0; round < 4; round++) {
      for (const size of sizes) {
        const data = Buffer.alloc(size, 0x41 + round);
        const up = join(tmp.dir, `up-${size}`);
        writeFileSync(up, data);
        const f = `/f-${size}`;
        expect((await fish.send(`upload ${up} ${f}`)).err).toBe('');
        const down = join(tmp.dir, `down-${size}`);
        expect((await fish.send(`download ${f} ${down}`)).err).toBe('');
        expect(md5(readFileSync(down))).toBe(md5(data));
        expect((await fish.send(`checksum md5 ${f}`)).out.trim()).toBe(md5(data));
        expect((await fish.send(`ls /`)).out).toContain(`f-${size}\n`);
        if (size < 100_000) expect((await fish.send(`download ${f} -`)).out).toBe(data.toString('latin1'));
      }
    }
    expect(await fish.close()).toBe(0);
  }, 600_000);
});
