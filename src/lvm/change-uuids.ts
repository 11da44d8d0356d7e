/**
 * `pvchange -u -a` and `vgchange -u` in TypeScript: every PV and/or VG gets a
 * new random UUID, written the way lvm commits a metadata change. The VG's
 * metadata text gets the new ids and seqno + 1 and is written to every
 * metadata area of every PV of the VG (after the old copy in the circular
 * buffer, then the area header pointing at it, with both checksums); each PV
 * label gets its new UUID and label checksum. LV UUIDs stay, as with lvm.
 * Only LVM's own areas are written, never the data extents.
 */
import type { BlockDevice } from '../block/block-device.js';
import { ErrnoError } from '../errors/index.js';
import { lvmCrc } from './crc.js';
import { MDA_HEADER_SIZE, readMdaHeader, readMetadataText, RAW_LOCN_IGNORED, SECTOR_SIZE, undashUuid } from './label.js';
import { randomLvmUuid, writeMetadataArea } from './pv-writer.js';
import type { LvmPv, LvmScan, LvmVg } from './scan.js';

export interface UuidChange {
  /** New UUIDs for every PV (pvchange -u -a), or for the PVs on these devices (pvchange -u DEVICE). */
  pvs: boolean | readonly string[];
  /** New UUIDs for every VG (vgchange -u), or for the VGs of these names. */
  vgs: boolean | readonly string[];
}

const chosen = (which: boolean | readonly string[], name: string) => (typeof which === 'boolean' ? which : which.includes(name));

/** Rewrites the PV UUID in the label sector, with the label's checksum (crc of bytes 20..511). */
async function writeLabelUuid(pv: LvmPv, uuid: string): Promise<void> {
  const at = pv.label.sector * SECTOR_SIZE;
  const sector = await pv.dev.read(at, SECTOR_SIZE);
  const dv = new DataView(sector.buffer, sector.byteOffset, SECTOR_SIZE);
  const headerAt = dv.getUint32(20, true);
  const plain = undashUuid(uuid);
  for (let i = 0; i < 32; i++) sector[headerAt + i] = plain.charCodeAt(i);
  dv.setUint32(16, lvmCrc(sector.subarray(20)), true);
  await pv.dev.write(at, sector);
}

/** The VG's committed metadata text (the copy of its newest seqno), without the trailing NULs. */
async function vgText(vg: LvmVg): Promise<string> {
  for (const pv of vg.pvs) {
    for (const mda of pv.mdas) {
      if (!mda.ok || mda.ignored || mda.seqno !== vg.seqno) continue;
      const md = await readMetadataText(pv.dev, await readMdaHeader(pv.dev, mda.area, pv.device), pv.device);
      if (md) return md.text.replace(/\0+$/, '');
    }
  }
  throw new ErrnoError('EIO', `volume group ${vg.name}: no readable copy of its metadata (seqno ${vg.seqno})`);
}

/** Where the next copy goes in a circular metadata area: just after the committed one, on a sector boundary. */
function nextOffset(areaSize: number, old: { offset: number; size: number } | undefined): number {
  if (!old || old.size === 0) return MDA_HEADER_SIZE;
  const end = MDA_HEADER_SIZE + ((old.offset - MDA_HEADER_SIZE + old.size) % (areaSize - MDA_HEADER_SIZE));
  const next = Math.ceil(end / SECTOR_SIZE) * SECTOR_SIZE;
  return next >= areaSize ? MDA_HEADER_SIZE : next;
}

/** Writes `text` as the committed metadata of every (not ignored) metadata area of the VG's PVs. */
async function commitText(vg: LvmVg, text: string): Promise<void> {
  const body = new TextEncoder().encode(text + '\0');
  for (const pv of vg.pvs) {
    for (const area of pv.label.metadataAreas) {
      const hdr = await readMdaHeader(pv.dev, area, pv.device);
      const old = hdr.rawLocations[0];
      if (old && old.flags & RAW_LOCN_IGNORED) continue;
      await writeMetadataArea(pv.dev, area, body, { offset: nextOffset(area.size, old) });
    }
  }
}

function replaceAll(text: string, from: string, to: string): string {
  return text.split(from).join(to);
}

/** Gives the PVs and/or VGs of `scan` new random UUIDs on their devices (call rescan afterwards). */
export async function changeLvmUuids(scan: LvmScan, change: UuidChange): Promise<void> {
  const newPvUuid = new Map<LvmPv, string>();
  for (const pv of scan.pvs) if (chosen(change.pvs, pv.device)) newPvUuid.set(pv, randomLvmUuid());
  for (const vg of scan.vgs) {
    const changesVg = chosen(change.vgs, vg.name);
    if (!changesVg && !vg.pvs.some((pv) => newPvUuid.has(pv))) continue;
    if (vg.partial) throw new ErrnoError('EINVAL', `volume group ${vg.name} is missing PVs (${vg.missingPvs.join(', ')}): its UUIDs cannot be changed`);
    if (vg.readOnly) throw new ErrnoError('EROFS', `volume group ${vg.name} is read-only`);
    let text = await vgText(vg);
    if (changesVg) text = replaceAll(text, vg.uuid, randomLvmUuid());
    for (const pv of vg.pvs) {
      const uuid = newPvUuid.get(pv);
      if (uuid) text = replaceAll(text, pv.uuid, uuid);
    }
    const seqno = /\bseqno = (\d+)/.exec(text);
    if (!seqno || Number(seqno[1]) !== vg.seqno) throw new ErrnoError('EIO', `volume group ${vg.name}: its metadata has no seqno ${vg.seqno}`);
    text = text.replace(/\bseqno = \d+/, `seqno = ${vg.seqno + 1}`);
    await commitText(vg, text);
  }
  // Labels last: a PV found by its new UUID already has metadata that lists it.
  for (const [pv, uuid] of newPvUuid) await writeLabelUuid(pv, uuid);
  const devices = new Set<BlockDevice>(scan.pvs.map((pv) => pv.dev));
  for (const d of devices) await d.flush();
}
