/**
 * ll on the wasm backend: the worker packs the listing (packed-listing.ts) and
 * ls-la.ts formats its columns. Symlink targets, device numbers (their own
 * major/minor columns), numeric owners and sorting must come out as guestfish
 * prints them: /home/user of ext4.img against the real guestfish's capture,
 * /dev of extra.img against GNU ls -la's layout of character and block devices.
 * lstatnslist comes back packed the same way (StatRows).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { fixture, GOLDEN } from './helpers/fixtures.js';

/** One "===ll DIR===" section of a captured guestfish session. */
function goldenSection(file: string, title: string): string {
  const text = readFileSync(join(GOLDEN, file), 'utf8');
  const start = text.indexOf(`===${title}===\n`) + title.length + 7;
  return text.slice(start, text.indexOf('\n===', start) + 1).replace(/\n\n$/, '\n');
}

async function session(img: string): Promise<Guestfs> {
  const g = new Guestfs({ backend: 'wasm' });
  await g.addDrive(fixture(img), { format: 'raw', readonly: true });
  await g.launch();
  await g.mountRo('/dev/sda', '/');
  return g;
}

describe('ll (wasm backend)', () => {
  let ext4: Guestfs, extra: Guestfs;
  beforeAll(async () => {
    ext4 = await session('ext4.img');
    extra = await session('extra.img');
  });
  afterAll(async () => {
    await ext4.close();
    await extra.close();
  });

  it('lists symlinks with their targets, as guestfish does', async () => {
    expect(await ext4.ll('/home/user')).toBe(goldenSection('guestfish__ext4-ro.out', 'll /home/user'));
  });

  it('gives device numbers their major and minor columns inside the size column', async () => {
    expect(await extra.ll('/dev')).toBe([
      'total 2',
      'drwxr-xr-x 2 0 0         1024 Nov 14  2023 .',
      'drwxr-xr-x 7 0 0         1024 Nov 14  2023 ..',
      'crw-r--r-- 1 0 0 259, 1048575 Nov 14  2023 big',
      'prw-r--r-- 1 0 0            0 Nov 14  2023 fifo',
      'crw-r--r-- 1 0 0   1,       3 Nov 14  2023 null',
      'brw-r--r-- 1 0 0   8,       0 Nov 14  2023 sda',
      '',
    ].join('\n'));
  });

  it('lstatnslist: each name as lstatns has it, "." and ".." and repeated names too; a missing one gets st_ino -1', async () => {
    const names = ['hello.txt', 'dangling', '.', '..', 'hello.txt', 'missing', 'docs'];
    const got = await ext4.lstatnslist('/home/user', names);
    expect(got).toHaveLength(names.length);
    for (const [i, n] of names.entries()) {
      if (n === 'missing') expect(got[i]).toMatchObject({ st_ino: -1, st_size: 0, st_mode: 0 });
      else expect(got[i]).toEqual(await ext4.lstatns(`/home/user/${n}`));
    }
  });

  it('lists a single file by its appliance path, without a total', async () => {
    expect(await ext4.ll('/home/user/hello.txt')).toBe('-rw-r--r-- 1 1000 1000 13 Nov 14  2023 /sysroot/home/user/hello.txt\n');
  });
});
