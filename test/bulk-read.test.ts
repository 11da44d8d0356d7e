/**
 * The bulk listing commands print what guestfish prints for the same script on the
 * diff-a.img fixture (test/golden/diff/guestfish__*.out). st_dev is the one field that
 * cannot match: it is the appliance kernel's number for the disk, which varies between
 * libguestfs runs (8:16 in the capture) and between backends, so it is normalised.
 * readdir is "in no particular order": its entries are compared as a set.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runFish } from './helpers/fish-run.js';
import { FIXTURES, GOLDEN } from './helpers/fixtures.js';

const DIR = join(GOLDEN, 'diff');
const img = join(FIXTURES, 'diff-a.img');
const noDev = (s: string) => s.replace(/st_dev: \d+/g, 'st_dev: N');
const dirents = (s: string) => [...s.matchAll(/ino: (-?\d+)\n\s*ftyp: (.)\n\s*name: (.*)\n/g)].map((m) => `${m[3]} ${m[1]} ${m[2]}`).sort();
const haveQemu = spawnSync('sh', ['-c', 'command -v qemu-system-x86_64']).status === 0;

const backends = (['wasm', 'appliance'] as const).filter((b) => b === 'wasm' || haveQemu);

describe.runIf(existsSync(img))('bulk listing commands match guestfish', () => {
  it.each(backends)('lstatnslist and readlinklist (%s)', async (backend) => {
    const script = `add-drive-ro ${img}\nrun\nmount-ro /dev/sda /\n` + readFileSync(join(DIR, 'guestfish__bulk.gf'), 'utf8');
    const r = await runFish(backend, script);
    expect(r.err).toBe('');
    expect(noDev(r.out)).toBe(noDev(readFileSync(join(DIR, 'guestfish__bulk.out'), 'utf8')));
  }, 120000);

  it.each(backends)('readdir: ".", "..", every entry with its inode and type letter (%s)', async (backend) => {
    const r = await runFish(backend, `add-drive-ro ${img}\nrun\nmount-ro /dev/sda /\nreaddir /etc\n`);
    expect(r.err).toBe('');
    expect(dirents(r.out)).toEqual(dirents(readFileSync(join(DIR, 'guestfish__readdir_etc.out'), 'utf8')));
  }, 120000);

  it('readdir of a missing directory and of a file: the errno as guestfish reports it', async () => {
    const r = await runFish('wasm', `add-drive-ro ${img}\nrun\nmount-ro /dev/sda /\n-readdir /nope\n-readdir /etc/hostname\n`);
    expect(r.err).toMatch(/readdir: \/nope: No such file or directory\n.*readdir: \/etc\/hostname: Not a directory\n/);
  });

  it('lgetxattrs and lxattrlist: not supported by the wasm backend', async () => {
    const r = await runFish('wasm', `add-drive-ro ${img}\nrun\nmount-ro /dev/sda /\n-lgetxattrs /etc\n-lxattrlist /etc "hostname"\n`);
    expect(r.err.match(/not supported by the wasm backend: use --backend=appliance/g)).toHaveLength(2);
  });
});
