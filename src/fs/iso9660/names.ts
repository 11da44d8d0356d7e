/**
 * File names as Linux's isofs presents them when Rock Ridge gives none: plain
 * ISO 9660 identifiers mapped as with `map=normal` (lower case, the ";1"
 * version and a period before it dropped, other ';' turned into '.'), and
 * Joliet UCS-2 identifiers decoded (";1" and trailing periods dropped).
 */
const decoder = new TextDecoder('utf-8');

export function plainName(id: Uint8Array): string {
  const n = id.length;
  let out = '';
  for (let i = 0; i < n; i++) {
    let c = id[i]!;
    if (c === 0) break;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c === 0x2e && i === n - 3 && id[i + 1] === 0x3b && id[i + 2] === 0x31) break; // "NAME.;1"
    if (c === 0x3b && i === n - 2 && id[i + 1] === 0x31) break; // "NAME.EXT;1"
    if (c === 0x3b || c === 0x2f) c = 0x2e;
    out += String.fromCharCode(c);
  }
  // Latin-1 bytes beyond ASCII: keep the byte values, as the kernel does, read as UTF-8 where they form it.
  return /[\x80-\xff]/.test(out) ? decoder.decode(Uint8Array.from(out, (ch) => ch.charCodeAt(0))) : out;
}

export function jolietName(id: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 1 < id.length; i += 2) s += String.fromCharCode((id[i]! << 8) | id[i + 1]!);
  if (s.length > 2 && s.endsWith(';1')) s = s.slice(0, -2);
  while (s.length >= 2 && s.endsWith('.')) s = s.slice(0, -1);
  return s;
}

/** A Rock Ridge NM name: bytes, read as UTF-8. */
export function rockName(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
