/**
 * The volume descriptor set (ECMA-119 8): from sector 16 on, 2048-byte
 * descriptors until the terminator (type 255). The primary one (type 1) gives
 * the logical block size, the volume size and the root directory record; a
 * supplementary one (type 2) whose escape sequences name UCS-2 level 1, 2 or 3
 * is Joliet (its root directory carries the UCS-2 names).
 */
import { FsError, type SyncDevice } from '../fs-driver.js';
import { corrupt, parseDirRecord, type DirRecord } from './dir-record.js';

const SECTOR = 2048;
const FIRST = 16;
/** Real discs have a handful; the bound keeps a lying image from making us scan forever. */
const MAX_DESCRIPTORS = 64;
const JOLIET_ESCAPES = ['%/@', '%/C', '%/E'];

export interface IsoVolume {
  blockSize: number;
  /** Volume space size, in logical blocks. */
  blocks: number;
  root: DirRecord;
  /** The Joliet root and its level (1-3), when there is one. */
  joliet?: { root: DirRecord; level: number };
}

function readSector(device: SyncDevice, n: number): Uint8Array {
  const at = n * SECTOR;
  if (at + SECTOR > device.size) throw new FsError('EIO', `iso9660: volume descriptor ${n - FIRST} lies beyond the end of the device (${device.size} bytes): the image is truncated`);
  const b = new Uint8Array(SECTOR);
  device.read(at, b);
  return b;
}

/** The root directory record kept in a descriptor at byte 156. */
function rootOf(d: Uint8Array, sector: number): DirRecord {
  if (d[156] !== 34) throw corrupt(`the root directory record of volume descriptor ${sector - FIRST} has length ${d[156]}`);
  const root = parseDirRecord(d, 156, sector * SECTOR);
  if (!(root.flags & 2)) throw corrupt('the root directory record is not a directory');
  return root;
}

export function readVolume(device: SyncDevice): IsoVolume {
  let primary: IsoVolume | undefined;
  let joliet: IsoVolume['joliet'];
  for (let i = 0; i < MAX_DESCRIPTORS; i++) {
    const d = readSector(device, FIRST + i);
    if (Buffer.from(d.subarray(1, 6)).toString('latin1') !== 'CD001') {
      if (i === 0) throw new FsError('EINVAL', 'iso9660: no ISO 9660 volume descriptor at sector 16: not an ISO 9660 filesystem');
      throw corrupt(`volume descriptor ${i} has no CD001 identifier`);
    }
    const type = d[0]!;
    if (type === 255) break;
    const dv = new DataView(d.buffer);
    if (type === 1 && !primary) {
      const blockSize = dv.getUint16(128, true);
      if (blockSize !== 512 && blockSize !== 1024 && blockSize !== 2048) throw corrupt(`the logical block size is ${blockSize}`);
      primary = { blockSize, blocks: dv.getUint32(80, true), root: rootOf(d, FIRST + i) };
    } else if (type === 2 && !joliet) {
      const esc = Buffer.from(d.subarray(88, 91)).toString('latin1');
      const level = JOLIET_ESCAPES.indexOf(esc) + 1;
      if (level > 0) joliet = { root: rootOf(d, FIRST + i), level };
    }
  }
  if (!primary) throw corrupt('there is no primary volume descriptor');
  return { ...primary, joliet };
}
