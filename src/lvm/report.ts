/**
 * What libguestfs's LVM listing calls return, computed from a scan:
 *  - pvs / vgs / lvs: device names of PVs, VG names, "/dev/VG/LV" paths,
 *    sorted by byte value (libguestfs sorts the lvm output with strcmp).
 *    lvs lists public LVs (visible, not pools) without the activation-skip
 *    flag, like libguestfs's `lvs -S "lv_role=public && lv_skip_activation!=yes"`.
 *  - pvs-full / vgs-full / lvs-full: the lvm_pv / lvm_vg / lvm_lv structs.
 *    UUIDs are the 32-character form without dashes; sizes are bytes;
 *    absent percentages are -1. Rows come in lvm's default report order
 *    (pv_name; vg_name; vg_name,lv_name). LVs guestkit maps count as active
 *    (state 'a', kernel major 253, minors numbered in scan order).
 *  - pvuuid / vguuid / lvuuid / vgpvuuids / vglvuuids: dashed UUIDs, as the
 *    lvm tools print them.
 */
import { undashUuid } from './label.js';
import type { LvmLv, LvmPv, LvmScan, LvmVg } from './scan.js';

/** Device-mapper's block major number, as the appliance's kernel reports it. */
export const DM_MAJOR = 253;

export interface LvmPvFull {
  pv_name: string;
  pv_uuid: string;
  pv_fmt: string;
  pv_size: number;
  dev_size: number;
  pv_free: number;
  pv_used: number;
  pv_attr: string;
  pv_pe_count: number;
  pv_pe_alloc_count: number;
  pv_tags: string;
  pe_start: number;
  pv_mda_count: number;
  pv_mda_free: number;
}

export interface LvmVgFull {
  vg_name: string;
  vg_uuid: string;
  vg_fmt: string;
  vg_attr: string;
  vg_size: number;
  vg_free: number;
  vg_sysid: string;
  vg_extent_size: number;
  vg_extent_count: number;
  vg_free_count: number;
  max_lv: number;
  max_pv: number;
  pv_count: number;
  lv_count: number;
  snap_count: number;
  vg_seqno: number;
  vg_tags: string;
  vg_mda_count: number;
  vg_mda_free: number;
}

export interface LvmLvFull {
  lv_name: string;
  lv_uuid: string;
  lv_attr: string;
  lv_major: number;
  lv_minor: number;
  lv_kernel_major: number;
  lv_kernel_minor: number;
  lv_size: number;
  seg_count: number;
  origin: string;
  snap_percent: number;
  copy_percent: number;
  move_pv: string;
  lv_tags: string;
  mirror_log: string;
  modules: string;
}

