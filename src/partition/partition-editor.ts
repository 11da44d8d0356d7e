/**
 * Editing existing partition tables in place (part-del, part-set-*, part-resize,
 * part-expand-gpt, and the GPT fields libguestfs reads with sgdisk). GPT edits keep
 * the table's own geometry (entry count and size, usable range, backup location) and
 * rewrite both copies with fresh CRCs; MBR edits touch only the slot or EBR concerned.
 */
import type { BlockDevice } from '../block/block-device.js';
import { ErrnoError } from '../errors/index.js';
import { formatGuid, readPartitionTable, SECTOR, type Partition, type PartitionTable } from './partition-table.js';
import { crc32, guidBytes, mbrEntry, randomGuid } from './partition-writer.js';

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** The type GUID parted gives a GPT partition whose "boot" flag is set: EFI System. */
const ESP_GUID = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
const LINUX_FS_GUID = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
const EXTENDED_TYPES = new Set([0x05, 0x0f, 0x85]);

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
function u64(b: Uint8Array, o: number): number {
  return Number(dv(b).getBigUint64(o, true));
}
function setU64(b: Uint8Array, o: number, v: number | bigint): void {
  dv(b).setBigUint64(o, BigInt.asUintN(64, BigInt(v)), true);
}

export function parseGuid(g: string): Uint8Array {
  if (!GUID_RE.test(g)) throw new ErrnoError('EINVAL', `${g}: not a valid GUID`);
  return guidBytes(g.toUpperCase());
}

function sectorsOf(dev: BlockDevice): number {
  return Math.floor(dev.size / SECTOR);
}

async function tableOf(dev: BlockDevice): Promise<PartitionTable> {
  const t = await readPartitionTable(dev);
  if (!t) throw new ErrnoError('EINVAL', `${dev.name}: no partition table (unrecognised partition table type)`);
  return t;
}

function partitionOf(dev: BlockDevice, t: PartitionTable, partnum: number): Partition {
  const p = t.partitions.find((x) => x.number === partnum);
  if (!p) throw new ErrnoError('ENOENT', `${dev.name}: partition ${partnum} does not exist`);
  return p;
}

// ---------------------------------------------------------------- GPT

interface Gpt {
  header: Uint8Array;
  entries: Uint8Array;
  entrySize: number;
  count: number;
}

async function readGpt(dev: BlockDevice): Promise<Gpt> {
  const t = await tableOf(dev);
  if (t.type !== 'gpt') throw new ErrnoError('EINVAL', `${dev.name}: not a GPT partition table`);
  const header = await dev.read(SECTOR, SECTOR);
  const count = dv(header).getUint32(80, true);
  const entrySize = dv(header).getUint32(84, true);
  if (entrySize < 128 || count * entrySize > 1 << 20) throw new ErrnoError('EINVAL', `${dev.name}: GPT header has an implausible entry array`);
  const bytes = Math.ceil((count * entrySize) / SECTOR) * SECTOR;
  const entries = await dev.read(u64(header, 72) * SECTOR, bytes);
  return { header, entries, entrySize, count };
}

/** Writes both copies: the primary where it is, the backup at the header's alternate LBA. */
async function writeGpt(dev: BlockDevice, g: Gpt): Promise<void> {
  const arrayBytes = g.count * g.entrySize;
  const entriesCrc = crc32(g.entries.subarray(0, arrayBytes));
  const primary = g.header.slice();
  const size = dv(primary).getUint32(12, true);
  dv(primary).setUint32(88, entriesCrc, true);
  const alt = u64(primary, 32);
  const backupEntries = alt - g.entries.length / SECTOR;
  const backup = primary.slice();
  setU64(backup, 24, alt);
  setU64(backup, 32, 1);
  setU64(backup, 72, backupEntries);
  for (const h of [primary, backup]) {
    dv(h).setUint32(16, 0, true);
    dv(h).setUint32(16, crc32(h.subarray(0, size)), true);
  }
  await dev.write(u64(primary, 72) * SECTOR, g.entries);
  await dev.write(SECTOR, primary);
  await dev.write(backupEntries * SECTOR, g.entries);
  await dev.write(alt * SECTOR, backup);
  await dev.flush();
}

