/**
 * Finds LVM2 PVs among a set of block devices, reads their metadata, keeps
 * the newest copy (highest seqno) of each VG and maps its LVs as
 * BlockDevices.
 *
 * Problems never abort the scan (unless `strict`): a damaged label or
 * metadata area, a missing PV, an unsupported LV type each add one line to
 * `warnings` (and a typed error to `errors`), and whatever can still be used
 * is returned. LVs that need a missing PV are listed with `partial: true` and
 * no `dev`; thin, snapshot, mirror/raid, cache and other LV types are listed
 * with `unsupported` set and no `dev`.
 */
import type { BlockDevice } from '../block/block-device.js';
import { GuestkitError } from '../errors/index.js';
import {
  dashUuid,
  undashUuid,
  MDA_HEADER_SIZE,
  readMdaHeader,
  readMetadataText,
  readPvLabel,
  RAW_LOCN_IGNORED,
  SECTOR_SIZE,
  type DiskArea,
  type PvLabel,
} from './label.js';
import { LvDevice, type LvSegmentMap } from './lv-device.js';
import { parseVgMetadata, type LvMeta, type PvMeta, type VgMeta } from './metadata.js';

export interface LvmScanInput {
  /** The name guestkit shows for the device, e.g. "/dev/sda2". */
  name: string;
  dev: BlockDevice;
}

export interface LvmMda {
  area: DiskArea;
  /** False when the header could not be read. */
  ok: boolean;
  ignored: boolean;
  /** Size of the committed metadata text in bytes (0 when none). */
  used: number;
  /** Free space as LVM reports it (room for the next copy), bytes. */
  free: number;
  seqno?: number;
  vgUuid?: string;
}

export interface LvmPv {
  /** Device name as given to scanLvm, e.g. "/dev/sda2". */
  device: string;
  dev: BlockDevice;
  /** PV UUID with dashes. */
  uuid: string;
  label: PvLabel;
  /** VG name, "" for a PV in no (readable) VG. */
  vgName: string;
  vgUuid: string;
  /** This PV's entry in its VG's metadata. */
  meta?: PvMeta;
  /** Device size, bytes. */
  devSize: number;
  /** First data byte. */
  peStart: number;
  peCount: number;
  peAllocCount: number;
  /** Usable size (pe_count * extent size; the device size for orphans), bytes. */
  size: number;
  free: number;
  used: number;
  allocatable: boolean;
  exported: boolean;
  tags: string[];
  mdas: LvmMda[];
}

export interface LvmVg {
  name: string;
  /** VG UUID with dashes. */
  uuid: string;
  seqno: number;
  /** Extent size in bytes. */
  extentSize: number;
  extentCount: number;
  freeCount: number;
  status: string[];
  flags: string[];
  tags: string[];
  /** True when some PV is missing. */
  partial: boolean;
  /** UUIDs (with dashes) of PVs listed in the metadata but not found. */
  missingPvs: string[];
  /** The PVs found, in metadata order. */
  pvs: LvmPv[];
  lvs: LvmLv[];
  readOnly: boolean;
  /** Device the chosen metadata was read from. */
  metadataFrom: string;
  meta: VgMeta;
}

export interface LvmLv {
  vg: string;
  vgUuid: string;
  name: string;
  /** LV UUID with dashes. */
  uuid: string;
  /** "/dev/VG/LV". */
  path: string;
  /** Bytes. */
  size: number;
  extents: number;
  /** LV has the VISIBLE flag (hidden LVs are internal parts of other LVs). */
  visible: boolean;
  /** LVM's lv_role "public" (visible, not a pool). */
  public: boolean;
  /** LVM's segtype of the first segment ("linear" for a one-stripe "striped" one). */
  segType: string;
  segCount: number;
  /** Set to the LV type when guestkit cannot map it ("thin", "snapshot", "raid1", ...). */
  unsupported?: string;
  /** Needs a PV that is missing. */
  partial: boolean;
  /** For a (thick) snapshot: the origin LV's name. */
  origin?: string;
  /** Has snapshots. */
  isOrigin: boolean;
  readOnly: boolean;
  /** lv_skip_activation (flag ACTIVATION_SKIP). */
  skipActivation: boolean;
  /** The LV's data, when it can be mapped. */
  dev?: LvDevice;
  /** dm minor number the appliance would give it (active LVs only). */
  kernelMinor?: number;
  meta: LvMeta;
}

export interface LvmScan {
  pvs: LvmPv[];
  vgs: LvmVg[];
  lvs: LvmLv[];
  /** One line per problem, each naming the device or VG/LV. */
  warnings: string[];
  /** The typed errors behind the warnings that came from damaged data. */
  errors: GuestkitError[];
}

