/**
 * The directory entries a new file's name becomes, by the rules FatFs (and
 * Windows) follow, for names the FAT driver registers itself (fat-volume.ts
 * createEntry): printable ASCII only, so that upper-casing is plain ASCII
 * and no code page is involved; anything else is left to FatFs.
 *
 * - The 8.3 basis: leading dots dropped, embedded spaces and dots dropped,
 *   the body cut at 8 and the extension (after the last dot) at 3 characters,
 *   "+,;=[]" replaced by "_", letters upper-cased. Any of these loses
 *   information, and then the name gets a numbered alias ("~N").
 * - A long-name (VFAT) entry set is written when information was lost or
 *   when the case cannot be kept by the NT case bits (body and extension
 *   each all-lower or all-upper).
 * - Aliases ~1 to ~5 append the sequence number; from the 6th on, the
 *   number is a CRC of the long name seeded with the sequence (so the next
 *   free alias is found in a few tries, not a scan per number), in hex.
 */
export interface ShortName {
  /** The 11 bytes of the 8.3 name (space padded). */
  sfn: Uint8Array;
  /** The name needs a numbered alias (the basis lost information). */
  lossy: boolean;
  /** Long-name entries are written. */
  needsLfn: boolean;
  /** The NT case byte (offset 12): 0x08 body lower case, 0x10 extension lower case. */
  ntCase: number;
}

const NT_BODY_LOWER = 0x08, NT_EXT_LOWER = 0x10;

/**
 * The 8.3 basis of a stored name (trailing dots and spaces already
 * stripped), or undefined for a name this module does not handle: not
 * printable ASCII, or starting with a space.
 */
export function shortNameBasis(name: string): ShortName | undefined {
  if (name === '' || !/^[\x20-\x7e]+$/.test(name) || name[0] === ' ' || name.length > 255) return undefined;
  const sfn = new Uint8Array(11).fill(0x20);
  let lossy = name[0] === '.';
  const lastDot = name.lastIndexOf('.');
  /** index of the extension's first character, or -1 without one */
  const extStart = lastDot >= 0 ? lastDot + 1 : -1;
  // case seen: bit 0 lower, bit 1 upper; body in bits 2-3 once the extension starts
  let bodyCase = 0, extCase = 0;
  let i = 0, limit = 8, inExt = false;
  for (let si = 0; si < name.length; si++) {
    let c = name.charCodeAt(si);
    if (!inExt && si === extStart - 1) {
      // the last dot: the extension starts
      inExt = true;
      i = 8;
      limit = 11;
      continue;
    }
    if (c === 0x20 || c === 0x2e) {
      lossy = true;
      continue;
    }
    if (i >= limit) {
      lossy = true;
      if (inExt || extStart < 0) break;
      si = extStart - 2; // skip the rest of the body: the loop goes on at the last dot
      continue;
    }
    if ('+,;=[]'.includes(name[si]!)) {
      c = 0x5f;
      lossy = true;
    } else if (c >= 0x41 && c <= 0x5a) {
      if (inExt) extCase |= 2;
      else bodyCase |= 2;
    } else if (c >= 0x61 && c <= 0x7a) {
      if (inExt) extCase |= 1;
      else bodyCase |= 1;
      c -= 0x20;
    }
    sfn[i++] = c;
  }
  const mixed = bodyCase === 3 || extCase === 3;
  const needsLfn = lossy || mixed;
  const ntCase = needsLfn ? 0 : (bodyCase & 1 ? NT_BODY_LOWER : 0) | (extCase & 1 ? NT_EXT_LOWER : 0);
  return { sfn, lossy, needsLfn, ntCase };
}

/** The basis with numbered alias `seq` (1..99) for long name `name`. */
export function numberedAlias(basis: Uint8Array, name: string, seq: number): Uint8Array {
  const out = basis.slice();
  let n = seq;
  if (seq > 5) {
    let reg = seq;
    for (let k = 0; k < name.length; k++) {
      let wc = name.charCodeAt(k);
      for (let b = 0; b < 16; b++) {
        reg = ((reg << 1) + (wc & 1)) >>> 0;
        wc >>>= 1;
        if (reg & 0x10000) reg = (reg ^ 0x11021) >>> 0;
      }
    }
    n = reg;
  }
  let suffix = '';
  do {
    suffix = (n % 16).toString(16).toUpperCase() + suffix;
    n = Math.floor(n / 16);
  } while (n > 0 && suffix.length < 7);
  suffix = '~' + suffix;
  let j = 0;
  while (j < 8 - suffix.length && out[j] !== 0x20) j++;
  for (let k = 0; k < suffix.length; k++) out[j++] = suffix.charCodeAt(k);
  while (j < 8) out[j++] = 0x20;
  return out;
}

/** The checksum of an 8.3 name that every long-name entry of its set carries. */
export function sfnChecksum(b: Uint8Array, o = 0): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = ((((sum & 1) << 7) | (sum >>> 1)) + b[o + i]!) & 0xff;
  return sum;
}

const LFN_CHAR_OFFSETS = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
const ATTR_LFN = 0x0f, ATTR_ARC = 0x20;

/**
 * The directory entries of a new, empty file: the long-name entries (last
 * part first) when `needsLfn`, then the short entry with creation and
 * modification times `fatTime` ((date << 16) | time), archive attribute,
 * no cluster, size 0.
 */
export function newFileEntries(name: string, sn: { sfn: Uint8Array; needsLfn: boolean; ntCase: number }, fatTime: number): Uint8Array {
  const nLfn = sn.needsLfn ? Math.ceil(name.length / 13) : 0;
  const out = new Uint8Array((nLfn + 1) * 32);
  const sum = sfnChecksum(sn.sfn);
  for (let k = 0; k < nLfn; k++) {
    const ord = nLfn - k; // physical order: the last part first
    const e = out.subarray(k * 32, k * 32 + 32);
    e[0] = ord | (ord === nLfn ? 0x40 : 0);
    e[11] = ATTR_LFN;
    e[13] = sum;
    for (let j = 0; j < 13; j++) {
      const at = (ord - 1) * 13 + j;
      const u = at < name.length ? name.charCodeAt(at) : at === name.length ? 0 : 0xffff;
      e[LFN_CHAR_OFFSETS[j]!] = u & 0xff;
      e[LFN_CHAR_OFFSETS[j]! + 1] = u >>> 8;
    }
  }
  const s = out.subarray(nLfn * 32);
  s.set(sn.sfn, 0);
  s[11] = ATTR_ARC;
  s[12] = sn.ntCase;
  const dv = new DataView(out.buffer, out.byteOffset + nLfn * 32, 32);
  dv.setUint32(14, fatTime, true); // creation time and date
  dv.setUint32(22, fatTime, true); // modification time and date
  return out;
}