function gptEntry(dev: BlockDevice, g: Gpt, partnum: number): Uint8Array {
  if (!Number.isInteger(partnum) || partnum < 1 || partnum > g.count) throw new ErrnoError('EINVAL', `${dev.name}: partition number ${partnum} out of range`);
  const e = g.entries.subarray((partnum - 1) * g.entrySize, partnum * g.entrySize);
  if (e.subarray(0, 16).every((x) => x === 0)) throw new ErrnoError('ENOENT', `${dev.name}: partition ${partnum} does not exist`);
  return e;
}

async function editGptEntry(dev: BlockDevice, partnum: number, fn: (e: Uint8Array, g: Gpt) => void): Promise<void> {
  const g = await readGpt(dev);
  fn(gptEntry(dev, g, partnum), g);
  await writeGpt(dev, g);
}

export async function getDiskGuid(dev: BlockDevice): Promise<string> {
  return formatGuid((await readGpt(dev)).header, 56);
}

export async function setDiskGuid(dev: BlockDevice, guid: string | null): Promise<void> {
  const bytes = guid === null ? randomGuid() : parseGuid(guid);
  const g = await readGpt(dev);
  g.header.set(bytes, 56);
  await writeGpt(dev, g);
}

export async function setGptType(dev: BlockDevice, partnum: number, guid: string): Promise<void> {
  const bytes = parseGuid(guid);
  await editGptEntry(dev, partnum, (e) => e.set(bytes, 0));
}

export async function setGptGuid(dev: BlockDevice, partnum: number, guid: string): Promise<void> {
  const bytes = parseGuid(guid);
  await editGptEntry(dev, partnum, (e) => e.set(bytes, 16));
}

/** The 64 attribute bits, as the signed Int64 libguestfs returns. */
export async function getGptAttributes(dev: BlockDevice, partnum: number): Promise<number> {
  const t = await tableOf(dev);
  // libguestfs (sgdisk) answers 0 for an existing MBR partition rather than an error.
  if (t.type !== 'gpt') return (partitionOf(dev, t, partnum), 0);
  const g = await readGpt(dev);
  return Number(dv(gptEntry(dev, g, partnum)).getBigInt64(48, true));
}

export async function setGptAttributes(dev: BlockDevice, partnum: number, attributes: number): Promise<void> {
  if (!Number.isInteger(attributes)) throw new ErrnoError('EINVAL', `${attributes}: attributes must be an integer`);
  await editGptEntry(dev, partnum, (e) => setU64(e, 48, attributes));
}

/** Moves the backup header and entries to the end of a grown disk (sgdisk -e). */
export async function expandGpt(dev: BlockDevice): Promise<void> {
  const g = await readGpt(dev);
  const last = sectorsOf(dev) - 1;
  const entrySectors = g.entries.length / SECTOR;
  if (u64(g.header, 32) > last) throw new ErrnoError('EINVAL', `${dev.name}: the backup GPT lies beyond the end of the disk`);
  setU64(g.header, 32, last);
  setU64(g.header, 48, last - entrySectors - 1);
  await writeGpt(dev, g);
}

// ---------------------------------------------------------------- MBR

interface Logical {
  /** The EBR sector that describes this logical partition. */
  ebr: number;
  first: number;
  last: number;
  type: number;
  boot: boolean;
}

/** The EBR chain inside the extended partition starting at `extFirst`, in order. */
async function readLogicals(dev: BlockDevice, extFirst: number): Promise<Logical[]> {
  const out: Logical[] = [];
  const seen = new Set<number>();
  let ebr = extFirst;
  while (!seen.has(ebr) && seen.size < 256 && (ebr + 1) * SECTOR <= dev.size) {
    seen.add(ebr);
    const s = await dev.read(ebr * SECTOR, SECTOR);
    if (s[510] !== 0x55 || s[511] !== 0xaa) break;
    const d = dv(s);
    if (s[446 + 4] !== 0 && d.getUint32(446 + 12, true) > 0) {
      const first = ebr + d.getUint32(446 + 8, true);
      out.push({ ebr, first, last: first + d.getUint32(446 + 12, true) - 1, type: s[446 + 4]!, boot: s[446] === 0x80 });
    }
    if (s[462 + 4] === 0 || d.getUint32(462 + 8, true) === 0) break;
    ebr = extFirst + d.getUint32(462 + 8, true);
  }
  return out;
}

