/**
 * A binary's architecture from its ELF header, named as libguestfs names it
 * (it runs file(1) and canonicalises the machine string): x86_64, i386,
 * aarch64, arm, ppc64le, riscv64, s390x, …
 */
import type { GuestReader } from '../guest-reader.js';
import { guestRealpath } from './guest-path.js';

/** Reads e_ident and e_machine; returns undefined for anything that is not an ELF object file. */
export function elfArchitecture(head: Uint8Array): string | undefined {
  if (head.length < 20 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) return undefined;
  const cls = head[4];
  const data = head[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return undefined;
  const bits = cls === 1 ? 32 : 64;
  const little = data === 1;
  const u16 = (o: number) => (little ? head[o] | (head[o + 1] << 8) : (head[o] << 8) | head[o + 1]);
  // file(1) only prints the machine for executables, shared objects and relocatables.
  const type = u16(16);
  if (type !== 1 && type !== 2 && type !== 3) return undefined;
  switch (u16(18)) {
    case 3: // EM_386
    case 6: // EM_486
      return 'i386';
    case 62:
      return 'x86_64';
    case 2: // EM_SPARC
    case 18: // EM_SPARC32PLUS
      return 'sparc';
    case 43:
      return 'sparc64';
    case 50:
      return 'ia64';
    case 20:
      return 'ppc';
    case 21:
      return little ? 'ppc64le' : 'ppc64';
    case 40:
      return 'arm';
    case 183:
      return 'aarch64';
    case 243:
      return `riscv${bits}`;
    case 22:
      return bits === 32 ? 's390' : 's390x';
    case 258:
      return `loongarch${bits}`;
    case 8: // file(1) prints "MIPS, MIPS-…": libguestfs keeps the text before the comma
    case 10:
      return 'MIPS';
    default:
      return undefined;
  }
}

/** The binaries libguestfs looks at, in its order; the first ELF one decides. */
export const ARCH_BINARIES = ['/bin/bash', '/bin/ls', '/bin/echo', '/bin/rm', '/bin/sh'];

/** The guest's architecture from its binaries (symlinks followed inside the guest), or undefined. */
export async function guestArchitecture(r: GuestReader): Promise<string | undefined> {
  for (const bin of ARCH_BINARIES) {
    const real = await guestRealpath(r, bin);
    if (real === null || !(await r.isFile(real))) continue;
    const bytes = await r.readBytes(real);
    const arch = bytes ? elfArchitecture(bytes.subarray(0, 64)) : undefined;
    if (arch) return arch;
    r.warn(`${bin}: not an ELF binary of a known architecture`);
  }
  return undefined;
}
