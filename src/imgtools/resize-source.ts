/**
 * The facts virt-resize reads from the source disk, read in process: the
 * partition table type, the primary partitions (MBR logical partitions travel
 * inside their extended partition) with their attributes, and what each holds.
 */
import type { BlockDevice } from '../block/block-device.js';
import { SliceDevice } from '../block/slice.js';
import { ErrnoError } from '../errors/index.js';
import { readPvLabel } from '../lvm/label.js';
import { getDiskGuid, getGptAttributes } from '../partition/partition-editor.js';
import { readPartitionTable } from '../partition/partition-table.js';
import { probeDevice } from '../probe/probe.js';
import type { Content, SourcePartition } from './resize-plan.js';

export interface ResizeSource {
  tableType: 'msdos' | 'gpt';
  diskGuid?: string;
  partitions: SourcePartition[];
}

const le32 = (b: Uint8Array, o: number) => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;

/** What a partition holds; filesystem sizes from the superblock where read in process, else the partition's size. */
async function contentOf(part: BlockDevice): Promise<Content> {
  const { type } = await probeDevice(part);
  if (type === '' || type === 'unknown') return { kind: 'unknown' };
  if (type === 'swap') return { kind: 'swap' };
  if (type === 'LVM2_member') {
    const label = await readPvLabel(part);
    return { kind: 'pv', size: label?.deviceSize || part.size };
  }
  if (type.startsWith('ext')) {
    const sb = await part.read(1024, 1024);
    const blocks = le32(sb, 4) + ((le32(sb, 0x60) & 0x80) !== 0 ? le32(sb, 0x150) * 0x100000000 : 0);
    return { kind: 'fs', fstype: type, size: blocks * (1024 << le32(sb, 0x18)) };
  }
  return { kind: 'fs', fstype: type, size: part.size };
}

export async function readResizeSource(disk: BlockDevice, name: string): Promise<ResizeSource> {
  const table = await readPartitionTable(disk);
  if (!table) throw new ErrnoError('EINVAL', `${name}: unknown partition table type: virt-resize only supports MBR (DOS) and GPT partition tables.`);
  const gpt = table.type === 'gpt';
  const partitions: SourcePartition[] = [];
  for (const p of table.partitions) {
    if (!gpt && p.number > 4) continue;
    const extended = !gpt && (p.mbrType === 0x05 || p.mbrType === 0x0f);
    partitions.push({
      name: `/dev/sda${p.number}`,
      number: p.number,
      start: p.start,
      size: p.size,
      bootable: !!p.bootable,
      ...(gpt ? { gptType: p.gptType, gptGuid: p.gptGuid, gptName: p.gptName ?? '', gptAttributes: await getGptAttributes(disk, p.number) } : { mbrId: p.mbrType }),
      content: extended ? { kind: 'extended' } : await contentOf(new SliceDevice(disk, p.start, p.size, { name: `/dev/sda${p.number}`, readOnly: true })),
    });
  }
  partitions.sort((a, b) => a.start - b.start);
  return { tableType: table.type, ...(gpt ? { diskGuid: await getDiskGuid(disk) } : {}), partitions };
}