/** Writes the EBR chain for `logicals`: the first EBR at the extended start, each next one where it was. */
async function writeLogicals(dev: BlockDevice, extFirst: number, logicals: Logical[]): Promise<void> {
  const ebrs = logicals.map((l, i) => (i === 0 ? extFirst : l.ebr));
  if (logicals.length === 0) {
    const empty = new Uint8Array(SECTOR);
    await dev.write(extFirst * SECTOR, empty);
  }
  for (let i = 0; i < logicals.length; i++) {
    const l = logicals[i]!;
    const s = new Uint8Array(SECTOR);
    s[510] = 0x55;
    s[511] = 0xaa;
    mbrEntry(s, 0, l.type, l.first - ebrs[i]!, l.last - l.first + 1);
    if (l.boot) s[446] = 0x80;
    const next = logicals[i + 1];
    if (next) mbrEntry(s, 1, 0x05, ebrs[i + 1]! - extFirst, next.last - ebrs[i + 1]! + 1);
    await dev.write(ebrs[i]! * SECTOR, s);
  }
}

interface Mbr {
  sector: Uint8Array;
  ext?: { slot: number; first: number; last: number };
  logicals: Logical[];
}

async function readMbr(dev: BlockDevice): Promise<Mbr> {
  const t = await tableOf(dev);
  if (t.type !== 'msdos') throw new ErrnoError('EINVAL', `${dev.name}: not an msdos (MBR) partition table`);
  const sector = await dev.read(0, SECTOR);
  const slot = [0, 1, 2, 3].find((i) => EXTENDED_TYPES.has(sector[446 + i * 16 + 4]!));
  if (slot === undefined) return { sector, logicals: [] };
  const d = dv(sector);
  const first = d.getUint32(446 + slot * 16 + 8, true);
  const last = first + d.getUint32(446 + slot * 16 + 12, true) - 1;
  return { sector, ext: { slot, first, last }, logicals: await readLogicals(dev, first) };
}

function slotOf(dev: BlockDevice, m: Mbr, partnum: number): number {
  if (!Number.isInteger(partnum) || partnum < 1 || partnum > 4 || m.sector[446 + (partnum - 1) * 16 + 4] === 0) {
    throw new ErrnoError('ENOENT', `${dev.name}: partition ${partnum} does not exist`);
  }
  return partnum - 1;
}

function logicalOf(dev: BlockDevice, m: Mbr, partnum: number): Logical {
  const l = m.logicals[partnum - 5];
  if (!l) throw new ErrnoError('ENOENT', `${dev.name}: partition ${partnum} does not exist`);
  return l;
}

async function commitMbr(dev: BlockDevice, m: Mbr): Promise<void> {
  await dev.write(0, m.sector);
  if (m.ext) await writeLogicals(dev, m.ext.first, m.logicals);
  await dev.flush();
}

/** "primary", "extended" or "logical", as libguestfs names an MBR partition's kind. */
export async function getMbrPartType(dev: BlockDevice, partnum: number): Promise<string> {
  const t = await tableOf(dev);
  const p = partitionOf(dev, t, partnum);
  if (t.type === 'gpt') return 'primary';
  if (p.extended) return 'extended';
  return partnum >= 5 ? 'logical' : 'primary';
}

export async function setMbrId(dev: BlockDevice, partnum: number, idbyte: number): Promise<void> {
  if (!Number.isInteger(idbyte) || idbyte < 0 || idbyte > 255) throw new ErrnoError('EINVAL', `${idbyte}: the MBR type byte must be between 0 and 255`);
  const m = await readMbr(dev);
  if (partnum >= 5) logicalOf(dev, m, partnum).type = idbyte;
  else m.sector[446 + slotOf(dev, m, partnum) * 16 + 4] = idbyte;
  await commitMbr(dev, m);
}

// ---------------------------------------------------------------- both

export async function deletePartition(dev: BlockDevice, partnum: number): Promise<void> {
  const t = await tableOf(dev);
  if (t.type === 'gpt') {
    await editGptEntry(dev, partnum, (e) => e.fill(0));
    return;
  }
  const m = await readMbr(dev);
  if (partnum >= 5) {
    const l = logicalOf(dev, m, partnum);
    m.logicals = m.logicals.filter((x) => x !== l);
    await commitMbr(dev, m);
    return;
  }
  const slot = slotOf(dev, m, partnum);
  m.sector.fill(0, 446 + slot * 16, 446 + (slot + 1) * 16);
  // An extended partition takes its logicals with it.
  if (m.ext?.slot === slot) {
    m.ext = undefined;
    m.logicals = [];
  }
  await commitMbr(dev, m);
}

