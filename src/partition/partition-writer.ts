/**
 * Writing partition tables (MBR and GPT) as libguestfs's part-init / part-add /
 * part-disk leave them: parted's layout (a 128-entry GPT with a backup header
 * at the end of the disk, partitions named "primary" by part-add; MBR primaries in slot
 * order, logicals chained by EBRs inside the extended partition).
 */
import { randomBytes } from 'node:crypto';
import type { BlockDevice } from '../block/block-device.js';
import { ErrnoError } from '../errors/index.js';
import { lvmCrc } from '../lvm/crc.js';
import { readPartitionTable, SECTOR, type PartitionTable } from './partition-table.js';

export type PartTableType = 'msdos' | 'gpt';

/** parted's names for the table types libguestfs accepts (only these two are written). */
export function parsePartType(s: string): PartTableType {
  switch (s) {
    case 'msdos': case 'mbr': return 'msdos';
    case 'gpt': case 'efi': return 'gpt';
    default: throw new ErrnoError('EINVAL', `${s}: unknown or unsupported partition table type (use msdos or gpt)`);
  }
}

const GPT_ENTRIES = 128;
const GPT_ENTRY_SIZE = 128;
const GPT_ENTRY_SECTORS = (GPT_ENTRIES * GPT_ENTRY_SIZE) / SECTOR; // 32
/** Linux filesystem data: parted's type for a new GPT partition. */
const LINUX_FS_GUID = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
const MBR_LINUX = 0x83;
/** parted writes LBA-addressed extended partitions (0x0f). */
const MBR_EXTENDED = 0x0f;

// ---------------------------------------------------------------- bytes

/** CRC-32 (IEEE 802.3), as GPT headers and entry arrays use: LVM's table, the standard start and inversion. */
export function crc32(b: Uint8Array): number {
  return (lvmCrc(b, 0xffffffff) ^ 0xffffffff) >>> 0;
}

function put32(b: Uint8Array, o: number, v: number): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(o, v >>> 0, true);
}
function put64(b: Uint8Array, o: number, v: number): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  dv.setUint32(o, v % 0x100000000, true);
  dv.setUint32(o + 4, Math.floor(v / 0x100000000), true);
}
function get64(b: Uint8Array, o: number): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return dv.getUint32(o, true) + dv.getUint32(o + 4, true) * 0x100000000;
}

/** A GUID string → its 16 mixed-endian bytes on disk. */
export function guidBytes(g: string): Uint8Array {
  const h = g.replace(/-/g, '');
  const b = Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  return Uint8Array.from(order.map((i) => b[i]!));
}

