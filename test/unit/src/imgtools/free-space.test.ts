/**
 * Free-space discovery on real filesystems made by the host's mkfs tools with
 * dirty free space (a deleted file's bytes left behind): masked, the deleted
 * bytes are gone, the kept file and the filesystem's checks are intact.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RawFileDevice } from '../../../../src/block/raw-file.js';
import { mergeRanges } from '../../../../src/imgtools/free-space/byte-ranges.js';
import { extFreeRanges } from '../../../../src/imgtools/free-space/ext-free.js';
import { fatFreeRanges } from '../../../../src/imgtools/free-space/fat-free.js';
import { ZeroMaskDevice } from '../../../../src/imgtools/zero-mask-device.js';
import { scratch } from '../../../helpers/fixtures.js';
import { MemoryDevice } from '../../../helpers/mem-device.js';

const tmp = scratch();
afterAll(() => tmp.cleanup());
const JUNK = 0xab;

/** The masked image written out, and whether a 4 KiB run of the deleted file's byte survived. */
async function masked(image: string, ranges: Awaited<ReturnType<typeof fatFreeRanges>>): Promise<{ file: string; junkLeft: boolean }> {
  const src = await RawFileDevice.open(image, { readOnly: true });
  const view = new ZeroMaskDevice(src, ranges);
  const data = await view.read(0, view.size);
  await view.close();
  const file = `${image}.masked`;
  writeFileSync(file, data);
  return { file, junkLeft: Buffer.from(data).includes(Buffer.alloc(4096, JUNK)) };
}

describe('free space', () => {
  it('FAT: free clusters of a vfat with a deleted file', async () => {
    const img = join(tmp.dir, 'fat.img');
    const keep = join(tmp.dir, 'keep.bin'), junk = join(tmp.dir, 'junk.bin');
    writeFileSync(keep, randomBytes(100000));
    writeFileSync(junk, Buffer.alloc(1 << 20, JUNK));
    execFileSync('mkfs.vfat', ['-C', img, '8192'], { stdio: 'ignore' });
    execFileSync('mcopy', ['-i', img, keep, junk, '::/']);
    execFileSync('mdel', ['-i', img, '::/junk.bin']);
    expect(readFileSync(img).includes(Buffer.alloc(4096, JUNK))).toBe(true);
    const dev = await RawFileDevice.open(img, { readOnly: true });
    const ranges = await fatFreeRanges(dev);
    await dev.close();
    const m = await masked(img, ranges);
    expect(m.junkLeft).toBe(false);
    execFileSync('fsck.vfat', ['-n', m.file]);
    execFileSync('mcopy', ['-i', m.file, '::/keep.bin', join(tmp.dir, 'keep.out')]);
    expect(readFileSync(join(tmp.dir, 'keep.out')).equals(readFileSync(keep))).toBe(true);
  });

  it('ext4: free blocks from the bitmaps; a journal needing recovery is refused', async () => {
    const img = join(tmp.dir, 'ext.img');
    execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', img, '16M']);
    const dev = await RawFileDevice.open(img, { readOnly: true });
    const ranges = await extFreeRanges(dev);
    await dev.close();
    const free = ranges.reduce((n, [s, e]) => n + e - s, 0);
    const dumpe2fs = execFileSync('dumpe2fs', ['-h', img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const freeBlocks = Number(/^Free blocks: +(\d+)/m.exec(dumpe2fs)![1]);
    const blockSize = Number(/^Block size: +(\d+)/m.exec(dumpe2fs)![1]);
    // (groups whose bitmap was never initialised count as used: never more than the superblock says)
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThanOrEqual(freeBlocks * blockSize);
    const m = await masked(img, ranges);
    execFileSync('e2fsck', ['-fn', m.file], { stdio: 'ignore' });
    const sb = readFileSync(img);
    sb[1024 + 0x60] |= 0x4; // INCOMPAT_RECOVER
    await expect(extFreeRanges(new MemoryDevice(new Uint8Array(sb)))).rejects.toThrow(/journal needs recovery/);
  });

  it('merges ranges and masks extents', async () => {
    expect(mergeRanges([[10, 20], [0, 5], [5, 8], [19, 30], [40, 40]])).toEqual([[0, 8], [10, 30]]);
    const view = new ZeroMaskDevice(new MemoryDevice(new Uint8Array(100).fill(1)), [[10, 20], [50, 60]]);
    expect(await view.extents(0, 100)).toEqual([
      { offset: 0, length: 10, zero: false, hole: false }, { offset: 10, length: 10, zero: true, hole: false },
      { offset: 20, length: 30, zero: false, hole: false }, { offset: 50, length: 10, zero: true, hole: false },
      { offset: 60, length: 40, zero: false, hole: false },
    ]);
    const b = await view.read(5, 10);
    expect([...b]).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
  });
});