export interface ScanOptions {
  /** Throw the first damaged-label/metadata error instead of warning. */
  strict?: boolean;
}

/** Segment types LvDevice can map. */
const MAPPABLE = new Set(['striped', 'zero', 'error']);
/** LVs of these segment types are private (not listed by lvs). */
const PRIVATE_TYPES = new Set(['thin-pool', 'cache-pool', 'vdo-pool']);

/**
 * Free space LVM reports for a metadata area: room for the next copy (half
 * the circular buffer, minus the current copy), in whole sectors less one.
 * Matches lvm2 2.03's pv_mda_free on every case checked (lvm-tools.test.ts).
 */
function mdaFree(areaSize: number, used: number): number {
  const sectors = Math.floor((Math.floor((areaSize - MDA_HEADER_SIZE) / 2) - used) / SECTOR_SIZE) - 1;
  return sectors <= 0 ? 0 : sectors * SECTOR_SIZE;
}

interface Candidate {
  vg: VgMeta;
  device: string;
}

export async function scanLvm(devices: LvmScanInput[], opts: ScanOptions = {}): Promise<LvmScan> {
  const warnings: string[] = [];
  const errors: GuestkitError[] = [];
  const problem = (e: unknown): void => {
    if (e instanceof GuestkitError) {
      if (opts.strict) throw e;
      errors.push(e);
      warnings.push(e.message);
    } else throw e;
  };

  // 1. Labels and metadata areas.
  const pvs: LvmPv[] = [];
  const byUuid = new Map<string, LvmPv>();
  const candidates: Candidate[] = [];
  // Labels first, so that of two devices with the same PV UUID (a copied
  // disk, multipath) the one that is whole can be preferred.
  const found: { name: string; dev: BlockDevice; label: PvLabel; uuid: string }[] = [];
  for (const { name, dev } of devices) {
    let label: PvLabel | null;
    try {
      label = await readPvLabel(dev, name);
    } catch (e) {
      problem(e);
      continue;
    }
    if (label) found.push({ name, dev, label, uuid: dashUuid(label.uuid) });
  }
  const whole = (f: (typeof found)[number]): boolean => f.dev.size >= f.label.deviceSize;
  const preferred = (uuid: string): (typeof found)[number] => {
    const same = found.filter((o) => o.uuid === uuid);
    return same.find(whole) ?? same[0]!;
  };
  for (const f of found) {
    const keep = preferred(f.uuid);
    if (keep !== f) {
      warnings.push(`${f.name}: PV ${f.uuid} is also on ${keep.name}: ignoring the copy on ${f.name}`);
      continue;
    }
    const { name, dev, label, uuid } = f;
    const peStart = label.dataAreas[0]?.offset ?? 0;
    const pv: LvmPv = {
      device: name,
      dev,
      uuid,
      label,
      vgName: '',
      vgUuid: '',
      devSize: dev.size,
      peStart,
      peCount: 0,
      peAllocCount: 0,
      size: dev.size,
      free: dev.size,
      used: 0,
      allocatable: false,
      exported: false,
      tags: [],
      mdas: [],
    };
    pvs.push(pv);
    byUuid.set(uuid, pv);
    for (const area of label.metadataAreas) {
      const mda: LvmMda = { area, ok: false, ignored: false, used: 0, free: 0 };
      pv.mdas.push(mda);
      try {
        const hdr = await readMdaHeader(dev, area, name);
        mda.ok = true;
        mda.ignored = ((hdr.rawLocations[0]?.flags ?? 0) & RAW_LOCN_IGNORED) !== 0;
        const md = await readMetadataText(dev, hdr, name);
        mda.used = md?.location.size ?? 0;
        mda.free = mdaFree(area.size, mda.used);
        if (!md) continue;
        const vg = parseVgMetadata(md.text, name);
        mda.seqno = vg.seqno;
        mda.vgUuid = vg.id;
        candidates.push({ vg, device: name });
      } catch (e) {
        problem(e);
      }
    }
  }

  // 2. The newest metadata of each VG; one VG per name.
  const chosen = new Map<string, Candidate>(); // by VG uuid
  for (const c of candidates) {
    const key = undashUuid(c.vg.id);
    const cur = chosen.get(key);
    if (!cur || c.vg.seqno > cur.vg.seqno) chosen.set(key, c);
  }
  const vgMetas: Candidate[] = [];
  const byName = new Map<string, Candidate>();
  for (const c of chosen.values()) {
    const other = byName.get(c.vg.name);
    if (other) {
      warnings.push(
        `VG ${c.vg.name}: two volume groups have this name (UUIDs ${other.vg.id} on ${other.device} and ${c.vg.id} on ${c.device}): ignoring the one on ${c.device}`,
      );
      continue;
    }
    byName.set(c.vg.name, c);
    vgMetas.push(c);
    const older = candidates.filter((o) => undashUuid(o.vg.id) === undashUuid(c.vg.id) && o.vg.seqno < c.vg.seqno);
    for (const o of older) {
      warnings.push(`VG ${c.vg.name}: metadata on ${o.device} is older (seqno ${o.vg.seqno}) than on ${c.device} (seqno ${c.vg.seqno}): using the newest`);
    }
  }

  // 3. Build VGs and LVs.
  const vgs: LvmVg[] = [];
  for (const { vg: meta, device } of vgMetas) vgs.push(buildVg(meta, device, byUuid, warnings));
  vgs.sort((a, b) => cmp(a.name, b.name));

  const lvs: LvmLv[] = [];
  let minor = 0;
  for (const vg of vgs) {
    for (const lv of vg.lvs) {
      if (lv.dev) lv.kernelMinor = minor++;
      lvs.push(lv);
    }
  }
  return { pvs, vgs, lvs, warnings, errors };
}

