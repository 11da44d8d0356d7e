/**
 * MBR (primary, extended, logical) and GPT parsing, in TypeScript. Partitions are
 * numbered as Linux numbers them (and so libguestfs): MBR primaries 1-4 by slot,
 * logicals from 5 in chain order; GPT by entry index + 1.
 */
import type { BlockDevice } from '../block/block-device.js';
import { ImageError } from '../errors/index.js';

export const SECTOR = 512;

export interface Partition {
  /** Partition number as in /dev/sdaN. */
  number: number;
  /** Byte offset and length within the disk. */
  start: number;
  size: number;
  /** MBR type byte (e.g. 0x83) or undefined for GPT. */
  mbrType?: number;
  /** GPT type GUID, upper case, or undefined for MBR. */
  gptType?: string;
  gptGuid?: string;
  gptName?: string;
  bootable?: boolean;
  /** True for an MBR extended partition (it holds logicals, no filesystem). */
  extended: boolean;
}

export interface PartitionTable {
  type: 'msdos' | 'gpt';
  partitions: Partition[];
}

const EXTENDED_TYPES = new Set([0x05, 0x0f, 0x85]);

function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}
function le64(b: Uint8Array, o: number): number {
  return le32(b, o) + le32(b, o + 4) * 0x100000000;
}

/** Formats a mixed-endian GUID the way GPT tools print it. */
export function formatGuid(b: Uint8Array, o: number): string {
  const h = (i: number) => b[o + i]!.toString(16).padStart(2, '0');
  const seq = (idx: number[]) => idx.map(h).join('');
  return `${seq([3, 2, 1, 0])}-${seq([5, 4])}-${seq([7, 6])}-${seq([8, 9])}-${seq([10, 11, 12, 13, 14, 15])}`.toUpperCase();
}

interface MbrEntry {
  bootable: boolean;
  type: number;
  lbaStart: number;
  sectors: number;
}

function mbrEntries(sector: Uint8Array): MbrEntry[] {
  const out: MbrEntry[] = [];
  for (let i = 0; i < 4; i++) {
    const o = 446 + i * 16;
    out.push({ bootable: sector[o] === 0x80, type: sector[o + 4]!, lbaStart: le32(sector, o + 8), sectors: le32(sector, o + 12) });
  }
  return out;
}

/** A FAT/NTFS boot sector: a jump instruction and a BIOS parameter block's sector size. */
function looksLikeBootSector(sector: Uint8Array): boolean {
  const bps = sector[11]! | (sector[12]! << 8);
  return (sector[0] === 0xeb || sector[0] === 0xe9) && [512, 1024, 2048, 4096].includes(bps);
}

function hasMbrSignature(sector: Uint8Array): boolean {
  return sector[510] === 0x55 && sector[511] === 0xaa;
}

/**
 * Reads the partition table of a disk, or returns null when there is none
 * (a whole-disk filesystem, or an empty disk).
 */
export async function readPartitionTable(dev: BlockDevice): Promise<PartitionTable | null> {
  if (dev.size < SECTOR * 2) return null;
  const mbr = await dev.read(0, SECTOR);
  if (!hasMbrSignature(mbr)) return null;
  const entries = mbrEntries(mbr);
  if (entries.some((e) => e.type === 0xee)) {
    const gpt = await readGpt(dev);
    if (gpt) return gpt;
  }
  // A boot sector of a whole-disk FAT/NTFS filesystem also ends in 55AA: reject
  // tables whose entries are not plausible (bad boot flag, out of range).
  const used = entries.filter((e) => e.type !== 0);
  // An empty table (part-init msdos): four zero entries and no boot-sector BPB.
  if (mbr.subarray(446, 510).every((x) => x === 0) && !looksLikeBootSector(mbr)) return { type: 'msdos', partitions: [] };
  const sectors = Math.floor(dev.size / SECTOR);
  const plausible = [0, 1, 2, 3].every((i) => mbr[446 + i * 16] === 0 || mbr[446 + i * 16] === 0x80);
  if (!plausible || used.length === 0) return null;
  // A partition starting at sector 0 is what isohybrid writes (the ISO 9660 volume is the
  // whole disk and partition 1): Linux accepts it, but on a FAT/NTFS boot sector it is noise.
  if (used.some((e) => e.lbaStart >= sectors || (e.lbaStart === 0 && looksLikeBootSector(mbr)))) return null;
  const partitions: Partition[] = [];
  entries.forEach((e, i) => {
    if (e.type === 0 || e.sectors === 0) return;
    const extended = EXTENDED_TYPES.has(e.type);
    partitions.push(clip(dev, {
      number: i + 1, start: e.lbaStart * SECTOR, size: e.sectors * SECTOR,
      mbrType: e.type, bootable: e.bootable, extended,
    }));
  });
  const ext = partitions.find((p) => p.extended);
  if (ext) partitions.push(...(await readLogicals(dev, ext.start / SECTOR)));
  return { type: 'msdos', partitions };
}

