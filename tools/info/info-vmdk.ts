/**
 * The vmdk part of `guestkit info`: what `qemu-img info` shows under "Format
 * specific information" for vmdk (CIDs, create type, one entry per extent),
 * read by the native reader.
 */
import fs from 'node:fs';
import path from 'node:path';
import { VmdkDevice } from '../../src/block/vmdk/vmdk-device.js';

export interface VmdkExtentFacts {
  compressed: boolean;
  virtualSize: number;
  filename: string;
  /** Grain size in bytes (sparse extents). */
  clusterSize?: number;
  /** The descriptor's extent type (SPARSE, FLAT, ZERO); '' for the extent a sparse file holds itself. */
  format: string;
}

export interface VmdkFacts {
  cid: number;
  parentCid: number;
  createType: string;
  extents: VmdkExtentFacts[];
}

/** What the info needs from a vmdk: the facts, the parent and the bytes the files take on the host. */
export interface VmdkInfo {
  dev: VmdkDevice;
  facts: VmdkFacts;
  clusterSize?: number;
  parentHint?: string;
  parentPath?: string;
  backingChain: Array<{ file: string; format: string }>;
  actualSize: number;
}

export async function readVmdkInfo(file: string): Promise<VmdkInfo> {
  const dev = await VmdkDevice.open(file);
  const d = dev.descriptor;
  const extents = dev.extentList.map((e) => ({
    compressed: e.compressed,
    virtualSize: e.size,
    filename: e.file ?? '',
    clusterSize: e.grainSize,
    format: e.file === file ? '' : e.type,
  }));
  // The descriptor file and every extent file it names, as qemu-img counts "disk size".
  const files = new Set([file, ...dev.extentList.flatMap((e) => (e.file ? [e.file] : []))]);
  let actualSize = 0;
  for (const f of files) actualSize += fs.statSync(f).blocks * 512;
  const hint = d?.parentFileNameHint;
  return {
    dev,
    facts: { cid: d?.cid ?? 0, parentCid: d?.parentCid ?? 0xffffffff, createType: dev.createType, extents },
    clusterSize: extents[0]?.clusterSize,
    parentHint: hint,
    parentPath: hint ? (path.isAbsolute(hint) ? hint : path.join(path.dirname(file), hint)) : undefined,
    backingChain: dev.backingChain(),
    actualSize,
  };
}

export function vmdkFactsText(v: VmdkFacts): string[] {
  const lines = ['Format specific information:', `    cid: ${v.cid}`, `    parent cid: ${v.parentCid}`, `    create type: ${v.createType}`, '    extents:'];
  v.extents.forEach((e, i) => {
    lines.push(`        [${i}]:`);
    if (e.compressed) lines.push('            compressed: true');
    lines.push(`            virtual size: ${e.virtualSize}`, `            filename: ${e.filename}`);
    if (e.clusterSize !== undefined) lines.push(`            cluster size: ${e.clusterSize}`);
    lines.push(`            format: ${e.format}`);
  });
  return lines;
}

export function vmdkFactsJson(v: VmdkFacts): Record<string, unknown> {
  const extents = v.extents.map((e) => ({
    ...(e.compressed ? { compressed: true } : {}),
    'virtual-size': e.virtualSize,
    filename: e.filename,
    ...(e.clusterSize !== undefined ? { 'cluster-size': e.clusterSize } : {}),
    format: e.format,
  }));
  return { type: 'vmdk', data: { cid: v.cid, 'parent-cid': v.parentCid, 'create-type': v.createType, extents } };
}
