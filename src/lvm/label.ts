/**
 * LVM2 on-disk structures (all little-endian):
 *
 * Label (one of the first 4 sectors, normally sector 1), 32 bytes:
 *   0  id "LABELONE"           8  sector_xl u64 (the sector it is in)
 *   16 crc_xl u32 (LVM crc of bytes 20..511 of the sector)
 *   20 offset_xl u32 (where the PV header starts in the sector, 32)
 *   24 type "LVM2 001"
 * PV header, at offset_xl:
 *   0  pv uuid, 32 chars without dashes     32 device_size_xl u64 (bytes)
 *   40 data areas: {offset u64, size u64}... ended by an all-zero pair
 *      then metadata areas, the same way
 *   then (PV header extension) version u32, flags u32, bootloader areas.
 * Metadata area header (512 bytes at the start of each metadata area):
 *   0  checksum u32 (LVM crc of bytes 4..511)   4 magic " LVM2 x[5A%r0N*>"
 *   20 version u32 (1)   24 start u64 (bytes)   32 size u64 (bytes)
 *   40 raw locations: {offset u64, size u64, checksum u32, flags u32}...
 *      ended by an all-zero entry. The first is the committed metadata:
 *      `offset` is relative to the area start; the text may wrap from the
 *      end of the area back to just after the header.
 */
import type { BlockDevice } from '../block/block-device.js';
import { ImageError } from '../errors/index.js';
import { lvmCrc } from './crc.js';

export const SECTOR_SIZE = 512;
export const LABEL_SCAN_SECTORS = 4;
export const LABEL_ID = 'LABELONE';
export const LABEL_TYPE_LVM2 = 'LVM2 001';
export const MDA_MAGIC = ' LVM2 x[5A%r0N*>';
export const MDA_HEADER_SIZE = 512;
export const FMTT_VERSION = 1;
/** raw_locn flag: this metadata area is ignored (pvchange --metadataignore y). */
export const RAW_LOCN_IGNORED = 1;
/** PV header extension flag: the PV belongs to a VG. */
export const PV_EXT_USED = 1;