/** A random (version 4) GUID, as bytes on disk. */
export function randomGuid(): Uint8Array {
  const b = randomBytes(16);
  // On disk the third group is little-endian: its high byte (version) is byte 7.
  b[7] = (b[7]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return b;
}

/** The CHS triple for an LBA (255 heads, 63 sectors; 1023/254/63 past the CHS limit). */
function chs(lba: number): number[] {
  const c = Math.floor(lba / (255 * 63));
  if (c > 1023) return [0xfe, 0xff, 0xff];
  const h = Math.floor(lba / 63) % 255;
  const s = (lba % 63) + 1;
  return [h, s | ((c >> 2) & 0xc0), c & 0xff];
}

export function mbrEntry(sector: Uint8Array, slot: number, type: number, lba: number, sectors: number): void {
  const o = 446 + slot * 16;
  sector[o] = 0;
  sector.set(chs(lba), o + 1);
  sector[o + 4] = type;
  sector.set(chs(lba + sectors - 1), o + 5);
  put32(sector, o + 8, lba);
  put32(sector, o + 12, sectors);
}

// ---------------------------------------------------------------- init

function sectorsOf(dev: BlockDevice): number {
  return Math.floor(dev.size / SECTOR);
}

/** Writes an empty partition table of `type`, wiping any other kind's signatures. */
export async function initPartitionTable(dev: BlockDevice, type: PartTableType): Promise<void> {
  const total = sectorsOf(dev);
  if (total < 2 * GPT_ENTRY_SECTORS + 4) throw new ErrnoError('EINVAL', `${dev.name}: device too small for a partition table`);
  // Clear both GPT areas either way: a stale GPT would hide a new MBR from readers.
  const head = new Uint8Array((1 + GPT_ENTRY_SECTORS + 1) * SECTOR);
  const mbr = head.subarray(0, SECTOR);
  // The boot code area is cleared too: a whole-disk FAT's BPB left there would
  // make readers take the disk for a filesystem rather than an empty table.
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  if (type === 'msdos') {
    mbr.set(randomBytes(4), 440);
    await dev.write(0, head);
    await dev.write((total - GPT_ENTRY_SECTORS - 1) * SECTOR, new Uint8Array((GPT_ENTRY_SECTORS + 1) * SECTOR));
  } else {
    mbrEntry(mbr, 0, 0xee, 1, Math.min(total - 1, 0xffffffff));
    mbr[446 + 1] = 0; mbr[446 + 2] = 2; mbr[446 + 3] = 0; // CHS 0/0/2, as parted writes
    await dev.write(0, mbr);
    await writeGpt(dev, { diskGuid: randomGuid(), entries: new Uint8Array(GPT_ENTRIES * GPT_ENTRY_SIZE) });
  }
  await dev.flush();
}

interface GptState {
  diskGuid: Uint8Array;
  entries: Uint8Array;
}

/** Writes the primary and backup GPT headers and entry arrays. */
async function writeGpt(dev: BlockDevice, g: GptState): Promise<void> {
  const total = sectorsOf(dev);
  const last = total - 1;
  const entriesCrc = crc32(g.entries);
  const header = (myLba: number, altLba: number, entriesLba: number): Uint8Array => {
    const h = new Uint8Array(SECTOR);
    h.set(new TextEncoder().encode('EFI PART'), 0);
    put32(h, 8, 0x00010000); // revision 1.0
    put32(h, 12, 92);
    put64(h, 24, myLba);
    put64(h, 32, altLba);
    put64(h, 40, 2 + GPT_ENTRY_SECTORS); // first usable LBA: 34
    put64(h, 48, last - GPT_ENTRY_SECTORS - 1); // last usable LBA
    h.set(g.diskGuid, 56);
    put64(h, 72, entriesLba);
    put32(h, 80, GPT_ENTRIES);
    put32(h, 84, GPT_ENTRY_SIZE);
    put32(h, 88, entriesCrc);
    put32(h, 16, crc32(h.subarray(0, 92)));
    return h;
  };
  await dev.write(SECTOR, header(1, last, 2));
  await dev.write(2 * SECTOR, g.entries);
  await dev.write((last - GPT_ENTRY_SECTORS) * SECTOR, g.entries);
  await dev.write(last * SECTOR, header(last, 1, last - GPT_ENTRY_SECTORS));
}

async function readGptState(dev: BlockDevice): Promise<GptState & { firstUsable: number; lastUsable: number }> {
  const h = await dev.read(SECTOR, SECTOR);
  const entriesLba = get64(h, 72);
  return {
    diskGuid: h.slice(56, 72),
    entries: await dev.read(entriesLba * SECTOR, GPT_ENTRIES * GPT_ENTRY_SIZE),
    firstUsable: get64(h, 40),
    lastUsable: get64(h, 48),
  };
}

// ---------------------------------------------------------------- add

export type PartKind = 'primary' | 'extended' | 'logical';

export function parsePrlogex(s: string): PartKind {
  switch (s) {
    case 'p': case 'primary': return 'primary';
    case 'e': case 'extended': return 'extended';
    case 'l': case 'logical': return 'logical';
    default: throw new ErrnoError('EINVAL', `${s}: unknown partition type: must be "p" (primary), "e" (extended) or "l" (logical)`);
  }
}

async function tableOf(dev: BlockDevice): Promise<PartitionTable> {
  const t = await readPartitionTable(dev);
  if (!t) throw new ErrnoError('EINVAL', `${dev.name}: no partition table: use part-init first`);
  return t;
}

function overlaps(t: PartitionTable, first: number, last: number, ignoreExtended: boolean): boolean {
  return t.partitions.some((p) => {
    if (ignoreExtended && p.extended) return false;
    const a = p.start / SECTOR;
    const z = a + p.size / SECTOR - 1;
    return first <= z && last >= a;
  });
}

/**
 * Adds a partition from sector `startsect` to `endsect` inclusive; a negative
 * endsect counts back from the end of the disk (-1 is the last sector).
 */
export async function addPartition(dev: BlockDevice, kind: PartKind, startsect: number, endsect: number, gptName = 'primary'): Promise<void> {
  const total = sectorsOf(dev);
  const t = await tableOf(dev);
  const end = endsect < 0 ? total + endsect : endsect;
  if (!Number.isInteger(startsect) || !Number.isInteger(end) || startsect < 1 || end < startsect || end >= total) {
    throw new ErrnoError('EINVAL', `${startsect}-${endsect}: partition outside the device or empty`);
  }
  if (t.type === 'gpt') {
    if (kind !== 'primary') throw new ErrnoError('EINVAL', `${kind} partitions need an msdos partition table`);
    const g = await readGptState(dev);
    if (startsect < g.firstUsable || end > g.lastUsable) {
      throw new ErrnoError('EINVAL', `${startsect}-${end}: outside the usable sectors ${g.firstUsable}-${g.lastUsable} of the GPT`);
    }
    if (overlaps(t, startsect, end, false)) throw new ErrnoError('EINVAL', `${startsect}-${end}: overlaps an existing partition`);
    let slot = -1;
    for (let i = 0; i < GPT_ENTRIES; i++) {
      if (g.entries.subarray(i * GPT_ENTRY_SIZE, i * GPT_ENTRY_SIZE + 16).every((x) => x === 0)) {
        slot = i;
        break;
      }
    }
    if (slot < 0) throw new ErrnoError('ENOSPC', `${dev.name}: the GPT has no free entry`);
    const e = g.entries.subarray(slot * GPT_ENTRY_SIZE, (slot + 1) * GPT_ENTRY_SIZE);
    e.set(guidBytes(LINUX_FS_GUID), 0);
    e.set(randomGuid(), 16);
    put64(e, 32, startsect);
    put64(e, 40, end);
    for (let i = 0; i < gptName.length && i < 36; i++) e[56 + i * 2] = gptName.charCodeAt(i);
    await writeGpt(dev, g);
    await dev.flush();
    return;
  }
  if (end > 0xffffffff || startsect > 0xffffffff) throw new ErrnoError('EINVAL', `${startsect}-${end}: beyond the 2 TiB an msdos partition table can address`);
  const mbr = await dev.read(0, SECTOR);
  const ext = t.partitions.find((p) => p.extended);
  if (kind === 'logical') {
    if (!ext) throw new ErrnoError('EINVAL', `${dev.name}: a logical partition needs an extended partition`);
    await addLogical(dev, t, ext.start / SECTOR, ext.start / SECTOR + ext.size / SECTOR - 1, startsect, end);
    return;
  }
  if (kind === 'extended' && ext) throw new ErrnoError('EINVAL', `${dev.name}: there is an extended partition already`);
  if (overlaps(t, startsect, end, false)) throw new ErrnoError('EINVAL', `${startsect}-${end}: overlaps an existing partition`);
  const slot = [0, 1, 2, 3].find((i) => mbr[446 + i * 16 + 4] === 0);
  if (slot === undefined) throw new ErrnoError('ENOSPC', `${dev.name}: the msdos partition table has no free primary slot`);
  mbrEntry(mbr, slot, kind === 'extended' ? MBR_EXTENDED : MBR_LINUX, startsect, end - startsect + 1);
  await dev.write(0, mbr);
  if (kind === 'extended') await dev.write(startsect * SECTOR, new Uint8Array(SECTOR)); // an empty EBR chain
  await dev.flush();
}

/**
 * A logical partition: its EBR goes in the sector before it (the first one at
 * the extended partition's start), linked from the previous EBR.
 */
async function addLogical(dev: BlockDevice, t: PartitionTable, extFirst: number, extLast: number, first: number, last: number): Promise<void> {
  const logicals = t.partitions.filter((p) => p.number >= 5);
  const ebrLba = logicals.length ? first - 1 : extFirst;
  if (first <= ebrLba || first < extFirst + 1 || last > extLast) {
    throw new ErrnoError('EINVAL', `${first}-${last}: a logical partition must lie inside the extended partition, after its EBR sector`);
  }
  // The EBR sectors in use are part of the layout too.
  const prevLast = logicals.length ? Math.max(...logicals.map((p) => (p.start + p.size) / SECTOR - 1)) : extFirst;
  if (logicals.length && ebrLba <= prevLast) throw new ErrnoError('EINVAL', `${first}-${last}: overlaps an existing partition`);
  if (overlaps(t, first, last, true)) throw new ErrnoError('EINVAL', `${first}-${last}: overlaps an existing partition`);
  const ebr = new Uint8Array(SECTOR);
  ebr[510] = 0x55;
  ebr[511] = 0xaa;
  mbrEntry(ebr, 0, MBR_LINUX, first - ebrLba, last - first + 1);
  if (logicals.length) {
    // Link the previous EBR (at the sector before the last logical, or the extended start) to this one.
    const prev = logicals[logicals.length - 1]!;
    const prevEbr = logicals.length === 1 ? extFirst : prev.start / SECTOR - 1;
    const buf = await dev.read(prevEbr * SECTOR, SECTOR);
    mbrEntry(buf, 1, 0x05, ebrLba - extFirst, last - ebrLba + 1);
    await dev.write(prevEbr * SECTOR, buf);
  }
  await dev.write(ebrLba * SECTOR, ebr);
  await dev.flush();
}

/**
 * part-disk: a new table holding one partition over the disk, as libguestfs
 * lays it out: sector 128 to sector N-128 of N (both table types), named "p1" on GPT.
 */
export async function partitionWholeDisk(dev: BlockDevice, type: PartTableType): Promise<void> {
  await initPartitionTable(dev, type);
  await addPartition(dev, 'primary', 128, -128, 'p1');
}
