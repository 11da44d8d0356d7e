/**
 * Identifies what is on a device from its magic numbers, like blkid: the type
 * name libguestfs's vfs-type returns, plus label and UUID where the format has them.
 */
import type { BlockDevice } from '../block/block-device.js';

export interface Probe {
  /** vfs-type name: ext2, ext3, ext4, vfat, ntfs, xfs, btrfs, swap, LVM2_member, iso9660, ... or '' when unknown. */
  type: string;
  label: string;
  uuid: string;
}

const EMPTY: Probe = { type: '', label: '', uuid: '' };

async function readAt(dev: BlockDevice, offset: number, length: number): Promise<Uint8Array | null> {
  if (offset + length > dev.size) return null;
  return dev.read(offset, length);
}

const le16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const le32 = (b: Uint8Array, o: number) => (le16(b, o) | (le16(b, o + 2) << 16)) >>> 0;
const ascii = (b: Uint8Array, o: number, n: number) => String.fromCharCode(...b.subarray(o, o + n));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
function cstr(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
}
export function uuidString(b: Uint8Array): string {
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

// ext feature bits that decide ext2 / ext3 / ext4 the way blkid does.
const EXT3_COMPAT_HAS_JOURNAL = 0x4;
const EXT3_INCOMPAT_SUPPORTED = 0x2 | 0x4; // filetype, recover
const EXT3_RO_COMPAT_SUPPORTED = 0x1 | 0x2 | 0x4; // sparse_super, large_file, btree_dir
const EXT3_INCOMPAT_JOURNAL_DEV = 0x8;

function probeExt(sb: Uint8Array): Probe | null {
  if (le16(sb, 0x38) !== 0xef53) return null;
  const compat = le32(sb, 0x5c), incompat = le32(sb, 0x60), roCompat = le32(sb, 0x64);
  let type: string;
  if (incompat & EXT3_INCOMPAT_JOURNAL_DEV) type = 'jbd';
  else if ((incompat & ~EXT3_INCOMPAT_SUPPORTED) !== 0 || (roCompat & ~EXT3_RO_COMPAT_SUPPORTED) !== 0) type = 'ext4';
  else if (compat & EXT3_COMPAT_HAS_JOURNAL) type = 'ext3';
  else type = 'ext2';
  return { type, label: cstr(sb.subarray(0x78, 0x88)), uuid: uuidString(sb.subarray(0x68, 0x78)) };
}

function probeFatOrNtfs(bs: Uint8Array): Probe | null {
  if (bs[510] !== 0x55 || bs[511] !== 0xaa) return null;
  if (ascii(bs, 3, 8) === 'NTFS    ') {
    const serial = bs.subarray(0x48, 0x50);
    return { type: 'ntfs', label: '', uuid: hex(Uint8Array.from(serial).reverse()).toUpperCase() };
  }
  const fat32 = ascii(bs, 0x52, 8).startsWith('FAT32');
  const fat1x = ascii(bs, 0x36, 8).startsWith('FAT');
  if (!fat32 && !fat1x) return null;
  const o = fat32 ? 0x43 : 0x27;
  const serial = le32(bs, o).toString(16).toUpperCase().padStart(8, '0');
  const label = ascii(bs, o + 4, 11).trimEnd();
  return { type: 'vfat', label: label === 'NO NAME' ? '' : label, uuid: `${serial.slice(0, 4)}-${serial.slice(4)}` };
}

export async function probeDevice(dev: BlockDevice): Promise<Probe> {
  const head = await readAt(dev, 0, Math.min(dev.size, 68 * 1024));
  if (!head) return EMPTY;
  const at = (o: number, n: number) => (o + n <= head.length ? head.subarray(o, o + n) : null);

  const extSb = at(1024, 1024);
  if (extSb) {
    const ext = probeExt(extSb);
    if (ext) return ext;
  }
  if (head.length >= 4 && ascii(head, 0, 4) === 'XFSB') {
    return { type: 'xfs', label: cstr(head.subarray(108, 120)), uuid: uuidString(head.subarray(32, 48)) };
  }
  const btrfs = at(0x10000, 0x1000);
  if (btrfs && ascii(btrfs, 0x40, 8) === '_BHRfS_M') {
    return { type: 'btrfs', label: cstr(btrfs.subarray(0x12b, 0x12b + 256)), uuid: uuidString(btrfs.subarray(0x20, 0x30)) };
  }
  for (const sector of [0, 1]) {
    const s = at(sector * 512, 512);
    if (s && ascii(s, 0x18, 8) === 'LVM2 001' && ascii(s, 0, 8) === 'LABELONE') {
      const pvid = ascii(s, 0x20, 32);
      const groups = [6, 4, 4, 4, 4, 4, 6];
      let pos = 0;
      const uuid = groups.map((g) => { const part = pvid.slice(pos, pos + g); pos += g; return part; }).join('-');
      return { type: 'LVM2_member', label: '', uuid };
    }
  }
  const boot = at(0, 512);
  if (boot) {
    const fat = probeFatOrNtfs(boot);
    if (fat?.type === 'ntfs') return { ...fat, label: await ntfsVolumeLabel(dev, boot).catch(() => '') };
    if (fat) return fat;
  }
  // Linux swap: signature at the end of the first page (4 KiB pages).
  const page = at(0, 4096);
  if (page) {
    const sig = ascii(page, 4086, 10);
    if (sig === 'SWAPSPACE2' || sig === 'SWAP-SPACE') {
      return { type: 'swap', label: cstr(page.subarray(1052, 1068)), uuid: uuidString(page.subarray(1036, 1052)) };
    }
  }
  const iso = at(0x8000, 2048);
  if (iso && ascii(iso, 1, 5) === 'CD001') {
    return { type: 'iso9660', label: ascii(iso, 40, 32).trimEnd(), uuid: isoUuid(iso) };
  }
  return EMPTY;
}

/**
 * The UUID blkid gives an ISO 9660 volume: its modification date (or, when unset, its
 * creation date) from the primary volume descriptor, as YYYY-MM-DD-HH-MM-SS-cc.
 */
function isoUuid(pvd: Uint8Array): string {
  for (const at of [830, 813]) {
    const d = ascii(pvd, at, 16);
    if (/^\d{16}$/.test(d) && !/^0+$/.test(d)) return d.replace(/^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/, '$1-$2-$3-$4-$5-$6-$7');
  }
  return '';
}

/**
 * The NTFS volume label: the VOLUME_NAME attribute (0x60) of MFT record 3 ($Volume),
 * read straight from the MFT as blkid does. Any inconsistency gives ''.
 */
async function ntfsVolumeLabel(dev: BlockDevice, boot: Uint8Array): Promise<string> {
  const bytesPerSector = le16(boot, 0x0b);
  const clusterSize = bytesPerSector * boot[0x0d]!;
  const mftLcn = le32(boot, 0x30) + le32(boot, 0x34) * 2 ** 32;
  const perRecord = (boot[0x40]! << 24) >> 24; // signed byte
  const recordSize = perRecord > 0 ? perRecord * clusterSize : 2 ** -perRecord;
  if (!bytesPerSector || !clusterSize || recordSize < 256 || recordSize > 65536) return '';
  const rec = await readAt(dev, mftLcn * clusterSize + 3 * recordSize, recordSize);
  if (!rec || ascii(rec, 0, 4) !== 'FILE') return '';
  // Undo the update-sequence fixups at the end of each sector.
  const usaOffset = le16(rec, 4), usaCount = le16(rec, 6);
  for (let i = 1; i < usaCount; i++) {
    const end = i * bytesPerSector - 2;
    if (end + 2 > rec.length) break;
    rec[end] = rec[usaOffset + i * 2]!;
    rec[end + 1] = rec[usaOffset + i * 2 + 1]!;
  }
  for (let off = le16(rec, 0x14); off + 24 <= rec.length;) {
    const type = le32(rec, off), length = le32(rec, off + 4);
    if (type === 0xffffffff || length < 24 || off + length > rec.length) break;
    if (type === 0x60 && rec[off + 8] === 0) {
      const size = le32(rec, off + 0x10), start = off + le16(rec, off + 0x14);
      return Buffer.from(rec.subarray(start, start + size)).toString('utf16le');
    }
    off += length;
  }
  return '';
}
