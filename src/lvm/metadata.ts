/**
 * The VG model read from LVM2 metadata text (see config.ts for the syntax).
 * Only what guestkit needs is interpreted; every segment keeps its raw
 * section so unsupported types can still be reported.
 */
import { ImageError } from '../errors/index.js';
import { ConfigSection, ConfigSyntaxError, parseConfig } from './config.js';

export interface PvMeta {
  /** Key in physical_volumes, e.g. "pv0". */
  key: string;
  /** PV UUID with dashes, as in the metadata. */
  id: string;
  /** The device path the PV had when the metadata was written (a hint only). */
  deviceHint: string;
  status: string[];
  flags: string[];
  tags: string[];
  /** Sectors. */
  devSize: number;
  /** First data sector. */
  peStart: number;
  peCount: number;
}

export interface StripeArea {
  /** Key of the PV (e.g. "pv0"). */
  pv: string;
  startExtent: number;
}

export interface SegmentMeta {
  /** Key, e.g. "segment1". */
  key: string;
  startExtent: number;
  extentCount: number;
  /** "striped" (linear is striped with one stripe), "thin", "raid1", ... */
  type: string;
  stripeCount: number;
  /** Stripe size in sectors (0 for a linear segment). */
  stripeSize: number;
  stripes: StripeArea[];
  raw: ConfigSection;
}

export interface LvMeta {
  name: string;
  /** LV UUID with dashes. */
  id: string;
  status: string[];
  flags: string[];
  tags: string[];
  allocationPolicy?: string;
  creationHost?: string;
  creationTime?: number;
  /** Persistent major/minor (status FIXED_MINOR). */
  major?: number;
  minor?: number;
  segments: SegmentMeta[];
  /** Total extents (the end of the last segment). */
  extents: number;
}

export interface VgMeta {
  name: string;
  /** VG UUID with dashes. */
  id: string;
  seqno: number;
  format: string;
  status: string[];
  flags: string[];
  tags: string[];
  systemId: string;
  lockType: string;
  allocationPolicy?: string;
  /** Sectors. */
  extentSize: number;
  maxLv: number;
  maxPv: number;
  metadataCopies: number;
  pvs: PvMeta[];
  lvs: LvMeta[];
}

class MetaError extends Error {}

