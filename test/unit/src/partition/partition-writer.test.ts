/** The partition-table writer against its own reader and the host's sfdisk/sgdisk. */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawFileDevice } from '../../../../src/block/raw-file.js';
import { scratch } from '../../../helpers/fixtures.js';
import { readPartitionTable } from '../../../../src/partition/partition-table.js';
import { addPartition, crc32, initPartitionTable, parsePartType, parsePrlogex, partitionWholeDisk } from '../../../../src/partition/partition-writer.js';

const haveSgdisk = spawnSync('sgdisk', ['--version']).status === 0;

describe('partition-table writer', () => {
  let tmp: ReturnType<typeof scratch>;
  let img: string;
  beforeAll(() => {
    tmp = scratch();
    img = join(tmp.dir, 'disk.img');
    execFileSync('truncate', ['-s', '32M', img]);
  });
  afterAll(() => tmp.cleanup());

  const withDisk = async (fn: (d: RawFileDevice) => Promise<void>) => {
    const d = await RawFileDevice.open(img, { readOnly: false });
    try {
      await fn(d);
    } finally {
      await d.close();
    }
  };

  it('computes the IEEE CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('names the table and partition kinds libguestfs accepts', () => {
    expect([parsePartType('mbr'), parsePartType('msdos'), parsePartType('efi'), parsePartType('gpt')]).toEqual(['msdos', 'msdos', 'gpt', 'gpt']);
    expect(() => parsePartType('loop')).toThrow(/unknown or unsupported partition table type/);
    expect([parsePrlogex('p'), parsePrlogex('extended'), parsePrlogex('l')]).toEqual(['primary', 'extended', 'logical']);
    expect(() => parsePrlogex('x')).toThrow(/must be "p"/);
  });

  it.runIf(haveSgdisk)('writes a GPT that sgdisk verifies, and refuses overlaps and out-of-range sectors', async () => {
    await withDisk(async (d) => {
      await initPartitionTable(d, 'gpt');
      expect(await readPartitionTable(d)).toEqual({ type: 'gpt', partitions: [] });
      await addPartition(d, 'primary', 2048, 4095);
      await addPartition(d, 'primary', 4096, -34);
      await expect(addPartition(d, 'primary', 3000, 3500)).rejects.toThrow(/overlaps/);
      await expect(addPartition(d, 'primary', 10, 20)).rejects.toThrow(/outside the usable sectors 34-65502/);
      await expect(addPartition(d, 'primary', 5000, 70000)).rejects.toThrow(/outside the device/);
      const t = (await readPartitionTable(d))!;
      expect(t.partitions.map((p) => [p.number, p.start / 512, p.size / 512, p.gptName])).toEqual([[1, 2048, 2048, 'primary'], [2, 4096, 61407, 'primary']]);
    });
    expect(execFileSync('sgdisk', ['-v', img], { encoding: 'utf8' })).toMatch(/No problems found/);
  });

  it('writes MBR primaries, an extended partition and chained logicals as sfdisk reads them', async () => {
    await withDisk(async (d) => {
      await initPartitionTable(d, 'msdos');
      expect(await readPartitionTable(d)).toEqual({ type: 'msdos', partitions: [] });
      await expect(addPartition(d, 'logical', 4096, 8191)).rejects.toThrow(/needs an extended partition/);
      await addPartition(d, 'primary', 2048, 4095);
      await addPartition(d, 'extended', 4096, -1);
      await expect(addPartition(d, 'extended', 60000, 61000)).rejects.toThrow(/extended partition already/);
      await expect(addPartition(d, 'logical', 4096, 8191)).rejects.toThrow(/after its EBR sector/);
      await addPartition(d, 'logical', 6144, 10239);
      await addPartition(d, 'logical', 12288, 20479);
      await expect(addPartition(d, 'logical', 20000, 30000)).rejects.toThrow(/overlaps/);
      await addPartition(d, 'logical', 22528, -1);
      await addPartition(d, 'primary', 1, 2047);
      await expect(addPartition(d, 'primary', 1, 2)).rejects.toThrow(/overlaps/);
    });
    const dump = execFileSync('sfdisk', ['-d', img], { encoding: 'utf8' });
    expect(dump.replace(/^.*disk\.img/gm, 'p')).toMatch(
      /p1 : start=\s+2048, size=\s+2048, type=83\np2 : start=\s+4096, size=\s+61440, type=f\np3 : start=\s+1, size=\s+2047, type=83\np5 : start=\s+6144, size=\s+4096, type=83\np6 : start=\s+12288, size=\s+8192, type=83\np7 : start=\s+22528, size=\s+43008, type=83\n/,
    );
  });

  it('partitions a whole disk as libguestfs does (sectors 128 to N-128)', async () => {
    await withDisk(async (d) => {
      await partitionWholeDisk(d, 'msdos');
      const t = (await readPartitionTable(d))!;
      expect(t.partitions.map((p) => [p.start / 512, p.size / 512, p.mbrType])).toEqual([[128, 65536 - 128 - 128 + 1, 0x83]]);
    });
  });
});
