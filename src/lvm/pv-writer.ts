/**
 * Writes LVM2 PVs: label, PV header, metadata area header and VG metadata
 * text, laid out the way `pvcreate`/`vgcreate`/`lvcreate` lay them out
 * (label in sector 1, metadata area [4 KiB, 1 MiB), data from 1 MiB,
 * 4 MiB extents). The lvm2 tools accept the result (the tests check it with
 * `vgs`/`lvs` when loop devices are available).
 *
 * Building a fixture with an LVM root (e.g. Fedora-like):
 *
 *   import { RawFileDevice } from '../block/raw-file.js';
 *   import { SliceDevice } from '../block/slice.js';
 *   import { writeLvm, scanLvm } from '../lvm/index.js';
 *
 *   // disk.img already has a partition table; partition 2 is the PV.
 *   const disk = await RawFileDevice.open('disk.img', { readOnly: false });
 *   const sda2 = new SliceDevice(disk, p2Start, p2Size, { name: '/dev/sda2' });
 *   await writeLvm({
 *     vgName: 'fedora',
 *     pvs: [{ dev: sda2, deviceHint: '/dev/sda2' }],
 *     lvs: [{ name: 'root', size: 2 * 1024 ** 3 }, { name: 'swap', size: 256 * 1024 ** 2 }],
 *   });
 *   // Fill an LV through the LVM layer: map it and copy a filesystem image
 *   // made with `mkfs.ext4 -d DIR root.img SIZE` into it (in chunks).
 *   const scan = await scanLvm([{ name: '/dev/sda2', dev: sda2 }]);
 *   const root = scan.lvs.find((l) => l.name === 'root')!.dev!;
 *   const img = await RawFileDevice.open('root.img', { readOnly: true });
 *   for (let off = 0; off < img.size; off += 8 << 20) {
 *     await root.write(off, await img.read(off, Math.min(8 << 20, img.size - off)));
 *   }
 *   await img.close();
 *   await disk.close();
 *
 * A VG over several PVs: pass several `pvs` (LVs fill them in order; `pvs`
 * on an LV restricts it to some of them; `stripes: 2` makes a striped LV).
 * `writeLvm` only writes LVM's own areas: it never touches the data extents.
 */
import { randomBytes } from 'node:crypto';
import type { BlockDevice } from '../block/block-device.js';
import { ErrnoError } from '../errors/index.js';
import { ConfigSection, formatConfig, sectionFrom } from './config.js';
import { lvmCrc } from './crc.js';
import {
  dashUuid,
  FMTT_VERSION,
  LABEL_ID,
  LABEL_SCAN_SECTORS,
  LABEL_TYPE_LVM2,
  MDA_HEADER_SIZE,
  MDA_MAGIC,
  PV_EXT_USED,
  SECTOR_SIZE,
  undashUuid,
  type DiskArea,
  type RawLocation,
} from './label.js';

const KiB = 1024;
const MiB = 1024 * 1024;
const UUID_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A random LVM UUID, dashed (6-4-4-4-4-4-6). */
export function randomLvmUuid(): string {
  const b = randomBytes(32);
  let s = '';
  for (let i = 0; i < 32; i++) s += UUID_ALPHABET[b[i]! % UUID_ALPHABET.length];
  return dashUuid(s);
}

