/**
 * Printing `guestkit info`: the image part as `qemu-img info` prints it, the
 * guest part after it, and --map as `nbdinfo --map` does; or all of it as JSON
 * (qemu-img's key names for what qemu-img reports).
 */
import type { ImageInfo, MapExtent } from './info-compute.js';
import { vmdkFactsJson, vmdkFactsText } from './info-vmdk.js';

const SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** A size as qemu prints it: three significant digits, binary units, "KiB" from 1000 bytes up. */
export function qemuSize(bytes: number): string {
  // The unit changes once the figure would reach 1000 (so "1000 KiB" never appears).
  const scaled = bytes / (1000 / 1024);
  const exponent = scaled > 0 ? Math.floor(Math.log2(scaled)) : -1;
  const unit = Math.max(0, Math.trunc(exponent / 10));
  return `${Number((bytes / 2 ** (unit * 10)).toPrecision(3))} ${SUFFIXES[unit]}B`;
}

export function formatInfoText(info: ImageInfo): string {
  const lines = [`image: ${info.filename}`, `file format: ${info.format}`, `virtual size: ${qemuSize(info.virtualSize)} (${info.virtualSize} bytes)`];
  lines.push(`disk size: ${info.actualSize === undefined ? 'unavailable' : qemuSize(info.actualSize)}`);
  if (info.clusterSize !== undefined) lines.push(`cluster_size: ${info.clusterSize}`);
  if (info.backingFilename !== undefined) {
    const actual = info.fullBackingFilename !== info.backingFilename ? ` (actual path: ${info.fullBackingFilename})` : '';
    lines.push(`backing file: ${info.backingFilename}${actual}`);
    if (info.backingFormat !== undefined) lines.push(`backing file format: ${info.backingFormat}`);
  }
  const q = info.qcow2;
  if (q) {
    lines.push('Format specific information:', `    compat: ${q.compat}`, `    compression type: ${q.compressionType}`);
    if (q.compat === '1.1') lines.push(`    lazy refcounts: ${q.lazyRefcounts}`);
    lines.push(`    refcount bits: ${q.refcountBits}`);
    if (q.compat === '1.1') lines.push(`    corrupt: ${q.corrupt}`, `    extended l2: ${q.extendedL2}`);
  }
  if (info.vmdk) lines.push(...vmdkFactsText(info.vmdk));
  if (q?.dirty) lines.push('dirty: true (refcounts may be stale; reading is safe)');
  if (info.backingChain.length > 0) {
    lines.push('backing chain:');
    for (const b of info.backingChain) lines.push(`    ${b.file} (${b.format})`);
  }
  lines.push(`partition table: ${info.partitionTable ?? 'none'}`);
  if (info.partitions.length > 0) {
    lines.push('partitions:');
    for (const p of info.partitions) lines.push(`    ${p.device}: ${qemuSize(p.size)} (${p.size} bytes)`);
  }
  lines.push(info.filesystems.length > 0 ? 'filesystems:' : 'filesystems: none');
  for (const f of info.filesystems) lines.push(`    ${f.device}: ${f.type}`);
  let out = lines.join('\n') + '\n';
  if (info.map) out += '\n' + formatMap(info.map);
  return out;
}

/** NBD's block status numbering, as nbdinfo --map prints it: bit 0 hole, bit 1 zero. */
const MAP_TYPES: Record<MapExtent['type'], [number, string]> = { data: [0, 'data'], zero: [2, 'zero'], hole: [3, 'hole,zero'] };

export function formatMap(map: MapExtent[]): string {
  return map.map((e) => `${String(e.offset).padStart(10)}  ${String(e.length).padStart(10)}  ${String(MAP_TYPES[e.type][0]).padStart(3)}  ${MAP_TYPES[e.type][1]}\n`).join('');
}

export function formatInfoJson(info: ImageInfo): string {
  const j: Record<string, unknown> = {
    filename: info.filename,
    format: info.format,
    'virtual-size': info.virtualSize,
  };
  if (info.actualSize !== undefined) j['actual-size'] = info.actualSize;
  if (info.clusterSize !== undefined) j['cluster-size'] = info.clusterSize;
  if (info.backingFilename !== undefined) {
    j['backing-filename'] = info.backingFilename;
    j['full-backing-filename'] = info.fullBackingFilename;
    if (info.backingFormat !== undefined) j['backing-filename-format'] = info.backingFormat;
  }
  const q = info.qcow2;
  if (q) {
    const data: Record<string, unknown> = { compat: q.compat, 'compression-type': q.compressionType };
    if (q.compat === '1.1') data['lazy-refcounts'] = q.lazyRefcounts;
    data['refcount-bits'] = q.refcountBits;
    if (q.compat === '1.1') Object.assign(data, { corrupt: q.corrupt, 'extended-l2': q.extendedL2 });
    j['format-specific'] = { type: 'qcow2', data };
    j['dirty-flag'] = q.dirty;
  }
  if (info.vmdk) {
    j['format-specific'] = vmdkFactsJson(info.vmdk);
    j['dirty-flag'] = false;
  }
  j['backing-chain'] = info.backingChain;
  j['partition-table'] = info.partitionTable ?? null;
  j.partitions = info.partitions;
  j.filesystems = info.filesystems;
  if (info.map) j.map = info.map;
  return JSON.stringify(j, null, 4) + '\n';
}
