import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { RawFileDevice } from '../../../../src/block/raw-file.js';
import { readPartitionTable } from '../../../../src/partition/partition-table.js';
import { probeDevice } from '../../../../src/probe/probe.js';
import { SliceDevice } from '../../../../src/block/slice.js';

const out = fileURLToPath(new URL('../../../../fixtures/out/', import.meta.url));

async function table(file: string) {
  const dev = await RawFileDevice.open(out + file, { readOnly: true });
  try {
    return { table: await readPartitionTable(dev), dev };
  } finally {
    await dev.close();
  }
}

describe('partition tables', () => {
  it('finds no table on a whole-disk filesystem', async () => {
    expect((await table('ext4.img')).table).toBeNull();
  });
  it('reads MBR primaries, the extended partition and logicals from 5', async () => {
    const { table: t } = await table('mbr.img');
    expect(t?.type).toBe('msdos');
    expect(t!.partitions.map((p) => [p.number, p.start / 512, p.size / 512, p.extended])).toEqual([
      [1, 2048, 32768, false],
      [2, 34816, 45056, true],
      [5, 36864, 16384, false],
      [6, 55296, 16384, false],
    ]);
  });
  it('reads GPT entries with names and GUIDs', async () => {
    const { table: t } = await table('gpt.img');
    expect(t?.type).toBe('gpt');
    expect(t!.partitions.map((p) => [p.number, p.start / 512, p.size / 512, p.gptName, p.gptGuid])).toEqual([
      [1, 2048, 16384, 'boot', '3A1B2C3D-0000-4000-8000-000000000001'],
      [2, 18432, 49152, 'root', '3A1B2C3D-0000-4000-8000-000000000002'],
    ]);
    expect(t!.partitions[0]!.gptType).toBe('0FC63DAF-8483-4772-8E79-3D69D8477DE4');
  });
  it('probes ext2/3/4 type, label and UUID like blkid', async () => {
    for (const [file, type] of [['ext2.img', 'ext2'], ['ext3.img', 'ext3'], ['ext4.img', 'ext4']] as const) {
      const dev = await RawFileDevice.open(out + file, { readOnly: true });
      expect(await probeDevice(dev)).toEqual({ type, label: `${type}-label`, uuid: `11111111-2222-3333-4444-00000000000${type.slice(3)}` });
      await dev.close();
    }
    const dev = await RawFileDevice.open(out + 'mbr.img', { readOnly: true });
    const p5 = new SliceDevice(dev, 36864 * 512, 16384 * 512);
    expect((await probeDevice(p5)).type).toBe('ext3');
    expect((await probeDevice(dev)).type).toBe('');
    await dev.close();
  });
});