export async function setPartName(dev: BlockDevice, partnum: number, name: string): Promise<void> {
  const units = [...name].length;
  if (units > 36 || name.length > 36) throw new ErrnoError('EINVAL', `${name}: a GPT partition name holds at most 36 characters`);
  const t = await tableOf(dev);
  if (t.type !== 'gpt') throw new ErrnoError('EINVAL', `${dev.name}: ${t.type} disk labels do not support partition name.`);
  await editGptEntry(dev, partnum, (e) => {
    e.fill(0, 56, 56 + 72);
    for (let i = 0; i < name.length; i++) dv(e).setUint16(56 + i * 2, name.charCodeAt(i), true);
  });
}

/**
 * The boot flag as parted sets it: on MBR the 0x80 byte (only one partition may
 * carry it: setting it clears the others); on GPT parted's "boot" flag is the
 * EFI System type (clearing it makes the partition Linux filesystem data again).
 */
export async function setBootable(dev: BlockDevice, partnum: number, bootable: boolean): Promise<void> {
  const t = await tableOf(dev);
  if (t.type === 'gpt') {
    const type = guidBytes(bootable ? ESP_GUID : LINUX_FS_GUID);
    await editGptEntry(dev, partnum, (e) => {
      if (bootable || formatGuid(e, 0) === ESP_GUID) e.set(type, 0);
    });
    return;
  }
  const m = await readMbr(dev);
  const target = partnum >= 5 ? logicalOf(dev, m, partnum) : slotOf(dev, m, partnum);
  if (bootable) {
    for (let i = 0; i < 4; i++) if (m.sector[446 + i * 16 + 4] !== 0) m.sector[446 + i * 16] = 0;
    for (const l of m.logicals) l.boot = false;
  }
  if (typeof target === 'number') m.sector[446 + target * 16] = bootable ? 0x80 : 0;
  else target.boot = bootable;
  await commitMbr(dev, m);
}

/** Moves a partition's end to `endsect` (inclusive; negative counts back from the disk's end). */
export async function resizePartition(dev: BlockDevice, partnum: number, endsect: number): Promise<void> {
  const total = sectorsOf(dev);
  const end = endsect < 0 ? total + endsect : endsect;
  const t = await tableOf(dev);
  const p = partitionOf(dev, t, partnum);
  const first = p.start / SECTOR;
  if (!Number.isInteger(end) || end < first || end >= total) throw new ErrnoError('EINVAL', `${endsect}: new end sector outside the device or before the partition's start ${first}`);
  const clash = (q: Partition) => q.number !== partnum && first <= q.start / SECTOR + q.size / SECTOR - 1 && end >= q.start / SECTOR;
  if (t.type === 'gpt') {
    if (t.partitions.some(clash)) throw new ErrnoError('EINVAL', `${first}-${end}: overlaps an existing partition`);
    await editGptEntry(dev, partnum, (e, g) => {
      if (end > u64(g.header, 48)) throw new ErrnoError('EINVAL', `${end}: beyond the last usable sector ${u64(g.header, 48)} of the GPT`);
      setU64(e, 40, end);
    });
    return;
  }
  if (end > 0xffffffff) throw new ErrnoError('EINVAL', `${end}: beyond the 2 TiB an msdos partition table can address`);
  const m = await readMbr(dev);
  if (partnum >= 5) {
    const l = logicalOf(dev, m, partnum);
    const next = m.logicals[m.logicals.indexOf(l) + 1];
    if (end > m.ext!.last || (next && end >= next.ebr)) throw new ErrnoError('EINVAL', `${first}-${end}: overlaps an existing partition or leaves the extended partition`);
    l.last = end;
  } else {
    const slot = slotOf(dev, m, partnum);
    const isExt = m.ext?.slot === slot;
    // Logicals live inside the extended partition: they are not its neighbours.
    if (t.partitions.some((q) => clash(q) && !(isExt && q.number >= 5))) throw new ErrnoError('EINVAL', `${first}-${end}: overlaps an existing partition`);
    if (isExt && m.logicals.some((l) => l.last > end)) throw new ErrnoError('EINVAL', `${end}: the extended partition would no longer hold its logical partitions`);
    const o = 446 + slot * 16;
    const keep = { boot: m.sector[o]!, type: m.sector[o + 4]! };
    mbrEntry(m.sector, slot, keep.type, first, end - first + 1);
    m.sector[o] = keep.boot;
    if (isExt) m.ext!.last = end;
  }
  await commitMbr(dev, m);
}