const UUID_CHARS = /^[0-9A-Za-z!#]{32}$/;

export interface DiskArea {
  /** Byte offset on the PV. */
  offset: number;
  /** Size in bytes (0 for a data area means "to the end of the device"). */
  size: number;
}

export interface PvLabel {
  /** Sector (0-3) that holds the label. */
  sector: number;
  /** PV UUID, 32 characters without dashes, as stored in the header. */
  uuid: string;
  /** Device size recorded by pvcreate, bytes. */
  deviceSize: number;
  dataAreas: DiskArea[];
  metadataAreas: DiskArea[];
  /** PV header extension version (0 when absent) and flags. */
  extVersion: number;
  extFlags: number;
  bootloaderAreas: DiskArea[];
}

export interface RawLocation {
  /** Byte offset of the text relative to the metadata area start. */
  offset: number;
  size: number;
  checksum: number;
  flags: number;
}

export interface MdaHeader {
  area: DiskArea;
  checksum: number;
  version: number;
  start: number;
  size: number;
  rawLocations: RawLocation[];
}

const ascii = (b: Uint8Array): string => String.fromCharCode(...b);

function u64(dv: DataView, off: number, name: string, what: string): number {
  const v = dv.getBigUint64(off, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ImageError(name, `LVM ${what} is out of range (${v})`);
  return Number(v);
}

/** Adds dashes to a 32-character LVM UUID: 6-4-4-4-4-4-6. */
export function dashUuid(u: string): string {
  if (u.length !== 32) return u;
  return [u.slice(0, 6), u.slice(6, 10), u.slice(10, 14), u.slice(14, 18), u.slice(18, 22), u.slice(22, 26), u.slice(26)].join('-');
}

/** Removes the dashes of an LVM UUID. */
export function undashUuid(u: string): string {
  return u.replace(/-/g, '');
}

/** Parses the label + PV header found in `sectorBytes` (512 bytes at sector `sector`). */
export function parseLabelSector(sectorBytes: Uint8Array, sector: number, name: string): PvLabel | null {
  if (sectorBytes.length < SECTOR_SIZE) return null;
  if (ascii(sectorBytes.subarray(0, 8)) !== LABEL_ID) return null;
  const dv = new DataView(sectorBytes.buffer, sectorBytes.byteOffset, SECTOR_SIZE);
  const sectorXl = dv.getBigUint64(8, true);
  if (sectorXl !== BigInt(sector)) {
    throw new ImageError(name, `LVM label in sector ${sector} claims to be in sector ${sectorXl}`);
  }
  const crc = dv.getUint32(16, true);
  if (lvmCrc(sectorBytes.subarray(20, SECTOR_SIZE)) !== crc) {
    throw new ImageError(name, `LVM label checksum mismatch in sector ${sector}`);
  }
  const offset = dv.getUint32(20, true);
  const type = ascii(sectorBytes.subarray(24, 32));
  if (type !== LABEL_TYPE_LVM2) {
    throw new ImageError(name, `LVM label of unsupported type ${JSON.stringify(type)} (only LVM2 is supported)`);
  }
  // uuid(32) + size(8) + two terminated area lists (16 bytes each at least).
  if (offset < 32 || offset + 32 + 8 + 16 + 16 > SECTOR_SIZE) {
    throw new ImageError(name, `LVM label has a bad PV header offset ${offset}`);
  }
  const uuid = ascii(sectorBytes.subarray(offset, offset + 32));
  if (!UUID_CHARS.test(uuid)) throw new ImageError(name, 'LVM PV header has an invalid PV UUID');
  const deviceSize = u64(dv, offset + 32, name, 'PV device size');
  let p = offset + 40;
  const readList = (what: string): DiskArea[] => {
    const list: DiskArea[] = [];
    for (;;) {
      if (p + 16 > SECTOR_SIZE) throw new ImageError(name, `LVM PV header: the ${what} list is not terminated`);
      const off = u64(dv, p, name, `${what} offset`);
      const size = u64(dv, p + 8, name, `${what} size`);
      p += 16;
      if (off === 0) return list;
      list.push({ offset: off, size });
    }
  };
  const dataAreas = readList('data area');
  const metadataAreas = readList('metadata area');
  let extVersion = 0;
  let extFlags = 0;
  let bootloaderAreas: DiskArea[] = [];
  if (p + 8 <= SECTOR_SIZE) {
    extVersion = dv.getUint32(p, true);
    extFlags = dv.getUint32(p + 4, true);
    p += 8;
    if (extVersion >= 1) {
      try {
        bootloaderAreas = readList('bootloader area');
      } catch {
        bootloaderAreas = [];
      }
    }
  }
  return { sector, uuid, deviceSize, dataAreas, metadataAreas, extVersion, extFlags, bootloaderAreas };
}

/**
 * Looks for an LVM2 label in the first 4 sectors of `dev`. Returns null when
 * there is none; throws ImageError (one line) when one is there but damaged.
 */
export async function readPvLabel(dev: BlockDevice, name: string = dev.name): Promise<PvLabel | null> {
  const len = Math.floor(Math.min(dev.size, LABEL_SCAN_SECTORS * SECTOR_SIZE) / SECTOR_SIZE) * SECTOR_SIZE;
  if (len < SECTOR_SIZE) return null;
  const buf = await dev.read(0, len);
  for (let s = 0; s * SECTOR_SIZE < len; s++) {
    const sec = buf.subarray(s * SECTOR_SIZE, (s + 1) * SECTOR_SIZE);
    const label = parseLabelSector(sec, s, name);
    if (label) return label;
  }
  return null;
}

/** Parses a 512-byte metadata area header. */
export function parseMdaHeader(buf: Uint8Array, area: DiskArea, name: string): MdaHeader {
  if (buf.length < MDA_HEADER_SIZE) throw new ImageError(name, 'LVM metadata area header is truncated');
  const dv = new DataView(buf.buffer, buf.byteOffset, MDA_HEADER_SIZE);
  const checksum = dv.getUint32(0, true);
  if (ascii(buf.subarray(4, 20)) !== MDA_MAGIC) {
    throw new ImageError(name, `LVM metadata area at offset ${area.offset} has a bad magic number`);
  }
  if (lvmCrc(buf.subarray(4, MDA_HEADER_SIZE)) !== checksum) {
    throw new ImageError(name, `LVM metadata area header checksum mismatch at offset ${area.offset}`);
  }
  const version = dv.getUint32(20, true);
  if (version !== FMTT_VERSION) {
    throw new ImageError(name, `LVM metadata area at offset ${area.offset} has unsupported version ${version}`);
  }
  const start = u64(dv, 24, name, 'metadata area start');
  const size = u64(dv, 32, name, 'metadata area size');
  if (start !== area.offset) {
    throw new ImageError(name, `LVM metadata area header says it starts at ${start}, not ${area.offset}`);
  }
  const rawLocations: RawLocation[] = [];
  for (let p = 40; p + 24 <= MDA_HEADER_SIZE; p += 24) {
    const offset = u64(dv, p, name, 'metadata offset');
    const sz = u64(dv, p + 8, name, 'metadata size');
    const ck = dv.getUint32(p + 16, true);
    const flags = dv.getUint32(p + 20, true);
    if (offset === 0 && sz === 0 && ck === 0 && flags === 0) break;
    rawLocations.push({ offset, size: sz, checksum: ck, flags });
  }
  return { area, checksum, version, start, size, rawLocations };
}

export async function readMdaHeader(dev: BlockDevice, area: DiskArea, name: string = dev.name): Promise<MdaHeader> {
  if (area.size < 2 * MDA_HEADER_SIZE || area.offset + area.size > dev.size) {
    throw new ImageError(name, `LVM metadata area [${area.offset}, +${area.size}) does not fit the device (size ${dev.size})`);
  }
  return parseMdaHeader(await dev.read(area.offset, MDA_HEADER_SIZE), area, name);
}

export interface MetadataText {
  text: string;
  /** The raw bytes (with the trailing NUL if stored). */
  bytes: Uint8Array;
  location: RawLocation;
  /** True when the text wrapped around the end of the circular buffer. */
  wrapped: boolean;
}

/**
 * Reads the committed metadata text of a metadata area. Returns null when
 * the area holds none (an orphan PV) or is marked ignored.
 */
export async function readMetadataText(dev: BlockDevice, hdr: MdaHeader, name: string = dev.name): Promise<MetadataText | null> {
  const loc = hdr.rawLocations[0];
  if (!loc || loc.size === 0) return null;
  if (loc.flags & RAW_LOCN_IGNORED) return null;
  const areaSize = hdr.area.size;
  if (loc.offset < MDA_HEADER_SIZE || loc.offset >= areaSize || loc.size > areaSize - MDA_HEADER_SIZE) {
    throw new ImageError(name, `LVM metadata location (offset ${loc.offset}, size ${loc.size}) is outside its metadata area (size ${areaSize})`);
  }
  const bytes = new Uint8Array(loc.size);
  const first = Math.min(loc.size, areaSize - loc.offset);
  await dev.readInto(hdr.area.offset + loc.offset, bytes.subarray(0, first));
  const wrapped = first < loc.size;
  if (wrapped) await dev.readInto(hdr.area.offset + MDA_HEADER_SIZE, bytes.subarray(first));
  if (lvmCrc(bytes) !== loc.checksum) throw new ImageError(name, 'LVM metadata checksum mismatch');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return { text, bytes, location: loc, wrapped };
}
