/** LVM through the library: PVs found on partitions, LVs mounted as /dev/VG/LV. */
import { execFileSync } from 'node:child_process';
import { openSync, writeSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { RawFileDevice } from '../src/block/raw-file.js';
import { SliceDevice } from '../src/block/slice.js';
import { writeLvm } from '../src/lvm/index.js';
import { scratch } from './helpers/fixtures.js';

const MiB = 1024 * 1024;

describe('LVM on the wasm backend', () => {
  let tmp: ReturnType<typeof scratch>;
  let disk: string;
  beforeAll(async () => {
    tmp = scratch();
    disk = join(tmp.dir, 'lvm.img');
    // GPT: sda1 = 8 MiB ext2 /boot, sda2 = the PV holding VG "fedora" with LVs root (16 MiB) and swap (4 MiB).
    execFileSync('truncate', ['-s', '48M', disk]);
    execFileSync('sfdisk', ['-q', disk], { input: 'label: gpt\nstart=2048, size=16384\nstart=18432, size=77824, type=E6D6D379-F507-44C2-A23C-238F2A3DF928\n' });
    const dev = await RawFileDevice.open(disk, { readOnly: false });
    const pv = new SliceDevice(dev, 18432 * 512, 77824 * 512, { name: '/dev/sda2' });
    const written = await writeLvm({ vgName: 'fedora', pvs: [{ dev: pv }], lvs: [{ name: 'root', size: 16 * MiB }, { name: 'swap', size: 4 * MiB }] });
    await dev.close();
    const tree = join(tmp.dir, 'root');
    execFileSync('mkdir', ['-p', join(tree, 'etc')]);
    execFileSync('sh', ['-c', `echo fedora-guest > ${join(tree, 'etc', 'hostname')}`]);
    const fsImg = join(tmp.dir, 'root.ext4');
    execFileSync('truncate', ['-s', '16M', fsImg]);
    execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'root', '-d', tree, fsImg]);
    // Copy the filesystem into the root LV's first extent range.
    const rootLv = written.lvs.find((l) => l.name === 'root')!;
    const offset = written.pvLayout[0]!.peStart + rootLv.segments[0]!.stripes[0]!.startExtent * written.extentSize;
    const fd = openSync(disk, 'r+');
    writeSync(fd, readFileSync(fsImg), 0, 16 * MiB, 18432 * 512 + offset);
    closeSync(fd);
  });
  afterAll(() => tmp.cleanup());

  it('lists PVs, VGs and LVs and mounts an LV by either name', async () => {
    const g = new Guestfs();
    g.addDrive(disk, { readonly: true });
    await g.launch();
    expect(await g.pvs()).toEqual(['/dev/sda2']);
    expect(await g.vgs()).toEqual(['fedora']);
    expect(await g.lvs()).toEqual(['/dev/fedora/root', '/dev/fedora/swap']);
    const fses = await g.listFilesystems();
    expect(fses['/dev/fedora/root']).toBe('ext4');
    expect(fses['/dev/sda2']).toBeUndefined();
    expect((await g.lvsFull()).map((l) => [l.lv_name, l.lv_size])).toEqual([['root', 16 * MiB], ['swap', 4 * MiB]]);
    await g.mountRo('/dev/mapper/fedora-root', '/');
    expect(await g.cat('/etc/hostname')).toBe('fedora-guest\n');
    expect(await g.mounts()).toEqual(['/dev/mapper/fedora-root']);
    await g.close();
  });
});
