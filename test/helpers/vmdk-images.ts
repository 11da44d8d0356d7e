/**
 * vmdk test images qemu-img cannot make: a VMware-style streamOptimized stream
 * (grains behind markers, grain tables and directory after them, the real
 * header in a footer: gdOffset = GD_AT_END, as ovftool exports), and small
 * patches of sparse headers.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';

const SECTOR = 512;
const GRAIN_SECTORS = 128;
const GTES = 512;
const MARKER_GT = 1;
const MARKER_GD = 2;
const MARKER_FOOTER = 3;

function header(capacitySectors: number, gdSector: bigint): Buffer {
  const h = Buffer.alloc(SECTOR);
  h.write('KDMV', 0, 'latin1');
  h.writeUInt32LE(3, 4); // version
  h.writeUInt32LE(1 | (1 << 16) | (1 << 17), 8); // newline test, compressed grains, markers
  h.writeBigUInt64LE(BigInt(capacitySectors), 12);
  h.writeBigUInt64LE(BigInt(GRAIN_SECTORS), 20);
  h.writeBigUInt64LE(1n, 28); // descriptor at sector 1
  h.writeBigUInt64LE(1n, 36); // one sector long
  h.writeUInt32LE(GTES, 44);
  h.writeBigUInt64LE(0n, 48);
  h.writeBigUInt64LE(gdSector, 56);
  h.writeBigUInt64LE(2n, 64); // grains start after the descriptor
  h.write('\n \r\n', 73, 'latin1');
  h.writeUInt16LE(1, 77); // deflate
  return h;
}

function marker(val: number, size: number, type: number): Buffer {
  const m = Buffer.alloc(SECTOR);
  m.writeBigUInt64LE(BigInt(val), 0);
  m.writeUInt32LE(size, 8);
  m.writeUInt32LE(type, 12);
  return m;
}

const padded = (b: Buffer) => Buffer.concat([b, Buffer.alloc((SECTOR - (b.length % SECTOR)) % SECTOR)]);

/** Writes `data` (a whole number of sectors) as a streamOptimized vmdk whose grain directory is at the end. */
export function writeStreamAtEnd(file: string, data: Buffer): void {
  const capacity = data.length / SECTOR;
  const grainBytes = GRAIN_SECTORS * SECTOR;
  const grains = Math.ceil(data.length / grainBytes);
  const descriptor = Buffer.alloc(SECTOR);
  descriptor.write(`# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType="streamOptimized"\n\n# Extent description\nRDONLY ${capacity} SPARSE "stream.vmdk"\n\n# The Disk Data Base\n#DDB\n\nddb.adapterType = "lsilogic"\n`, 'latin1');
  const parts: Buffer[] = [header(capacity, 0xffffffffffffffffn), descriptor];
  let sector = 2;
  const gtes = new Uint32Array(Math.ceil(grains / GTES) * GTES);
  for (let g = 0; g < grains; g++) {
    const grain = data.subarray(g * grainBytes, Math.min(data.length, (g + 1) * grainBytes));
    if (grain.every((b) => b === 0)) continue; // streams leave zero grains out
    const z = zlib.deflateSync(grain);
    const m = Buffer.alloc(12);
    m.writeBigUInt64LE(BigInt(g * GRAIN_SECTORS), 0);
    m.writeUInt32LE(z.length, 8);
    const stored = padded(Buffer.concat([m, z]));
    gtes[g] = sector;
    parts.push(stored);
    sector += stored.length / SECTOR;
  }
  const gd = new Uint32Array(gtes.length / GTES);
  for (let t = 0; t < gd.length; t++) {
    parts.push(marker(4, 0, MARKER_GT));
    sector++;
    gd[t] = sector;
    parts.push(Buffer.from(gtes.buffer, t * GTES * 4, GTES * 4));
    sector += 4;
  }
  const gdBytes = padded(Buffer.from(gd.buffer));
  parts.push(marker(gdBytes.length / SECTOR, 0, MARKER_GD));
  sector++;
  const gdSector = sector;
  parts.push(gdBytes);
  parts.push(marker(1, 0, MARKER_FOOTER), header(capacity, BigInt(gdSector)), Buffer.alloc(SECTOR));
  fs.writeFileSync(file, Buffer.concat(parts));
}
