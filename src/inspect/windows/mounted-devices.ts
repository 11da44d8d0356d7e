/**
 * HKLM\SYSTEM\MountedDevices: which partition each drive letter names.
 * A "\DosDevices\C:" value holds either 12 bytes (MBR disks: the 4-byte disk
 * signature, then the partition's start in bytes as a 64-bit little-endian
 * number) or "DMIO:ID:" followed by the GPT partition's unique GUID (16 bytes,
 * first three fields little-endian). Matching follows libguestfs: the MBR form
 * finds the first msdos-labelled disk whose signature (bytes 440..443) matches,
 * then its partition starting at that offset; the GPT form finds the partition
 * with that GUID on a gpt-labelled disk.
 */
import type { CallFn } from '../guest-reader.js';
import type { DeviceIndex } from '../device-index.js';
import { readPartitionTableByPread } from './pread-partitions.js';

export type MountedDevice =
  | { kind: 'mbr'; /** The disk signature's 4 bytes as stored. */ signature: Uint8Array; /** Partition start in bytes. */ offset: number }
  | { kind: 'gpt'; /** Lowercase, dashed. */ guid: string };

const REG_BINARY = 3;
const GPT_PREFIX = 'DMIO:ID:';

/** The drive letter a MountedDevices value name is for ("\DosDevices\C:" → "C"), or null. */
export function driveLetterOf(valueName: string): string | null {
  if (valueName.length < 14) return null;
  if (valueName.slice(0, 12).toLowerCase() !== '\\dosdevices\\') return null;
  const letter = valueName[12]!;
  return /^[A-Za-z]$/.test(letter) && valueName[13] === ':' ? letter : null;
}

/** The GUID of a "DMIO:ID:" blob as libguestfs prints GPT GUIDs (lowercase). */
function guidOf(b: Uint8Array): string {
  const h = (from: number, to: number, reverse: boolean): string => {
    const part = Array.from(b.subarray(from, to), (x) => x.toString(16).padStart(2, '0'));
    return (reverse ? part.reverse() : part).join('');
  };
  return `${h(8, 12, true)}-${h(12, 14, true)}-${h(14, 16, true)}-${h(16, 18, false)}-${h(18, 24, false)}`;
}

/** Decodes one MountedDevices value; null for forms that name no partition (volume GUID strings, removable media). */
export function decodeMountedDevice(type: number, data: Uint8Array): MountedDevice | null {
  if (type !== REG_BINARY) return null;
  if (data.length >= 24 && String.fromCharCode(...data.subarray(0, 8)) === GPT_PREFIX) return { kind: 'gpt', guid: guidOf(data) };
  if (data.length === 12) {
    const offset = new DataView(data.buffer, data.byteOffset, 12).getBigUint64(4, true);
    if (offset > BigInt(Number.MAX_SAFE_INTEGER)) return null;
    return { kind: 'mbr', signature: data.slice(0, 4), offset: Number(offset) };
  }
  return null;
}

async function quiet<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch {
    return undefined;
  }
}

/** What drive-letter matching needs of one disk's partition table. */
interface DiskTable {
  type: string;
  partitions: { num: number; start: number; guid?: string }[];
}

const isNotSupported = (e: unknown): boolean => (e as { code?: string } | null)?.code === 'ENOTSUP';

/**
 * Resolves decoded MountedDevices entries to our partition names through the command
 * table (part-get-parttype, pread-device, part-list, part-get-gpt-guid). Where the
 * backend has no part-* commands, the table is parsed from sectors read with
 * pread-device. A disk these cannot read is skipped, as libguestfs ignores parted's
 * errors on empty disks.
 */
export class MountedDeviceResolver {
  private readonly tables = new Map<string, Promise<DiskTable | undefined>>();

  constructor(private readonly call: CallFn, private readonly index: DeviceIndex) {}

  private table(device: string): Promise<DiskTable | undefined> {
    let t = this.tables.get(device);
    if (!t) {
      t = this.readTable(device);
      this.tables.set(device, t);
    }
    return t;
  }

  private async readTable(device: string): Promise<DiskTable | undefined> {
    let type: string;
    try {
      type = (await this.call('part-get-parttype', [device])) as string;
    } catch (e) {
      return isNotSupported(e) ? this.readTableByPread(device) : undefined;
    }
    const list = ((await quiet(this.call('part-list', [device]))) ?? []) as { part_num: number; part_start: number }[];
    const partitions: DiskTable['partitions'] = [];
    for (const p of list) {
      const num = Number(p.part_num);
      const guid = type === 'gpt' ? ((await quiet(this.call('part-get-gpt-guid', [device, num]))) as string | undefined) : undefined;
      partitions.push({ num, start: Number(p.part_start), guid });
    }
    return { type, partitions };
  }

  private async readTableByPread(device: string): Promise<DiskTable | undefined> {
    const t = await quiet(readPartitionTableByPread(this.call, device));
    if (!t) return undefined;
    return {
      type: t.type,
      partitions: t.partitions.map((p) => ({ num: p.number, start: p.start, guid: p.gptGuid?.toLowerCase() })),
    };
  }

  async resolve(md: MountedDevice): Promise<string | undefined> {
    return md.kind === 'mbr' ? this.resolveMbr(md.signature, md.offset) : this.resolveGpt(md.guid);
  }

  private async resolveMbr(signature: Uint8Array, offset: number): Promise<string | undefined> {
    for (const dev of this.index.devices) {
      const t = await this.table(dev);
      if (t?.type !== 'msdos') continue;
      const sig = (await quiet(this.call('pread-device', [dev, 4, 440]))) as Uint8Array | undefined;
      if (!sig || sig.length !== 4 || !sig.every((b, i) => b === signature[i])) continue;
      // The first disk with this signature decides, as in libguestfs.
      const p = t.partitions.find((x) => x.start === offset);
      return p ? `${dev}${p.num}` : undefined;
    }
    return undefined;
  }

  private async resolveGpt(guid: string): Promise<string | undefined> {
    for (const dev of this.index.devices) {
      const t = await this.table(dev);
      if (t?.type !== 'gpt') continue;
      const p = t.partitions.find((x) => x.guid !== undefined && x.guid.toLowerCase() === guid);
      if (p) return `${dev}${p.num}`;
    }
    return undefined;
  }
}