function byteSort(list: string[]): string[] {
  return list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** libguestfs `pvs`: device names of all PVs found, sorted. */
export function lvmPvs(scan: LvmScan): string[] {
  return byteSort(scan.pvs.map((p) => p.device));
}

/** libguestfs `vgs`: VG names, sorted. */
export function lvmVgs(scan: LvmScan): string[] {
  return byteSort(scan.vgs.map((v) => v.name));
}

/** The LVs `lvs` lists (public, not activation-skipped). */
export function listedLvs(scan: LvmScan, opts: { mappableOnly?: boolean } = {}): LvmLv[] {
  return scan.lvs.filter((l) => l.public && !l.skipActivation && (!opts.mappableOnly || l.dev !== undefined));
}

/**
 * libguestfs `lvs`: "/dev/VG/LV" paths, sorted. By default this includes LVs
 * guestkit cannot map (partial or unsupported types), as libguestfs would list
 * them; pass `mappableOnly` to list only those with a device.
 */
export function lvmLvs(scan: LvmScan, opts: { mappableOnly?: boolean } = {}): string[] {
  return byteSort(listedLvs(scan, opts).map((l) => l.path));
}

function pvAttr(p: LvmPv): string {
  if (!p.vgName) return '---';
  return `${p.allocatable ? 'a' : '-'}${p.exported ? 'x' : '-'}-`;
}

export function lvmPvsFull(scan: LvmScan): LvmPvFull[] {
  return [...scan.pvs]
    .sort((a, b) => cmp(a.device, b.device))
    .map((p) => {
      const used = p.mdas.filter((m) => m.ok);
      return {
        pv_name: p.device,
        pv_uuid: undashUuid(p.uuid),
        pv_fmt: 'lvm2',
        pv_size: p.size,
        dev_size: p.devSize,
        pv_free: p.free,
        pv_used: p.used,
        pv_attr: pvAttr(p),
        pv_pe_count: p.peCount,
        pv_pe_alloc_count: p.peAllocCount,
        pv_tags: p.tags.join(','),
        pe_start: p.peStart,
        pv_mda_count: p.mdas.length,
        pv_mda_free: used.length ? Math.min(...used.map((m) => m.free)) : 0,
      };
    });
}

const ALLOC_CHAR: Record<string, string> = { inherit: 'i', normal: 'n', contiguous: 'c', cling: 'l', anywhere: 'a', cling_by_tags: 'l' };

function vgAttr(v: LvmVg): string {
  const perm = v.status.includes('WRITE') ? 'w' : 'r';
  const resize = v.status.includes('RESIZEABLE') ? 'z' : '-';
  const exported = v.status.includes('EXPORTED') ? 'x' : '-';
  const partial = v.partial ? 'p' : '-';
  const alloc = ALLOC_CHAR[v.meta.allocationPolicy ?? 'normal'] ?? 'n';
  const cluster = v.status.includes('CLUSTERED') ? 'c' : v.meta.lockType ? 's' : '-';
  return perm + resize + exported + partial + alloc + cluster;
}

export function lvmVgsFull(scan: LvmScan): LvmVgFull[] {
  return [...scan.vgs]
    .sort((a, b) => cmp(a.name, b.name))
    .map((v) => {
      const mdas = v.pvs.flatMap((p) => p.mdas.filter((m) => m.ok && !m.ignored));
      return {
        vg_name: v.name,
        vg_uuid: undashUuid(v.uuid),
        vg_fmt: v.meta.format || 'lvm2',
        vg_attr: vgAttr(v),
        vg_size: v.extentCount * v.extentSize,
        vg_free: v.freeCount * v.extentSize,
        vg_sysid: v.meta.systemId,
        vg_extent_size: v.extentSize,
        vg_extent_count: v.extentCount,
        vg_free_count: v.freeCount,
        max_lv: v.meta.maxLv,
        max_pv: v.meta.maxPv,
        pv_count: v.meta.pvs.length,
        lv_count: v.lvs.filter((l) => l.visible).length,
        snap_count: v.lvs.filter((l) => l.origin !== undefined).length,
        vg_seqno: v.seqno,
        vg_tags: v.tags.join(','),
        vg_mda_count: v.pvs.reduce((n, p) => n + p.mdas.length, 0),
        vg_mda_free: mdas.length ? Math.min(...mdas.map((m) => m.free)) : 0,
      };
    });
}

/** LV type letter (lv_attr[0]), target letter (lv_attr[6]) and dm modules by segment type. */
const TYPE_INFO: Record<string, [string, string, string]> = {
  'thin-pool': ['t', 't', 'thin-pool'],
  thin: ['V', 't', 'thin-pool'],
  mirror: ['m', 'm', 'mirror'],
  raid0: ['r', 'r', 'raid'],
  raid0_meta: ['r', 'r', 'raid'],
  raid1: ['r', 'r', 'raid'],
  raid10: ['r', 'r', 'raid'],
  raid4: ['r', 'r', 'raid'],
  raid5: ['r', 'r', 'raid'],
  raid5_la: ['r', 'r', 'raid'],
  raid5_ls: ['r', 'r', 'raid'],
  raid5_ra: ['r', 'r', 'raid'],
  raid5_rs: ['r', 'r', 'raid'],
  raid5_n: ['r', 'r', 'raid'],
  raid6: ['r', 'r', 'raid'],
  raid6_zr: ['r', 'r', 'raid'],
  raid6_nr: ['r', 'r', 'raid'],
  raid6_nc: ['r', 'r', 'raid'],
  cache: ['C', 'C', 'cache'],
  'cache-pool': ['C', 'C', 'cache'],
  writecache: ['C', 'C', 'writecache'],
  vdo: ['v', 'v', 'vdo'],
  'vdo-pool': ['d', 'v', 'vdo'],
  integrity: ['r', 'g', 'integrity'],
  zero: ['-', 'v', ''],
  error: ['-', 'v', ''],
};

function lvAttr(l: LvmLv): string {
  const first = l.meta.segments[0];
  const info = first ? TYPE_INFO[first.type] : undefined;
  let type = info?.[0] ?? '-';
  let target = info?.[1] ?? '-';
  if (l.origin !== undefined) {
    type = 's';
    target = 's';
  } else if (l.isOrigin) {
    type = 'o';
    target = 's';
  }
  const perm = l.meta.status.includes('WRITE') ? 'w' : 'r';
  const alloc = ALLOC_CHAR[l.meta.allocationPolicy ?? 'inherit'] ?? 'i';
  const fixed = l.meta.status.includes('FIXED_MINOR') ? 'm' : '-';
  const state = l.dev ? 'a' : '-';
  const zero = first?.type === 'thin-pool' && first.raw.number('zero_new_blocks') === 1 ? 'z' : '-';
  const health = l.partial ? 'p' : '-';
  const skip = l.skipActivation ? 'k' : '-';
  return type + perm + alloc + fixed + state + '-' + target + zero + health + skip;
}

function modules(l: LvmLv): string {
  if (l.origin !== undefined || l.isOrigin) return 'snapshot';
  const mods = new Set<string>();
  for (const s of l.meta.segments) {
    const m = TYPE_INFO[s.type]?.[2];
    if (m) mods.add(m);
  }
  return [...mods].join(',');
}

/** libguestfs `lvs-full`: one lvm_lv struct per visible LV. */
export function lvmLvsFull(scan: LvmScan): LvmLvFull[] {
  return scan.lvs
    .filter((l) => l.visible)
    .sort((a, b) => cmp(a.vg, b.vg) || cmp(a.name, b.name))
    .map((l) => {
      const fixed = l.meta.status.includes('FIXED_MINOR');
      return {
        lv_name: l.name,
        lv_uuid: undashUuid(l.uuid),
        lv_attr: lvAttr(l),
        lv_major: fixed ? (l.meta.major ?? -1) : -1,
        lv_minor: fixed ? (l.meta.minor ?? -1) : -1,
        lv_kernel_major: l.dev ? DM_MAJOR : -1,
        lv_kernel_minor: l.kernelMinor ?? -1,
        lv_size: l.size,
        seg_count: l.segCount,
        origin: l.origin ?? '',
        snap_percent: -1,
        copy_percent: -1,
        move_pv: '',
        lv_tags: l.meta.tags.join(','),
        mirror_log: '',
        modules: modules(l),
      };
    });
}

/** libguestfs `pvuuid`: the PV UUID (dashed) of a device, or undefined. */
export function lvmPvUuid(scan: LvmScan, device: string): string | undefined {
  return scan.pvs.find((p) => p.device === device)?.uuid;
}

/** libguestfs `vguuid`. */
export function lvmVgUuid(scan: LvmScan, vg: string): string | undefined {
  return scan.vgs.find((v) => v.name === vg)?.uuid;
}

/** libguestfs `lvuuid`: accepts "/dev/VG/LV" or "/dev/mapper/VG-LV". */
export function lvmLvUuid(scan: LvmScan, device: string): string | undefined {
  return findLv(scan, device)?.uuid;
}

/** libguestfs `vgpvuuids`: the UUIDs of the VG's PVs, in metadata order. */
export function lvmVgPvUuids(scan: LvmScan, vg: string): string[] | undefined {
  return scan.vgs.find((v) => v.name === vg)?.meta.pvs.map((p) => p.id);
}

/** libguestfs `vglvuuids`: the UUIDs of the VG's visible LVs. */
export function lvmVgLvUuids(scan: LvmScan, vg: string): string[] | undefined {
  return scan.vgs
    .find((v) => v.name === vg)
    ?.lvs.filter((l) => l.visible)
    .map((l) => l.uuid);
}

/** dm escapes '-' in VG and LV names as '--' in /dev/mapper names. */
export function dmName(vg: string, lv: string): string {
  return `${vg.replace(/-/g, '--')}-${lv.replace(/-/g, '--')}`;
}

/** Finds an LV by "/dev/VG/LV" or "/dev/mapper/VG-LV". */
export function findLv(scan: LvmScan, device: string): LvmLv | undefined {
  const direct = scan.lvs.find((l) => l.path === device);
  if (direct) return direct;
  if (device.startsWith('/dev/mapper/')) {
    const m = device.slice('/dev/mapper/'.length);
    return scan.lvs.find((l) => dmName(l.vg, l.name) === m);
  }
  return undefined;
}
