/**
 * What virt-filesystems computes: one row per filesystem, LV, VG, PV, partition and
 * block device the selection asks for, in that order, with only the figures the
 * chosen columns need (each costs commands, and the filesystem sizes a mount).
 */
import type { Guestfs } from '../../src/core/guestfs.js';
import type { GuestkitError } from '../../src/errors/index.js';

/** What to list (virt-filesystems' --filesystems, --extra, --lvs, ...). */
export interface Selection {
  filesystems: boolean;
  /** Swap and unknown filesystems too (--extra). */
  extra: boolean;
  lvs: boolean;
  vgs: boolean;
  pvs: boolean;
  partitions: boolean;
  blockDevices: boolean;
}

/** Which optional columns will be printed (the compute fills only those). */
export interface Columns {
  long: boolean;
  /** VFS and Label (long mode with filesystems selected). */
  vfs: boolean;
  /** MBR (long mode with partitions selected). */
  mbr: boolean;
  uuid: boolean;
}

export interface Row {
  name: string;
  type: 'filesystem' | 'lv' | 'vg' | 'pv' | 'partition' | 'device';
  vfsType?: string;
  label?: string;
  /** MBR partition type byte, on MBR disks only. */
  mbrId?: number;
  /** Bytes; undefined where virt-filesystems prints "-". */
  size?: number;
  parents: string[];
  uuid?: string;
}

export async function computeRows(g: Guestfs, sel: Selection, cols: Columns): Promise<Row[]> {
  const rows: Row[] = [];
  if (sel.filesystems) rows.push(...(await filesystemRows(g, sel.extra, cols)));
  if (sel.lvs) rows.push(...(await lvRows(g, cols)));
  const pvs = sel.vgs || sel.pvs ? ((await g.pvsFull()) as { pv_name: string; pv_uuid: string; pv_size: number }[]) : [];
  if (sel.vgs) rows.push(...(await vgRows(g, pvs)));
  if (sel.pvs) rows.push(...pvs.map((p): Row => ({ name: p.pv_name, type: 'pv', size: p.pv_size, parents: [], uuid: p.pv_uuid })));
  if (sel.partitions) rows.push(...(await partitionRows(g, cols)));
  if (sel.blockDevices) rows.push(...(await deviceRows(g, cols)));
  return rows;
}

async function filesystemRows(g: Guestfs, extra: boolean, cols: Columns): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [mountable, vfsType] of Object.entries(await g.listFilesystems())) {
    if (!extra && (vfsType === 'swap' || vfsType === 'unknown')) continue;
    const row: Row = { name: mountable, type: 'filesystem', vfsType, parents: [] };
    if (cols.vfs) row.label = await g.vfsLabel(mountable).catch(() => '');
    if (cols.uuid) row.uuid = await g.vfsUuid(mountable).catch(() => '');
    // A btrfs subvolume has no size of its own: virt-filesystems leaves it blank.
    if (cols.long && !mountable.startsWith('btrfsvol:')) row.size = await filesystemSize(g, mountable, vfsType);
    rows.push(row);
  }
  return rows;
}

const NEVER_MOUNTED = new Set(['swap', 'unknown']);

/** The size a mounted filesystem reports (blocks × block size), else the device's. */
async function filesystemSize(g: Guestfs, mountable: string, vfsType: string): Promise<number> {
  try {
    await g.mountRo(mountable, '/');
  } catch (e) {
    // A backend that cannot read a filesystem must not pass for one that found it
    // unmountable (swap and unknown ones no backend mounts).
    if ((e as GuestkitError).code === 'ENOTSUP' && !NEVER_MOUNTED.has(vfsType)) throw e;
    return g.blockdevGetsize64(mountable);
  }
  try {
    const st = (await g.statvfs('/')) as { blocks: number; bsize: number };
    return st.blocks * st.bsize;
  } finally {
    await g.umountAll();
  }
}

async function lvRows(g: Guestfs, cols: Columns): Promise<Row[]> {
  const rows: Row[] = [];
  for (const lv of await g.lvs()) {
    rows.push({
      name: lv,
      type: 'lv',
      size: cols.long ? await g.blockdevGetsize64(lv) : undefined,
      uuid: cols.uuid ? await g.lvuuid(lv) : undefined,
      parents: [lv.slice(0, lv.lastIndexOf('/'))],
    });
  }
  return rows;
}

async function vgRows(g: Guestfs, pvs: { pv_name: string }[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const vg of (await g.vgsFull()) as { vg_name: string; vg_uuid: string; vg_size: number }[]) {
    // virt-filesystems 1.48 means to name each of the VG's PVs, but its UUID
    // comparison never matches past the first PV: every entry is the first PV.
    const parents = (await g.vgpvuuids(vg.vg_name)).map(() => pvs[0]?.pv_name ?? '');
    rows.push({ name: `/dev/${vg.vg_name}`, type: 'vg', size: vg.vg_size, parents, uuid: vg.vg_uuid });
  }
  return rows;
}

async function partitionRows(g: Guestfs, cols: Columns): Promise<Row[]> {
  const rows: Row[] = [];
  for (const part of await g.listPartitions()) {
    const row: Row = { name: part, type: 'partition', parents: [] };
    if (cols.long) {
      row.size = await g.blockdevGetsize64(part);
      const disk = await g.partToDev(part);
      row.parents = [disk];
      if (cols.mbr) row.mbrId = await mbrId(g, disk, part);
    }
    rows.push(row);
  }
  return rows;
}

/** The partition's MBR type byte, when its disk is MBR-partitioned (failures leave it blank, as in virt-filesystems). */
async function mbrId(g: Guestfs, disk: string, part: string): Promise<number | undefined> {
  try {
    if ((await g.partGetParttype(disk)) !== 'msdos') return undefined;
    return await g.partGetMbrId(disk, await g.partToPartnum(part));
  } catch {
    return undefined;
  }
}

async function deviceRows(g: Guestfs, cols: Columns): Promise<Row[]> {
  const rows: Row[] = [];
  for (const dev of await g.listDevices()) {
    rows.push({ name: dev, type: 'device', size: cols.long ? await g.blockdevGetsize64(dev) : undefined, parents: [] });
  }
  return rows;
}
