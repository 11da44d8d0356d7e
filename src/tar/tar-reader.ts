/**
 * Reading a tar archive from a host file: the list of members (headers, with
 * long names and pax records applied) and where each one's data is, so that a
 * caller can check every member before it writes anything and then copy the
 * data by offset.
 */
import type { FileHandle } from 'node:fs/promises';
import {
  BLOCK, TarFormatError, applyPax, decodeHeader, decodeLongName, decodePax, isZeroBlock, type TarEntry,
} from './tar-format.js';

export interface TarMember {
  entry: TarEntry;
  /** Where the member's data starts in the file. */
  dataOffset: number;
}

async function readExactly(fh: FileHandle, pos: number, len: number): Promise<Uint8Array> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  if (bytesRead < len) throw new TarFormatError('Unexpected EOF in archive');
  return buf;
}

const roundUp = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

/** Every member of the archive; a damaged header or a truncated member is a TarFormatError. */
export async function readTarMembers(fh: FileHandle, fileSize: number): Promise<TarMember[]> {
  const members: TarMember[] = [];
  let pos = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Map<string, string> | undefined;
  if (fileSize === 0) throw new TarFormatError('This does not look like a tar archive');
  while (pos + BLOCK <= fileSize) {
    const h = await readExactly(fh, pos, BLOCK);
    pos += BLOCK;
    if (isZeroBlock(h)) return members;
    const raw = decodeHeader(h);
    if (raw.kind !== 'entry') {
      const data = await readExactly(fh, pos, raw.size);
      pos += roundUp(raw.size);
      if (raw.kind === 'longname') longName = decodeLongName(data);
      else if (raw.kind === 'longlink') longLink = decodeLongName(data);
      else if (raw.kind === 'pax') pax = decodePax(data);
      continue;
    }
    let entry = raw.entry;
    let dataSize = raw.dataSize;
    if (longName !== undefined) entry = { ...entry, name: longName };
    if (longLink !== undefined) entry = { ...entry, linkname: longLink };
    if (pax) {
      entry = applyPax(entry, pax);
      if (pax.has('size')) dataSize = Number(pax.get('size'));
    }
    longName = longLink = pax = undefined;
    if (pos + dataSize > fileSize) throw new TarFormatError('Unexpected EOF in archive');
    members.push({ entry, dataOffset: pos });
    pos += roundUp(dataSize);
  }
  // GNU tar accepts an archive that ends without its zero records (with a warning).
  if (pos < fileSize && members.length === 0) throw new TarFormatError('This does not look like a tar archive');
  return members;
}
