/**
 * What the start of a vmdk file says: a sparse header (with the descriptor
 * embedded in it) or, for descriptor files, the descriptor text itself.
 */
import type { ExtentFile } from './extent-file.js';
import { looksLikeDescriptor, MAX_DESCRIPTOR_BYTES, parseDescriptor, type VmdkDescriptor } from './vmdk-descriptor.js';
import { COWD_MAGIC, parseSparseHeader, SECTOR, SPARSE_MAGIC, type SparseHeader } from './sparse-header.js';

export interface VmdkHead {
  /** Set for sparse files ("KDMV"). */
  sparse?: SparseHeader;
  /** The descriptor: the file itself, or the one embedded in a sparse file (null when it has none). */
  descriptor: VmdkDescriptor | null;
}

/** Reads the header (and footer) of a sparse file; `file` is known to start with a sparse magic. */
export async function readSparseHeader(file: ExtentFile): Promise<SparseHeader> {
  const head = await file.readAt(0, Math.min(SECTOR, file.size), 'the sparse header');
  const footer = file.size >= 4 * SECTOR ? await file.readAt(file.size - 3 * SECTOR, 3 * SECTOR, 'the footer') : undefined;
  const h = parseSparseHeader(head, file.size, footer);
  if (typeof h === 'string') throw file.error(h);
  return h;
}

export async function readVmdkHead(file: ExtentFile): Promise<VmdkHead> {
  const first = await file.readAt(0, Math.min(4, file.size), 'the header');
  const magic = first.length === 4 ? new DataView(first.buffer, first.byteOffset, 4).getUint32(0, true) : 0;
  if (magic === SPARSE_MAGIC || magic === COWD_MAGIC) {
    const sparse = await readSparseHeader(file);
    if (sparse.descriptorOffset === 0 || sparse.descriptorSectors === 0) return { sparse, descriptor: null };
    const length = Math.min(sparse.descriptorSectors * SECTOR, MAX_DESCRIPTOR_BYTES);
    const text = new TextDecoder().decode(await file.readAt(sparse.descriptorOffset, length, 'its embedded descriptor'));
    const descriptor = parseDescriptor(text);
    if (typeof descriptor === 'string') throw file.corrupt(descriptor);
    return { sparse, descriptor };
  }
  if (file.size > MAX_DESCRIPTOR_BYTES) throw file.error('is not a vmdk image: neither a sparse extent nor a descriptor file');
  const text = new TextDecoder().decode(await file.readAt(0, file.size, 'the descriptor'));
  if (!looksLikeDescriptor(text)) throw file.error('is not a vmdk image: neither a sparse extent nor a descriptor file');
  const descriptor = parseDescriptor(text);
  if (typeof descriptor === 'string') throw file.corrupt(descriptor);
  return { descriptor };
}