function normUuid(u: string | undefined, what: string): string {
  if (u === undefined) return randomLvmUuid();
  const plain = undashUuid(u);
  if (!/^[0-9A-Za-z!#]{32}$/.test(plain)) throw new ErrnoError('EINVAL', `${what}: bad LVM UUID ${JSON.stringify(u)}`);
  return dashUuid(plain);
}

export interface PvSpec {
  dev: BlockDevice;
  /** PV UUID (dashed or not); random when absent. */
  uuid?: string;
  /** Device path recorded in the metadata (LVM only uses it as a hint). */
  deviceHint?: string;
  /** Size of the metadata area in bytes (default: up to pe_start); 0 for a PV without metadata. */
  metadataSize?: number;
  /** First data byte (default 1 MiB, or past the metadata area rounded up to 1 MiB). */
  peStart?: number;
}

export interface LvSpec {
  name: string;
  /** Size in bytes (rounded up to whole extents, and to a multiple of the stripe count). */
  size?: number;
  /** Size in extents (instead of `size`). */
  extents?: number;
  /** Number of stripes (default 1: linear). */
  stripes?: number;
  /** Stripe size in bytes (default 64 KiB). */
  stripeSize?: number;
  /** Indexes of the PVs to allocate from (default: all, in order). */
  pvs?: number[];
  uuid?: string;
  readOnly?: boolean;
  /** No VISIBLE flag (an internal LV). */
  hidden?: boolean;
  tags?: string[];
  flags?: string[];
  /** Extra status words (e.g. "FIXED_MINOR"). */
  status?: string[];
  /** Extra keys for the LV section (e.g. { major: 253, minor: 5 }). */
  extra?: Record<string, unknown>;
  /**
   * Segments written as given instead of allocated (for LV types guestkit does
   * not map: thin, snapshot, raid...). Each is a plain object of keys, e.g.
   * { start_extent: 0, extent_count: 2, type: 'thin', thin_pool: 'pool', transaction_id: 0, device_id: 1 }.
   */
  rawSegments?: Record<string, unknown>[];
}

export interface WriteLvmOptions {
  vgName: string;
  vgUuid?: string;
  /** Extent size in bytes (default 4 MiB; a multiple of 4 KiB). */
  extentSize?: number;
  seqno?: number;
  pvs: PvSpec[];
  lvs?: LvSpec[];
  /** Extra VG status words / keys. */
  vgStatus?: string[];
  vgExtra?: Record<string, unknown>;
  creationTime?: number;
  creationHost?: string;
  /**
   * Byte offset of the metadata text inside each metadata area (default 512,
   * right after its header). Put it near the end of the area to make the text
   * wrap around the circular buffer.
   */
  metadataOffset?: number;
  /** Write only these PVs (indexes): leaves stale metadata on the others. */
  only?: number[];
}

export interface WrittenSegment {
  startExtent: number;
  extentCount: number;
  stripes: { pv: number; startExtent: number }[];
}

export interface WrittenLvm {
  vgUuid: string;
  /** Dashed PV UUIDs, in `pvs` order. */
  pvUuids: string[];
  /** Metadata text written (without the trailing NUL). */
  text: string;
  extentSize: number;
  /** pe_start (bytes) and pe_count per PV. */
  pvLayout: { peStart: number; peCount: number; mda?: DiskArea }[];
  lvs: { name: string; uuid: string; segments: WrittenSegment[] }[];
}

function put64(dv: DataView, off: number, v: number): void {
  dv.setBigUint64(off, BigInt(v), true);
}

function putAscii(buf: Uint8Array, off: number, s: string): void {
  for (let i = 0; i < s.length; i++) buf[off + i] = s.charCodeAt(i);
}

/** Writes the label and PV header in sector 1 (and clears stale labels in sectors 0, 2, 3). */
export async function writePvLabel(
  dev: BlockDevice,
  opts: { uuid: string; dataAreas: DiskArea[]; metadataAreas: DiskArea[]; inVg: boolean },
): Promise<void> {
  const head = await dev.read(0, LABEL_SCAN_SECTORS * SECTOR_SIZE);
  const sec = new Uint8Array(SECTOR_SIZE);
  const dv = new DataView(sec.buffer);
  putAscii(sec, 0, LABEL_ID);
  put64(dv, 8, 1);
  dv.setUint32(20, 32, true);
  putAscii(sec, 24, LABEL_TYPE_LVM2);
  putAscii(sec, 32, undashUuid(opts.uuid));
  put64(dv, 64, dev.size);
  let p = 72;
  for (const list of [opts.dataAreas, opts.metadataAreas]) {
    for (const a of list) {
      put64(dv, p, a.offset);
      put64(dv, p + 8, a.size);
      p += 16;
    }
    p += 16; // terminator
  }
  dv.setUint32(p, 2, true); // extension version
  dv.setUint32(p + 4, opts.inVg ? PV_EXT_USED : 0, true);
  // an empty bootloader area list follows (zeroes)
  dv.setUint32(16, lvmCrc(sec.subarray(20)), true);
  head.set(sec, SECTOR_SIZE);
  for (const s of [0, 2, 3]) {
    const at = s * SECTOR_SIZE;
    if (String.fromCharCode(...head.subarray(at, at + 8)) === LABEL_ID) head.fill(0, at, at + SECTOR_SIZE);
  }
  await dev.write(0, head);
}

/**
 * Writes a metadata area header and `text` (a NUL is appended) at `offset`
 * inside the area, wrapping to just after the header when it does not fit.
 */
export async function writeMetadataArea(
  dev: BlockDevice,
  area: DiskArea,
  text: string | Uint8Array | null,
  opts: { offset?: number; ignored?: boolean } = {},
): Promise<RawLocation | null> {
  const hdr = new Uint8Array(MDA_HEADER_SIZE);
  const dv = new DataView(hdr.buffer);
  putAscii(hdr, 4, MDA_MAGIC);
  dv.setUint32(20, FMTT_VERSION, true);
  put64(dv, 24, area.offset);
  put64(dv, 32, area.size);
  let loc: RawLocation | null = null;
  if (text !== null) {
    const body = typeof text === 'string' ? new TextEncoder().encode(text + '\0') : text;
    if (body.length > area.size - MDA_HEADER_SIZE) {
      throw new ErrnoError('ENOSPC', `${dev.name}: LVM metadata (${body.length} bytes) does not fit its metadata area (${area.size} bytes)`);
    }
    const offset = opts.offset ?? MDA_HEADER_SIZE;
    if (offset < MDA_HEADER_SIZE || offset >= area.size) throw new ErrnoError('EINVAL', `${dev.name}: bad metadata offset ${offset}`);
    const first = Math.min(body.length, area.size - offset);
    await dev.write(area.offset + offset, body.subarray(0, first));
    if (first < body.length) {
      if (MDA_HEADER_SIZE + body.length - first > offset) {
        throw new ErrnoError('ENOSPC', `${dev.name}: wrapped LVM metadata would overwrite itself`);
      }
      await dev.write(area.offset + MDA_HEADER_SIZE, body.subarray(first));
    }
    loc = { offset, size: body.length, checksum: lvmCrc(body), flags: opts.ignored ? 1 : 0 };
    put64(dv, 40, loc.offset);
    put64(dv, 48, loc.size);
    dv.setUint32(56, loc.checksum, true);
    dv.setUint32(60, loc.flags, true);
  }
  dv.setUint32(0, lvmCrc(hdr.subarray(4)), true);
  await dev.write(area.offset, hdr);
  return loc;
}

interface PvPlan {
  spec: PvSpec;
  uuid: string;
  peStart: number;
  peCount: number;
  next: number;
  mda?: DiskArea;
}

/** Writes a VG (labels, metadata areas, metadata) over `opts.pvs`. */
export async function writeLvm(opts: WriteLvmOptions): Promise<WrittenLvm> {
  const extentSize = opts.extentSize ?? 4 * MiB;
  if (!(extentSize >= 4 * KiB) || extentSize % (4 * KiB) !== 0) throw new ErrnoError('EINVAL', `bad LVM extent size ${extentSize}`);
  if (!/^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(opts.vgName)) throw new ErrnoError('EINVAL', `bad VG name ${JSON.stringify(opts.vgName)}`);
  const vgUuid = normUuid(opts.vgUuid, opts.vgName);

  const plans: PvPlan[] = opts.pvs.map((spec, i) => {
    const mdaSize = spec.metadataSize;
    let peStart = spec.peStart ?? (mdaSize === undefined ? MiB : Math.max(MiB, Math.ceil((4 * KiB + mdaSize) / MiB) * MiB));
    if (peStart % SECTOR_SIZE !== 0) throw new ErrnoError('EINVAL', `PV ${i}: pe_start ${peStart} is not a multiple of 512`);
    const size = mdaSize ?? peStart - 4 * KiB;
    const mda = size > 0 ? { offset: 4 * KiB, size } : undefined;
    if (mda && mda.offset + mda.size > peStart) throw new ErrnoError('EINVAL', `PV ${i}: the metadata area overlaps the data area`);
    if (peStart > spec.dev.size) throw new ErrnoError('EINVAL', `${spec.dev.name}: too small for a PV`);
    const peCount = Math.floor((spec.dev.size - peStart) / extentSize);
    return { spec, uuid: normUuid(spec.uuid, spec.dev.name), peStart, peCount, next: 0, mda };
  });

  const lvOut: WrittenLvm['lvs'] = [];
  const lvSections: [string, ConfigSection][] = [];
  const now = opts.creationTime ?? Math.floor(Date.now() / 1000);
  const host = opts.creationHost ?? 'guestkit';
  for (const lv of opts.lvs ?? []) {
    const where = `LV ${opts.vgName}/${lv.name}`;
    const uuid = normUuid(lv.uuid, where);
    const segments: WrittenSegment[] = [];
    let segSections: Record<string, unknown>[];
    if (lv.rawSegments) {
      segSections = lv.rawSegments;
    } else {
      const stripes = lv.stripes ?? 1;
      let extents = lv.extents ?? Math.ceil((lv.size ?? 0) / extentSize);
      extents = Math.ceil(extents / stripes) * stripes;
      if (!(extents > 0)) throw new ErrnoError('EINVAL', `${where}: give a size`);
      const allowed = (lv.pvs ?? plans.map((_, i) => i)).map((i) => {
        const p = plans[i];
        if (!p) throw new ErrnoError('EINVAL', `${where}: no PV ${i}`);
        return i;
      });
      if (stripes === 1) {
        let left = extents;
        let at = 0;
        for (const i of allowed) {
          const p = plans[i]!;
          const take = Math.min(left, p.peCount - p.next);
          if (take <= 0) continue;
          segments.push({ startExtent: at, extentCount: take, stripes: [{ pv: i, startExtent: p.next }] });
          p.next += take;
          at += take;
          left -= take;
          if (left === 0) break;
        }
        if (left > 0) throw new ErrnoError('ENOSPC', `${where}: not enough free extents (${left} more needed)`);
      } else {
        const per = extents / stripes;
        const use = allowed.filter((i) => plans[i]!.peCount - plans[i]!.next >= per).slice(0, stripes);
        if (use.length < stripes) throw new ErrnoError('ENOSPC', `${where}: needs ${stripes} PVs with ${per} free extents each`);
        segments.push({
          startExtent: 0,
          extentCount: extents,
          stripes: use.map((i) => {
            const p = plans[i]!;
            const s = { pv: i, startExtent: p.next };
            p.next += per;
            return s;
          }),
        });
      }
      const stripeSize = lv.stripeSize ?? 64 * KiB;
      if (stripes > 1 && (stripeSize % SECTOR_SIZE !== 0 || (stripeSize & (stripeSize - 1)) !== 0)) {
        throw new ErrnoError('EINVAL', `${where}: stripe size ${stripeSize} is not a power of 2 multiple of 512`);
      }
      segSections = segments.map((s) => ({
        start_extent: s.startExtent,
        extent_count: s.extentCount,
        type: 'striped',
        stripe_count: s.stripes.length,
        ...(s.stripes.length > 1 ? { stripe_size: stripeSize / SECTOR_SIZE } : {}),
        stripes: s.stripes.flatMap((st) => [`pv${st.pv}`, st.startExtent]),
      }));
    }
    const status = ['READ', ...(lv.readOnly ? [] : ['WRITE']), ...(lv.hidden ? [] : ['VISIBLE']), ...(lv.status ?? [])];
    const entries: [string, unknown][] = [
      ['id', uuid],
      ['status', status],
      ['flags', lv.flags ?? []],
      ...(lv.tags?.length ? ([['tags', lv.tags]] as [string, unknown][]) : []),
      ['creation_time', now],
      ['creation_host', host],
      ...Object.entries(lv.extra ?? {}),
      ['segment_count', segSections.length],
      ...segSections.map((s, i) => [`segment${i + 1}`, sectionFrom(s as Record<string, unknown>)] as [string, unknown]),
    ];
    lvSections.push([lv.name, sectionFrom(entries)]);
    lvOut.push({ name: lv.name, uuid, segments });
  }

  const pvSections: [string, unknown][] = plans.map((p, i) => [
    `pv${i}`,
    sectionFrom([
      ['id', p.uuid],
      ['device', p.spec.deviceHint ?? p.spec.dev.name],
      ['status', ['ALLOCATABLE']],
      ['flags', []],
      ['dev_size', Math.floor(p.spec.dev.size / SECTOR_SIZE)],
      ['pe_start', p.peStart / SECTOR_SIZE],
      ['pe_count', p.peCount],
    ]),
  ]);
  const vg = sectionFrom([
    ['id', vgUuid],
    ['seqno', opts.seqno ?? 1],
    ['format', 'lvm2'],
    ['status', opts.vgStatus ?? ['RESIZEABLE', 'READ', 'WRITE']],
    ['flags', []],
    ['extent_size', extentSize / SECTOR_SIZE],
    ['max_lv', 0],
    ['max_pv', 0],
    ['metadata_copies', 0],
    ...Object.entries(opts.vgExtra ?? {}),
    ['physical_volumes', sectionFrom(pvSections)],
    ...(lvSections.length ? ([['logical_volumes', sectionFrom(lvSections)]] as [string, unknown][]) : []),
  ]);
  const top = new ConfigSection();
  top.entries.set(opts.vgName, vg);
  const text =
    formatConfig(top) +
    `# Generated by guestkit\n\n` +
    formatConfig(
      sectionFrom([
        ['contents', 'Text Format Volume Group'],
        ['version', 1],
        ['description', ''],
        ['creation_host', host],
        ['creation_time', now],
      ]),
    ) +
    '\n';

  for (let i = 0; i < plans.length; i++) {
    if (opts.only && !opts.only.includes(i)) continue;
    const p = plans[i]!;
    await writePvLabel(p.spec.dev, {
      uuid: p.uuid,
      dataAreas: [{ offset: p.peStart, size: 0 }],
      metadataAreas: p.mda ? [p.mda] : [],
      inVg: true,
    });
    if (p.mda) await writeMetadataArea(p.spec.dev, p.mda, text, { offset: opts.metadataOffset });
  }

  return {
    vgUuid,
    pvUuids: plans.map((p) => p.uuid),
    text,
    extentSize,
    pvLayout: plans.map((p) => ({ peStart: p.peStart, peCount: p.peCount, mda: p.mda })),
    lvs: lvOut,
  };
}

/** Makes `dev` an orphan PV (pvcreate without vgcreate). */
export async function writeOrphanPv(dev: BlockDevice, opts: { uuid?: string } = {}): Promise<string> {
  const uuid = normUuid(opts.uuid, dev.name);
  const mda = { offset: 4 * KiB, size: MiB - 4 * KiB };
  await writePvLabel(dev, { uuid, dataAreas: [{ offset: MiB, size: 0 }], metadataAreas: [mda], inVg: false });
  await writeMetadataArea(dev, mda, null);
  return uuid;
}