function clip(dev: BlockDevice, p: Partition): Partition {
  if (p.start + p.size > dev.size) p.size = Math.max(0, dev.size - p.start);
  return p;
}

async function readLogicals(dev: BlockDevice, extStartLba: number): Promise<Partition[]> {
  const out: Partition[] = [];
  const seen = new Set<number>();
  let ebrLba = extStartLba;
  let number = 5;
  while (true) {
    if (seen.has(ebrLba) || seen.size > 256 || ebrLba * SECTOR + SECTOR > dev.size) break; // loops or garbage
    seen.add(ebrLba);
    const ebr = await dev.read(ebrLba * SECTOR, SECTOR);
    if (!hasMbrSignature(ebr)) break;
    const [first, next] = mbrEntries(ebr);
    if (first && first.type !== 0 && first.sectors > 0) {
      out.push(clip(dev, {
        number: number++, start: (ebrLba + first.lbaStart) * SECTOR, size: first.sectors * SECTOR,
        mbrType: first.type, bootable: first.bootable, extended: false,
      }));
    }
    if (!next || next.type === 0 || next.lbaStart === 0) break;
    ebrLba = extStartLba + next.lbaStart;
  }
  return out;
}

const GPT_SIG = 'EFI PART';

async function readGpt(dev: BlockDevice): Promise<PartitionTable | null> {
  const hdr = await dev.read(SECTOR, SECTOR);
  if (new TextDecoder().decode(hdr.subarray(0, 8)) !== GPT_SIG) return null;
  const entriesLba = le64(hdr, 72);
  const count = le32(hdr, 80);
  const entrySize = le32(hdr, 84);
  if (entrySize < 128 || entrySize > 4096 || count > 1024 || entriesLba * SECTOR >= dev.size) {
    throw new ImageError(dev.name, 'corrupt GPT header (bad partition entry array)');
  }
  const buf = await dev.read(entriesLba * SECTOR, Math.min(count * entrySize, dev.size - entriesLba * SECTOR));
  const partitions: Partition[] = [];
  for (let i = 0; i < count && (i + 1) * entrySize <= buf.length; i++) {
    const o = i * entrySize;
    const typeBytes = buf.subarray(o, o + 16);
    if (typeBytes.every((x) => x === 0)) continue;
    const first = le64(buf, o + 32);
    const last = le64(buf, o + 40);
    if (last < first) continue;
    const nameBytes = buf.subarray(o + 56, o + 128);
    let name = '';
    for (let j = 0; j + 1 < nameBytes.length; j += 2) {
      const c = nameBytes[j]! | (nameBytes[j + 1]! << 8);
      if (c === 0) break;
      name += String.fromCharCode(c);
    }
    partitions.push(clip(dev, {
      number: i + 1, start: first * SECTOR, size: (last - first + 1) * SECTOR,
      gptType: formatGuid(buf, o), gptGuid: formatGuid(buf, o + 16), gptName: name, extended: false,
    }));
  }
  return { type: 'gpt', partitions };
}
