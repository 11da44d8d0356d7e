/**
 * LVM2 in TypeScript: find PVs, read VG metadata, map LVs as BlockDevices,
 * and answer libguestfs's pvs/vgs/lvs(-full) calls. See scan.ts.
 */
export { scanLvm } from './scan.js';
export type { LvmScan, LvmScanInput, LvmPv, LvmVg, LvmLv, LvmMda, ScanOptions } from './scan.js';
export { LvDevice } from './lv-device.js';
export type { LvArea, LvSegmentMap } from './lv-device.js';
export {
  lvmPvs,
  lvmVgs,
  lvmLvs,
  listedLvs,
  lvmPvsFull,
  lvmVgsFull,
  lvmLvsFull,
  lvmPvUuid,
  lvmVgUuid,
  lvmLvUuid,
  lvmVgPvUuids,
  lvmVgLvUuids,
  findLv,
  dmName,
  DM_MAJOR,
} from './report.js';
export type { LvmPvFull, LvmVgFull, LvmLvFull } from './report.js';
export { readPvLabel, readMdaHeader, readMetadataText, dashUuid, undashUuid } from './label.js';
export type { PvLabel, MdaHeader, RawLocation, DiskArea } from './label.js';
export { parseVgMetadata } from './metadata.js';
export type { VgMeta, LvMeta, PvMeta, SegmentMeta, StripeArea } from './metadata.js';
export { parseConfig, formatConfig, ConfigSection, ConfigSyntaxError } from './config.js';
export { lvmCrc } from './crc.js';
export { writeLvm, writePvLabel, writeMetadataArea, writeOrphanPv, randomLvmUuid } from './pv-writer.js';
export type { WriteLvmOptions, WrittenLvm, PvSpec, LvSpec } from './pv-writer.js';
