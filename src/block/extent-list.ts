/**
 * Building allocation maps (BlockDevice.extents) out of pieces: adjacent
 * extents of one kind become one, and ranges a layered image leaves
 * unallocated are described by the image below it.
 */
import type { BlockDevice, Extent } from './block-device.js';

/** Appends `e` to `out`, merging it into the last extent when they touch and are of one kind. */
export function appendExtent(out: Extent[], e: Extent): void {
  const last = out[out.length - 1];
  if (last && last.zero === e.zero && last.hole === e.hole && last.offset + last.length === e.offset) last.length += e.length;
  else if (e.length > 0) out.push({ ...e });
}

/**
 * Appends the map of a range the top image leaves unallocated: the backing
 * image's map where it reaches, holes past its end (or everywhere without one).
 */
export async function appendUnallocated(out: Extent[], backing: BlockDevice | null, offset: number, length: number): Promise<void> {
  const inBacking = backing ? Math.max(0, Math.min(length, backing.size - offset)) : 0;
  if (inBacking > 0) for (const e of await backing!.extents(offset, inBacking)) appendExtent(out, e);
  appendExtent(out, { offset: offset + inBacking, length: length - inBacking, zero: true, hole: true });
}