/** LVM's rule for VG and LV names. */
const NAME_RE = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/;
/** An LVM UUID: 32 characters of [0-9A-Za-z!#], dashes anywhere. */
function validId(id: string): boolean {
  const plain = id.replace(/-/g, '');
  return plain.length === 32 && /^[0-9A-Za-z!#]+$/.test(plain);
}

function id(sec: ConfigSection, where: string): string {
  const v = str(sec, 'id', where);
  if (!validId(v)) throw new MetaError(`${where}: id is not a valid LVM UUID`);
  return v;
}

function name(n: string, what: string): string {
  if (!NAME_RE.test(n) || n.length > 127) throw new MetaError(`${what} name ${JSON.stringify(n)} is not valid`);
  return n;
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new MetaError(what);
  return v;
}

function int(sec: ConfigSection, key: string, where: string, opts: { min?: number; def?: number } = {}): number {
  const v = sec.get(key);
  if (v === undefined && opts.def !== undefined) return opts.def;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new MetaError(`${where}: ${key} is ${v === undefined ? 'missing' : 'not an integer'}`);
  if (opts.min !== undefined && v < opts.min) throw new MetaError(`${where}: ${key} is out of range (${v})`);
  return v;
}

function str(sec: ConfigSection, key: string, where: string, def?: string): string {
  const v = sec.get(key);
  if (v === undefined && def !== undefined) return def;
  if (typeof v !== 'string') throw new MetaError(`${where}: ${key} is ${v === undefined ? 'missing' : 'not a string'}`);
  return v;
}

function strs(sec: ConfigSection, key: string, where: string): string[] {
  return need(sec.strings(key), `${where}: ${key} is not a list of strings`);
}

function parseSegment(key: string, sec: ConfigSection, where: string): SegmentMeta {
  const w = `${where} ${key}`;
  const type = str(sec, 'type', w);
  const startExtent = int(sec, 'start_extent', w, { min: 0 });
  const extentCount = int(sec, 'extent_count', w, { min: 1 });
  let stripeCount = 0;
  let stripeSize = 0;
  const stripes: StripeArea[] = [];
  if (type === 'striped') {
    stripeCount = int(sec, 'stripe_count', w, { min: 1 });
    if (stripeCount > 128) throw new MetaError(`${w}: stripe_count is out of range (${stripeCount})`);
    stripeSize = stripeCount > 1 ? int(sec, 'stripe_size', w, { min: 1 }) : int(sec, 'stripe_size', w, { min: 0, def: 0 });
    if (stripeCount > 1 && (stripeSize & (stripeSize - 1)) !== 0) throw new MetaError(`${w}: stripe_size ${stripeSize} is not a power of 2`);
    if (extentCount % stripeCount !== 0) throw new MetaError(`${w}: extent_count ${extentCount} is not a multiple of stripe_count ${stripeCount}`);
    const arr = need(sec.array('stripes'), `${w}: stripes is missing`);
    if (arr.length !== stripeCount * 2) throw new MetaError(`${w}: stripes has ${arr.length / 2} entries, expected ${stripeCount}`);
    for (let i = 0; i < arr.length; i += 2) {
      const pv = arr[i];
      const start = arr[i + 1];
      if (typeof pv !== 'string' || typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0) {
        throw new MetaError(`${w}: bad entry in stripes`);
      }
      stripes.push({ pv, startExtent: start });
    }
  }
  return { key, startExtent, extentCount, type, stripeCount, stripeSize, stripes, raw: sec };
}

function parseLv(lvName: string, sec: ConfigSection, vg: string): LvMeta {
  const where = `LV ${vg}/${name(lvName, 'LV')}`;
  const segments: SegmentMeta[] = [];
  for (const [k, s] of sec.sections()) {
    if (/^segment\d+$/.test(k)) segments.push(parseSegment(k, s, where));
  }
  const count = sec.number('segment_count');
  if (count !== undefined && count !== segments.length) {
    throw new MetaError(`${where}: segment_count is ${count} but ${segments.length} segments are listed`);
  }
  segments.sort((a, b) => a.startExtent - b.startExtent);
  let next = 0;
  for (const s of segments) {
    if (s.startExtent !== next) throw new MetaError(`${where}: ${s.key} starts at extent ${s.startExtent}, expected ${next}`);
    next = s.startExtent + s.extentCount;
  }
  const status = strs(sec, 'status', where);
  return {
    name: lvName,
    id: id(sec, where),
    status,
    flags: strs(sec, 'flags', where),
    tags: strs(sec, 'tags', where),
    allocationPolicy: sec.string('allocation_policy'),
    creationHost: sec.string('creation_host'),
    creationTime: sec.number('creation_time'),
    major: sec.number('major'),
    minor: sec.number('minor'),
    segments,
    extents: next,
  };
}

/** Interprets parsed metadata text. Throws ImageError naming `device`. */
export function vgFromConfig(root: ConfigSection, device: string): VgMeta {
  try {
    const vgs = root.sections();
    if (vgs.length !== 1) throw new MetaError(`expected one volume group section, found ${vgs.length}`);
    const [vgName, vg] = vgs[0]!;
    const where = `VG ${name(vgName, 'VG')}`;
    const vgId = id(vg, where);
    const extentSize = int(vg, 'extent_size', where, { min: 1 });
    const pvs: PvMeta[] = [];
    for (const [key, p] of vg.section('physical_volumes')?.sections() ?? []) {
      const w = `${where} ${key}`;
      pvs.push({
        key,
        id: id(p, w),
        deviceHint: str(p, 'device', w, ''),
        status: strs(p, 'status', w),
        flags: strs(p, 'flags', w),
        tags: strs(p, 'tags', w),
        devSize: int(p, 'dev_size', w, { min: 0, def: 0 }),
        peStart: int(p, 'pe_start', w, { min: 0 }),
        peCount: int(p, 'pe_count', w, { min: 0 }),
      });
    }
    const lvs: LvMeta[] = [];
    for (const [lvName, l] of vg.section('logical_volumes')?.sections() ?? []) lvs.push(parseLv(lvName, l, vgName));
    const bytes = extentSize * 512;
    for (const p of pvs) {
      if (!Number.isSafeInteger(p.peCount * bytes + p.peStart * 512)) throw new MetaError(`${where} ${p.key}: pe_count ${p.peCount} is too large`);
    }
    for (const lv of lvs) {
      if (!Number.isSafeInteger(lv.extents * bytes)) throw new MetaError(`LV ${vgName}/${lv.name}: ${lv.extents} extents is too large`);
    }
    const pvKeys = new Set(pvs.map((p) => p.key));
    for (const lv of lvs) {
      for (const s of lv.segments) {
        for (const st of s.stripes) {
          if (!pvKeys.has(st.pv)) throw new MetaError(`LV ${vgName}/${lv.name} ${s.key}: unknown PV ${JSON.stringify(st.pv)}`);
        }
      }
    }
    return {
      name: vgName,
      id: vgId,
      seqno: int(vg, 'seqno', where, { min: 0 }),
      format: str(vg, 'format', where, 'lvm2'),
      status: strs(vg, 'status', where),
      flags: strs(vg, 'flags', where),
      tags: strs(vg, 'tags', where),
      systemId: vg.string('system_id') ?? '',
      lockType: vg.string('lock_type') ?? '',
      allocationPolicy: vg.string('allocation_policy'),
      extentSize,
      maxLv: int(vg, 'max_lv', where, { def: 0 }),
      maxPv: int(vg, 'max_pv', where, { def: 0 }),
      metadataCopies: int(vg, 'metadata_copies', where, { def: 0 }),
      pvs,
      lvs,
    };
  } catch (e) {
    if (e instanceof MetaError) throw new ImageError(device, `LVM metadata: ${e.message}`);
    throw e;
  }
}

/** Parses and interprets metadata text. Throws ImageError naming `device`. */
export function parseVgMetadata(text: string, device: string): VgMeta {
  let root: ConfigSection;
  try {
    root = parseConfig(text);
  } catch (e) {
    if (e instanceof ConfigSyntaxError) throw new ImageError(device, `LVM metadata: syntax error at ${e.message}`);
    throw e;
  }
  return vgFromConfig(root, device);
}