/** Quotes strings from the metadata that are not plain words, so a warning stays one line. */
function safe(s: string): string {
  return /^[\x21-\x7e]+$/.test(s) ? s : JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function buildVg(meta: VgMeta, from: string, byUuid: Map<string, LvmPv>, warnings: string[]): LvmVg {
  const extentBytes = meta.extentSize * SECTOR_SIZE;
  const pvByKey = new Map<string, LvmPv | undefined>();
  const found: LvmPv[] = [];
  const missingPvs: string[] = [];
  for (const p of meta.pvs) {
    const pv = p.flags.includes('MISSING') ? undefined : byUuid.get(dashUuid(undashUuid(p.id)));
    if (pv && pv.vgUuid && pv.vgUuid !== meta.id) {
      // Listed by two VGs (a stale copy): the first claim wins.
      warnings.push(`VG ${meta.name}: PV ${p.id} on ${pv.device} already belongs to VG ${pv.vgName}`);
      pvByKey.set(p.key, undefined);
      missingPvs.push(p.id);
      continue;
    }
    pvByKey.set(p.key, pv);
    if (!pv) {
      missingPvs.push(p.id);
      const hint = p.deviceHint ? ` (last seen as ${safe(p.deviceHint)})` : '';
      warnings.push(`VG ${meta.name}: PV ${p.id}${hint} is missing`);
      continue;
    }
    pv.vgName = meta.name;
    pv.vgUuid = meta.id;
    pv.meta = p;
    pv.peStart = p.peStart * SECTOR_SIZE;
    pv.peCount = p.peCount;
    pv.size = p.peCount * extentBytes;
    pv.allocatable = p.status.includes('ALLOCATABLE');
    pv.exported = p.status.includes('EXPORTED');
    pv.tags = p.tags;
    found.push(pv);
    const end = pv.peStart + p.peCount * extentBytes;
    if (end > pv.dev.size) {
      warnings.push(`${pv.device}: the device (${pv.dev.size} bytes) is smaller than PV ${p.id} of VG ${meta.name} needs (${end} bytes)`);
    }
  }
  const partial = missingPvs.length > 0;
  const vgReadOnly = !meta.status.includes('WRITE');

  // Extents in use per PV.
  const alloc = new Map<string, number>();
  for (const lv of meta.lvs) {
    for (const s of lv.segments) {
      for (const st of s.stripes) alloc.set(st.pv, (alloc.get(st.pv) ?? 0) + s.extentCount / s.stripeCount);
    }
  }
  for (const p of meta.pvs) {
    const pv = pvByKey.get(p.key);
    if (!pv) continue;
    pv.peAllocCount = alloc.get(p.key) ?? 0;
    pv.used = pv.peAllocCount * extentBytes;
    pv.free = pv.size - pv.used;
  }
  const extentCount = meta.pvs.reduce((n, p) => n + p.peCount, 0);
  const allocCount = [...alloc.values()].reduce((n, c) => n + c, 0);

  const vg: LvmVg = {
    name: meta.name,
    uuid: meta.id,
    seqno: meta.seqno,
    extentSize: extentBytes,
    extentCount,
    freeCount: extentCount - allocCount,
    status: meta.status,
    flags: meta.flags,
    tags: meta.tags,
    partial,
    missingPvs,
    pvs: found,
    lvs: [],
    readOnly: vgReadOnly,
    metadataFrom: from,
    meta,
  };

  // Snapshots: a hidden LV with a "snapshot" segment ties origin and COW LV.
  const snapOrigin = new Map<string, string>(); // cow LV name -> origin name
  const origins = new Set<string>();
  for (const lv of meta.lvs) {
    for (const s of lv.segments) {
      if (s.type === 'snapshot') {
        const o = s.raw.string('origin');
        const c = s.raw.string('cow_store');
        if (o && c) {
          snapOrigin.set(c, o);
          origins.add(o);
        }
      }
    }
  }

  for (const lm of meta.lvs) {
    const visible = lm.status.includes('VISIBLE');
    const firstType = lm.segments[0]?.type ?? 'striped';
    const segType = firstType === 'striped' && (lm.segments[0]?.stripeCount ?? 1) === 1 ? 'linear' : firstType;
    const lv: LvmLv = {
      vg: meta.name,
      vgUuid: meta.id,
      name: lm.name,
      uuid: lm.id,
      path: `/dev/${meta.name}/${lm.name}`,
      size: lm.extents * extentBytes,
      extents: lm.extents,
      visible,
      public: visible && !lm.segments.some((s) => PRIVATE_TYPES.has(s.type)),
      segType,
      segCount: lm.segments.length,
      partial: false,
      isOrigin: origins.has(lm.name),
      readOnly: vgReadOnly || !lm.status.includes('WRITE'),
      skipActivation: lm.flags.includes('ACTIVATION_SKIP'),
      meta: lm,
    };
    const origin = snapOrigin.get(lm.name);
    if (origin !== undefined) {
      lv.origin = origin;
      lv.unsupported = 'snapshot';
      lv.segType = 'snapshot';
    } else {
      const bad = lm.segments.find((s) => !MAPPABLE.has(s.type));
      if (bad) lv.unsupported = bad.type;
    }
    // Does it need a missing PV?
    const missingHere = new Set<string>();
    for (const s of lm.segments) for (const st of s.stripes) if (!pvByKey.get(st.pv)) missingHere.add(st.pv);
    if (missingHere.size > 0) {
      lv.partial = true;
      const ids = [...missingHere].map((k) => meta.pvs.find((p) => p.key === k)?.id ?? k);
      warnings.push(`LV ${meta.name}/${lm.name}: left out: it needs the missing PV${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`);
    } else if (lv.unsupported) {
      if (visible) warnings.push(`LV ${meta.name}/${lm.name}: ${safe(lv.unsupported)} LVs are not supported: left out`);
    } else if (lm.segments.length > 0) {
      try {
        lv.dev = mapLv(lv, meta, pvByKey, extentBytes);
      } catch (e) {
        if (!(e instanceof LayoutError) && !(e instanceof GuestkitError)) throw e;
        lv.partial = true;
        warnings.push(`LV ${meta.name}/${lm.name}: left out: ${e.message}`);
      }
    }
    vg.lvs.push(lv);
  }
  return vg;
}

class LayoutError extends Error {}

function mapLv(lv: LvmLv, meta: VgMeta, pvByKey: Map<string, LvmPv | undefined>, extentBytes: number): LvDevice {
  const segs: LvSegmentMap[] = [];
  for (const s of lv.meta.segments) {
    const start = s.startExtent * extentBytes;
    const length = s.extentCount * extentBytes;
    if (s.type !== 'striped') {
      segs.push({ start, length, kind: s.type as 'zero' | 'error', stripeSize: 0, areas: [] });
      continue;
    }
    const perStripe = s.extentCount / s.stripeCount;
    const areas = s.stripes.map((st) => {
      const pv = pvByKey.get(st.pv)!;
      const pm = meta.pvs.find((p) => p.key === st.pv)!;
      if (st.startExtent + perStripe > pm.peCount) {
        throw new LayoutError(`${s.key} uses extents ${st.startExtent}-${st.startExtent + perStripe - 1} of ${st.pv}, which has ${pm.peCount}`);
      }
      const offset = pm.peStart * SECTOR_SIZE + st.startExtent * extentBytes;
      if (offset + perStripe * extentBytes > pv.dev.size) {
        throw new LayoutError(`${s.key} ends beyond the end of ${pv.device} (size ${pv.dev.size})`);
      }
      return { dev: pv.dev, offset };
    });
    segs.push({ start, length, kind: 'striped', stripeSize: s.stripeCount > 1 ? s.stripeSize * SECTOR_SIZE : length, areas });
  }
  return new LvDevice(lv.path, segs, { readOnly: lv.readOnly });
}

