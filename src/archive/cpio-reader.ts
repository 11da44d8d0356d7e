/**
 * Reading "newc" cpio archives (070701, and 070702 with checksums): the format of
 * Linux initramfs images. Entries come in archive order; the "TRAILER!!!" entry
 * ends the archive. A gzip-compressed archive is unpacked first.
 */
import { gunzipSync } from 'node:zlib';
import { ErrnoError } from '../errors/index.js';

export interface CpioMember {
  name: string;
  mode: number;
  data: Uint8Array;
}

const HEADER = 110;
const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** The uncompressed archive: as is, or gunzipped; other compressions are named in the error. */
export function uncompressedCpio(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch (e) {
      throw new ErrnoError('EINVAL', `${what}: corrupt gzip data`, { cause: e });
    }
  }
  const magic = Buffer.from(bytes.subarray(0, 6)).toString('latin1');
  if (magic === '070701' || magic === '070702') return bytes;
  const kind = magic.startsWith('\xfd7zXZ') ? 'xz' : bytes[0] === 0x28 && bytes[1] === 0xb5 ? 'zstd'
    : bytes[0] === 0x42 && bytes[1] === 0x5a ? 'bzip2' : bytes[0] === 0x02 && bytes[1] === 0x21 ? 'lz4' : '';
  if (kind) throw new ErrnoError('ENOTSUP', `${what}: ${kind}-compressed initrd: only uncompressed and gzip-compressed cpio archives are read`);
  throw new ErrnoError('EINVAL', `${what}: not a cpio archive (newc format) or a gzip-compressed one`);
}

/** The members of a newc archive, in order (without the trailer). */
export function readCpio(archive: Uint8Array, what: string): CpioMember[] {
  const out: CpioMember[] = [];
  const text = (o: number, n: number) => Buffer.from(archive.subarray(o, o + n)).toString('latin1');
  let o = 0;
  while (o + HEADER <= archive.length) {
    const magic = text(o, 6);
    if (magic !== '070701' && magic !== '070702') throw new ErrnoError('EINVAL', `${what}: bad cpio header at byte ${o}`);
    const field = (i: number) => {
      const s = text(o + 6 + i * 8, 8);
      if (!/^[0-9a-fA-F]{8}$/.test(s)) throw new ErrnoError('EINVAL', `${what}: bad cpio header at byte ${o}`);
      return parseInt(s, 16);
    };
    const mode = field(1);
    const size = field(6);
    const namesize = field(11);
    const nameEnd = o + HEADER + namesize;
    const dataStart = pad4(nameEnd);
    if (namesize < 1 || dataStart + size > archive.length) throw new ErrnoError('EINVAL', `${what}: truncated cpio archive`);
    const name = Buffer.from(archive.subarray(o + HEADER, nameEnd - 1)).toString('utf8');
    if (name === 'TRAILER!!!') return out;
    out.push({ name, mode, data: archive.subarray(dataStart, dataStart + size) });
    o = pad4(dataStart + size);
  }
  throw new ErrnoError('EINVAL', `${what}: truncated cpio archive (no trailer)`);
}

export function isRegular(m: CpioMember): boolean {
  return (m.mode & S_IFMT) === S_IFREG;
}
