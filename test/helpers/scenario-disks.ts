/**
 * The disks the shared scenarios run on, made from plain files with host tools
 * (no root mounts): an NTFS volume, a FAT ESP, an LVM disk (GPT, PV on partition
 * 2, VG "fedora" with LVs root (ext4) and swap), a blank disk, and a writable copy
 * of ext4.img holding a Windows SOFTWARE hive.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RawFileDevice } from '../../src/block/raw-file.js';
import { SliceDevice } from '../../src/block/slice.js';
import { buildWindowsSoftwareHive } from '../../fixtures/hive/index.js';
import { writeLvm } from '../../src/lvm/index.js';
import { copyFixture } from './fixtures.js';

const MiB = 1024 * 1024;

export interface ScenarioDisks {
  /** Writable copy of ext4.img (whole-disk ext4). */
  ext4: string;
  ntfs: string;
  fat: string;
  lvm: string;
  /** 64 MiB of zeroes, for the partitioning and mkfs scenarios. */
  blank: string;
  /** A SOFTWARE hive on the host, to upload. */
  hive: string;
}

export async function makeScenarioDisks(dir: string): Promise<ScenarioDisks> {
  const ext4 = copyFixture('ext4.img', dir);

  const ntfs = join(dir, 'ntfs.img');
  execFileSync('truncate', ['-s', '32M', ntfs]);
  execFileSync('mkntfs', ['-F', '-q', '-f', '-L', 'WinDisk', ntfs], { stdio: 'ignore' });
  writeFileSync(join(dir, 'h.txt'), 'hello ntfs\r\n');
  execFileSync('ntfscp', ['-q', ntfs, join(dir, 'h.txt'), 'Hello.TXT'], { stdio: 'ignore' });

  const fat = join(dir, 'esp.img');
  execFileSync('mkfs.vfat', ['-C', '-n', 'ESP', '-i', '12345678', fat, '16384'], { stdio: 'ignore' });
  mkdirSync(join(dir, 'EFI', 'debian'), { recursive: true });
  writeFileSync(join(dir, 'EFI', 'debian', 'grubx64.efi'), 'grub\n');
  execFileSync('mcopy', ['-i', fat, '-s', join(dir, 'EFI'), '::/']);

  const lvm = join(dir, 'lvm.img');
  execFileSync('truncate', ['-s', '48M', lvm]);
  execFileSync('sfdisk', ['-q', lvm], { input: 'label: gpt\nstart=2048, size=16384\nstart=18432, size=77824, type=E6D6D379-F507-44C2-A23C-238F2A3DF928\n' });
  const dev = await RawFileDevice.open(lvm, { readOnly: false });
  const pv = new SliceDevice(dev, 18432 * 512, 77824 * 512, { name: '/dev/sda2' });
  const written = await writeLvm({ vgName: 'fedora', pvs: [{ dev: pv }], lvs: [{ name: 'root', size: 16 * MiB }, { name: 'swap', size: 4 * MiB }] });
  await dev.close();
  const tree = join(dir, 'lvroot');
  mkdirSync(join(tree, 'etc'), { recursive: true });
  writeFileSync(join(tree, 'etc', 'hostname'), 'fedora-guest\n');
  const fsImg = join(dir, 'lvroot.ext4');
  execFileSync('truncate', ['-s', '16M', fsImg]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'lvroot', '-U', '55555555-0000-0000-0000-000000000001', '-d', tree, fsImg]);
  const rootLv = written.lvs.find((l) => l.name === 'root')!;
  const offset = written.pvLayout[0]!.peStart + rootLv.segments[0]!.stripes[0]!.startExtent * written.extentSize;
  const fd = openSync(lvm, 'r+');
  writeSync(fd, readFileSync(fsImg), 0, 16 * MiB, 18432 * 512 + offset);
  closeSync(fd);

  const blank = join(dir, 'blank.img');
  execFileSync('truncate', ['-s', '64M', blank]);

  const hive = join(dir, 'SOFTWARE');
  writeFileSync(hive, buildWindowsSoftwareHive());
  return { ext4, ntfs, fat, lvm, blank, hive };
}
