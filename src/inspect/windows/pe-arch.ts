/**
 * The architecture of a Windows executable from its PE header, in libguestfs's
 * names. libguestfs asks file(1) and maps "PE32 executable" to i386 and "PE32+
 * executable" to x86_64; we read the same header ourselves and also honour the
 * COFF machine field, so an ARM64 or Itanium cmd.exe is not called x86_64.
 */

/** COFF machine numbers we name; anything else falls back to the optional header's magic. */
const MACHINES: Record<number, string> = {
  0x014c: 'i386',
  0x8664: 'x86_64',
  0xaa64: 'aarch64',
  0x01c0: 'arm',
  0x01c4: 'arm',
  0x0200: 'ia64',
};

const PE32_MAGIC = 0x10b;
const PE32_PLUS_MAGIC = 0x20b;

/** The architecture of a PE file ('i386', 'x86_64', ...), or null when the bytes are not a PE image. */
export function peArch(bytes: Uint8Array): string | null {
  if (bytes.length < 0x40 || bytes[0] !== 0x4d || bytes[1] !== 0x5a) return null; // "MZ"
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pe = dv.getUint32(0x3c, true);
  // PE signature (4) + COFF header (20) + the optional header's magic (2).
  if (pe + 26 > bytes.length) return null;
  if (dv.getUint32(pe, false) !== 0x50450000) return null; // "PE\0\0"
  const machine = dv.getUint16(pe + 4, true);
  const optSize = dv.getUint16(pe + 20, true);
  const magic = optSize >= 2 ? dv.getUint16(pe + 24, true) : 0;
  if (magic !== PE32_MAGIC && magic !== PE32_PLUS_MAGIC) return null; // file(1) would not say PE32/PE32+ either
  return MACHINES[machine] ?? (magic === PE32_PLUS_MAGIC ? 'x86_64' : 'i386');
}
