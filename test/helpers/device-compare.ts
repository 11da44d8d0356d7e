/**
 * Comparing what a native image reader reads with what qemu reads: the
 * device's bytes dumped to a file (for cmp against `qemu-img convert -O raw`)
 * and its map in `qemu-img map`'s terms.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { expect } from 'vitest';
import type { BlockDevice } from '../../src/block/block-device.js';
import { mergeExtents, MiB, type TypedExtent } from './qcow2-images.js';

/** Writes everything `dev` reads to `out`, in odd-sized chunks that straddle clusters and grains. */
export async function dumpDevice(dev: BlockDevice, out: string): Promise<void> {
  const fd = fs.openSync(out, 'w');
  try {
    const chunk = MiB + 4097;
    for (let at = 0; at < dev.size; at += chunk) fs.writeSync(fd, await dev.read(at, Math.min(chunk, dev.size - at)));
  } finally {
    fs.closeSync(fd);
  }
}

/** The two files are byte for byte the same (cmp says nothing and exits 0). */
export function cmp(a: string, b: string): void {
  const r = spawnSync('cmp', [a, b], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}

/** The device's allocation map as data / zero / hole extents. */
export async function ourMap(dev: BlockDevice): Promise<TypedExtent[]> {
  return mergeExtents((await dev.extents(0, dev.size)).map((e) => ({ start: e.offset, length: e.length, type: e.hole ? 'hole' : e.zero ? 'zero' : 'data' })));
}
