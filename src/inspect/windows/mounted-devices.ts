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

/**
 * Resolves decoded MountedDevices entries to our partition names through the command
 * table (part-get-parttype, pread-device, part-list, part-to-dev, part-to-partnum,
 * part-get-gpt-guid). A disk or partition these commands cannot read is skipped, as
 * libguestfs ignores parted's errors on empty disks.
 */
export class MountedDeviceResolver {
  private readonly parttypes = new Map<string, string | undefined>();

  constructor(private readonly call: CallFn, private readonly index: DeviceIndex) {}

  private async parttype(device: string): Promise<string | undefined> {
    if (!this.parttypes.has(device)) this.parttypes.set(device, (await quiet(this.call('part-get-parttype', [device]))) as string | undefined);
    return this.parttypes.get(device);
  }

  async resolve(md: MountedDevice): Promise<string | undefined> {
    return md.kind === 'mbr' ? this.resolveMbr(md.signature, md.offset) : this.resolveGpt(md.guid);
  }

  private async resolveMbr(signature: Uint8Array, offset: number): Promise<string | undefined> {
    let disk: string | undefined;
    for (const dev of this.index.devices) {
      if ((await this.parttype(dev)) !== 'msdos') continue;
      const sig = (await quiet(this.call('pread-device', [dev, 4, 440]))) as Uint8Array | undefined;
      if (sig && sig.length === 4 && sig.every((b, i) => b === signature[i])) {
        disk = dev;
        break;
      }
    }
    if (!disk) return undefined;
    const parts = ((await quiet(this.call('part-list', [disk]))) ?? []) as { part_num: number; part_start: number }[];
    const p = parts.find((x) => Number(x.part_start) === offset);
    return p ? `${disk}${p.part_num}` : undefined;
  }

  private async resolveGpt(guid: string): Promise<string | undefined> {
    for (const part of this.index.partitions) {
      const dev = (await quiet(this.call('part-to-dev', [part]))) as string | undefined;
      const num = (await quiet(this.call('part-to-partnum', [part]))) as number | undefined;
      if (dev === undefined || num === undefined || (await this.parttype(dev)) !== 'gpt') continue;
      const g = (await quiet(this.call('part-get-gpt-guid', [dev, num]))) as string | undefined;
      if (g !== undefined && g.toLowerCase() === guid) return part;
    }
    return undefined;
  }
}
