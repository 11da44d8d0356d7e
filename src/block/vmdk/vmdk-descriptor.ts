/**
 * The VMDK text descriptor (VMware Virtual Disk Format 1.1, section 3): the
 * header keys (version, CID, parentCID, createType, parentFileNameHint), the
 * extent lines and the disk database (ddb.*). It is a file of its own for
 * flat and split disks, and a few sectors inside a monolithic sparse file.
 */
export type ExtentAccess = 'RW' | 'RDONLY' | 'NOACCESS';
export type ExtentType = 'SPARSE' | 'FLAT' | 'ZERO' | 'VMFS' | 'VMFSSPARSE' | 'VMFSRDM' | 'VMFSRAW' | 'SESPARSE';

export interface ExtentLine {
  access: ExtentAccess;
  /** Size in 512-byte sectors. */
  sectors: number;
  type: ExtentType;
  /** The extent file as written in the descriptor (absent for ZERO extents). */
  file?: string;
  /** FLAT/VMFS: where the extent starts inside its file, in sectors. */
  offset: number;
}

export interface VmdkDescriptor {
  version?: number;
  cid?: number;
  parentCid?: number;
  createType?: string;
  parentFileNameHint?: string;
  extents: ExtentLine[];
  ddb: Map<string, string>;
}

/** Descriptors are small: VMware's are a few hundred bytes; qemu reads at most 1 MiB. */
export const MAX_DESCRIPTOR_BYTES = 1024 * 1024;

const ACCESS = new Set<string>(['RW', 'RDONLY', 'NOACCESS']);
const TYPES = new Set<string>(['SPARSE', 'FLAT', 'ZERO', 'VMFS', 'VMFSSPARSE', 'VMFSRDM', 'VMFSRAW', 'SESPARSE']);

/** True when `text` reads as a descriptor: its first line that is not blank or a comment is `version=N`. */
export function looksLikeDescriptor(text: string): boolean {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    return /^version\s*=\s*"?\d+"?$/.test(line);
  }
  return false;
}

function unquote(v: string): string {
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

function hex32(v: string): number | undefined {
  const t = unquote(v);
  return /^[0-9a-fA-F]{1,8}$/.test(t) ? parseInt(t, 16) : undefined;
}

/**
 * Parses descriptor text. Returns a problem string for an extent line that
 * cannot be read (a bad line is never skipped: a skipped extent would shift
 * every guest byte after it).
 */
export function parseDescriptor(text: string): VmdkDescriptor | string {
  const d: VmdkDescriptor = { extents: [], ddb: new Map() };
  // The text ends at the first NUL (the embedded descriptor is padded with them).
  const nul = text.indexOf('\0');
  const lines = (nul >= 0 ? text.slice(0, nul) : text).split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const first = line.split(/\s+/, 1)[0]!;
    if (ACCESS.has(first)) {
      const e = parseExtentLine(line);
      if (typeof e === 'string') return e;
      d.extents.push(e);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1);
    if (key.startsWith('ddb.')) d.ddb.set(key, unquote(value));
    else if (key === 'version') d.version = Number(unquote(value));
    else if (key === 'CID') d.cid = hex32(value);
    else if (key === 'parentCID') d.parentCid = hex32(value);
    else if (key === 'createType') d.createType = unquote(value);
    else if (key === 'parentFileNameHint') d.parentFileNameHint = unquote(value);
  }
  return d;
}

/** `ACCESS SIZE TYPE ["FILE" [OFFSET]]` */
function parseExtentLine(line: string): ExtentLine | string {
  const m = /^(\S+)\s+(\d+)\s+(\S+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?\s*$/.exec(line);
  const shown = line.length > 120 ? `${line.slice(0, 120)}...` : line;
  if (!m) return `bad extent line in the descriptor: ${shown}`;
  const [, access, size, type, file, offset] = m;
  if (!TYPES.has(type!)) return `unknown extent type ${type} in the descriptor`;
  const sectors = Number(size);
  if (!Number.isSafeInteger(sectors) || sectors <= 0 || sectors * 512 > Number.MAX_SAFE_INTEGER) return `bad extent size ${size} in the descriptor`;
  if (type !== 'ZERO' && (file === undefined || file === '')) return `extent line names no file: ${shown}`;
  const start = offset === undefined ? 0 : Number(offset);
  if (!Number.isSafeInteger(start) || start * 512 > Number.MAX_SAFE_INTEGER) return `bad extent offset ${offset} in the descriptor`;
  return { access: access as ExtentAccess, sectors, type: type as ExtentType, file, offset: start };
}
