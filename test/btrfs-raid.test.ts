/**
 * Multi-device btrfs read in process: RAID0, RAID1, RAID10 and RAID1C3 (data and
 * metadata) on 2-4 image files (fixtures/make-btrfs-raid.sh: mkfs.btrfs, then the
 * appliance copies a tree in), read back against the tree's MD5s, through the
 * driver and through guestkit with every device added (-a d1 -a d2 ...). A missing
 * device is one line naming its devid and uuid. A RAID1 mirror with a corrupted
 * data sector or tree block is read from the good copy (checksum mismatch → the
 * other mirror), as the kernel does; both copies bad is an error, never bad data.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openBtrfs, type BtrfsDriver } from '../src/fs/btrfs/btrfs-driver.js';
import { ITEM } from '../src/fs/btrfs/items.js';
import type { SyncDevice } from '../src/fs/fs-driver.js';
import { fixture } from './helpers/fixtures.js';
import { runCli } from './helpers/cli.js';
import { FileDevice } from './helpers/host-tools.js';
import { PatchedDevice } from './helpers/patched-device.js';

const PROFILES = { raid0: 2, raid1: 2, raid10: 4, raid1c3: 3 } as const;
const truth = JSON.parse(readFileSync(fixture('btrfs-raid.json'), 'utf8')) as Record<string, string>;
const images = (p: keyof typeof PROFILES) => Array.from({ length: PROFILES[p] }, (_, i) => fixture(`btrfs-${p}-${i + 1}.img`));
const opened: FileDevice[] = [];
const devicesOf = (p: keyof typeof PROFILES) => images(p).map((f) => { const d = new FileDevice(f, true); opened.push(d); return d; });
afterAll(() => opened.forEach((d) => d.close()));

function lookup(fs: BtrfsDriver, path: string): number {
  let ino = fs.rootIno;
  for (const part of path.split('/').filter(Boolean)) ino = fs.lookup(ino, part);
  return ino;
}
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const readAll = (fs: BtrfsDriver, path: string) => { const ino = lookup(fs, path); return fs.read(ino, 0, fs.getattr(ino).size); };

/** A device with `count` bytes at `at` flipped. */
const flipped = (dev: SyncDevice, at: number, count: number) => new PatchedDevice(dev, new Map(Array.from({ length: count }, (_, i) => [at + i, 0x5a])));

describe('multi-device btrfs (RAID profiles)', () => {
  for (const p of Object.keys(PROFILES) as (keyof typeof PROFILES)[]) {
    it(`${p}: every file reads as written, whichever device is opened first`, () => {
      const devs = devicesOf(p);
      for (const first of [0, devs.length - 1]) {
        const fs = openBtrfs(devs[first]!, { readOnly: true }, devs.filter((_, i) => i !== first));
        for (const [path, sum] of Object.entries(truth)) expect(md5(readAll(fs, path)), `${p} ${path}`).toBe(sum);
        fs.close();
      }
    });
  }

  it('a missing device is one error naming its devid and uuid', () => {
    const [d1] = devicesOf('raid10');
    expect(() => openBtrfs(d1!, { readOnly: true }, [])).toThrow(/^btrfs: devid 2 \(uuid [0-9a-f-]{36}\), devid 3 \(uuid [0-9a-f-]{36}\), devid 4 \(uuid [0-9a-f-]{36}\) of filesystem [0-9a-f-]{36} are missing: add every device of the filesystem \(-a\)$/);
  });

  it('RAID1: a corrupted data sector and a corrupted tree block in the copy read first are read from the other', () => {
    const [d1, d2] = devicesOf('raid1');
    const clean = openBtrfs(d1!, { readOnly: true }, [d2!]);
    const byDevid = new Map<number, SyncDevice>([[clean.sb.devid, d1!], [clean.sb.devid === 1 ? 2 : 1, d2!]]);
    const ino = lookup(clean, '/big.bin');
    const { root } = clean.subvolumes.tree(clean.subvolId);
    const extent = clean.reader.items(root, ino % 2 ** 32, ITEM.EXTENT_DATA)[0]!.data;
    const sector = Number(new DataView(extent.buffer, extent.byteOffset).getBigUint64(21, true)) + 8192;
    const [dataFirst, dataSecond] = clean.chunks.map(sector, 1)[0]!.copies;
    const [leafFirst] = clean.chunks.map(root.bytenr, 1)[0]!.copies;
    clean.close();
    // corrupt what a read takes first (copy 0): a data sector of the file, the subvolume's root block
    const patched = new Map(byDevid);
    patched.set(dataFirst!.devid, flipped(patched.get(dataFirst!.devid)!, dataFirst!.physical + 100, 64));
    patched.set(leafFirst!.devid, flipped(patched.get(leafFirst!.devid)!, leafFirst!.physical + 0x200, 16));
    const open = (m: Map<number, SyncDevice>) => { const [a, ...rest] = [...m.values()]; return openBtrfs(a!, { readOnly: true }, rest); };
    const fs = open(patched);
    for (const [path, sum] of Object.entries(truth)) expect(md5(readAll(fs, path)), path).toBe(sum);
    fs.close();
    // both copies of the sector bad: an error, never bad bytes
    patched.set(dataSecond!.devid, flipped(patched.get(dataSecond!.devid)!, dataSecond!.physical + 100, 64));
    expect(() => readAll(open(patched), '/big.bin')).toThrow(/checksum mismatch on every copy/);
  });
});

describe('multi-device btrfs through guestkit', () => {
  it('cat and ls with every device added (-a d1 -a d2 ...), on the wasm backend', async () => {
    const adds = images('raid10').flatMap((f) => ['-a', f]);
    const cat = await runCli(['cat', '--backend=wasm', ...adds, '-m', '/dev/sda', '/inline.txt']);
    expect(cat.err).toBe('');
    expect(md5(Buffer.from(cat.out))).toBe(truth['/inline.txt']);
    const ls = await runCli(['ls', '--backend=wasm', ...adds, '-m', '/dev/sdc', '/']);
    expect(ls.out).toBe('big.bin\ndir\ninline.txt\n');
  });

  it('a device left out: one line naming the missing devid and uuid', async () => {
    const [first] = images('raid1');
    const r = await runCli(['cat', '--backend=wasm', '-a', first!, '-m', '/dev/sda', '/inline.txt']);
    expect(r.status).not.toBe(0);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/btrfs: devid 2 \(uuid [0-9a-f-]{36}\) of filesystem [0-9a-f-]{36} is missing: add every device of the filesystem \(-a\)\n$/);
  });
});
