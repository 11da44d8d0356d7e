/**
 * The ISO 9660 primary volume descriptor (sector 16 of 2048 bytes), decoded into the
 * fields of libguestfs's isoinfo struct.
 */
import { ErrnoError } from '../errors/index.js';

export const ISO_PVD_OFFSET = 16 * 2048;

export const ISOINFO_FIELDS = [
  'iso_system_id', 'iso_volume_id', 'iso_volume_space_size', 'iso_volume_set_size', 'iso_volume_sequence_number',
  'iso_logical_block_size', 'iso_volume_set_id', 'iso_publisher_id', 'iso_data_preparer_id', 'iso_application_id',
  'iso_copyright_file_id', 'iso_abstract_file_id', 'iso_bibliographic_file_id', 'iso_volume_creation_t',
  'iso_volume_modification_t', 'iso_volume_expiration_t', 'iso_volume_effective_t',
] as const;

/**
 * A 17-byte dec-datetime ("YYYYMMDDHHMMSScc" and a signed offset from GMT in 15-minute
 * units) as seconds since the epoch; -1 when unset (all digits zero).
 */
function decDatetime(b: Uint8Array, o: number): number {
  const s = Buffer.from(b.subarray(o, o + 16)).toString('latin1');
  if (!/^\d{16}$/.test(s) || /^0+$/.test(s)) return -1;
  const n = (i: number, len: number) => Number(s.slice(i, i + len));
  const utc = Date.UTC(n(0, 4), n(4, 2) - 1, n(6, 2), n(8, 2), n(10, 2), n(12, 2)) / 1000;
  const tz = (b[o + 16]! << 24) >> 24; // signed byte
  return utc - tz * 15 * 60;
}

export function parseIsoPrimaryVolume(pvd: Uint8Array, what: string): Record<string, string | number> {
  if (pvd.length < 2048 || pvd[0] !== 1 || Buffer.from(pvd.subarray(1, 6)).toString('latin1') !== 'CD001') {
    throw new ErrnoError('EINVAL', `${what}: not an ISO file or CD-ROM`);
  }
  const dv = new DataView(pvd.buffer, pvd.byteOffset, pvd.byteLength);
  const str = (a: number, z: number) => Buffer.from(pvd.subarray(a, z)).toString('latin1').replace(/[ \0]+$/, '');
  return {
    iso_system_id: str(8, 40),
    iso_volume_id: str(40, 72),
    iso_volume_space_size: dv.getUint32(80, true),
    iso_volume_set_size: dv.getUint16(120, true),
    iso_volume_sequence_number: dv.getUint16(124, true),
    iso_logical_block_size: dv.getUint16(128, true),
    iso_volume_set_id: str(190, 318),
    iso_publisher_id: str(318, 446),
    iso_data_preparer_id: str(446, 574),
    iso_application_id: str(574, 702),
    iso_copyright_file_id: str(702, 739),
    iso_abstract_file_id: str(739, 776),
    iso_bibliographic_file_id: str(776, 813),
    iso_volume_creation_t: decDatetime(pvd, 813),
    iso_volume_modification_t: decDatetime(pvd, 830),
    iso_volume_expiration_t: decDatetime(pvd, 847),
    iso_volume_effective_t: decDatetime(pvd, 864),
  };
}
