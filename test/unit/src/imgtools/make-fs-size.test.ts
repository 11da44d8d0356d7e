import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimateSize, outputSize, parseByteSize } from '../../../../src/imgtools/make-fs-size.js';
import { GOLDEN } from '../../../helpers/fixtures.js';

const golden = JSON.parse(readFileSync(join(GOLDEN, 'imgtools', 'make-fs.json'), 'utf8')) as {
  cases: Array<{ inputBytes: number; type: string; size?: string; outputBytes: number }>;
};

describe('make-fs size', () => {
  it('matches the sizes virt-make-fs chose', () => {
    for (const c of golden.cases) expect(outputSize(c.size, estimateSize(c.inputBytes, c.type, false, 0))).toBe(c.outputBytes);
  });
  it('adds the per-type overheads', () => {
    const base = estimateSize(0, 'ext2', false, 0);
    expect(base).toBe(Math.trunc(256 * 1024 * 1.1));
    expect(estimateSize(0, 'ntfs', false, 0)).toBe(Math.trunc((256 * 1024 + 4 * 1048576) * 1.1));
    expect(estimateSize(0, 'btrfs', false, 0)).toBe(Math.trunc((256 * 1024 + 256 * 1048576) * 1.1));
    expect(estimateSize(0, 'xfs', false, 512)).toBe(Math.trunc((256 * 1024 + 16 * 1048576) * 1.1));
    expect(estimateSize(0, 'ext3', true, 512)).toBe(Math.trunc((256 * 1024 + 2 * 128 * 512 + 1024 * 1024) * 1.1));
  });
  it('reads sizes as xstrtoull does', () => {
    expect(parseByteSize('1440K')).toBe(1440 * 1024);
    expect(parseByteSize('1M')).toBe(1048576);
    expect(parseByteSize('1MB')).toBe(1000000);
    expect(parseByteSize('1MiB')).toBe(1048576);
    expect(parseByteSize('0x10')).toBe(16);
    expect(parseByteSize('010')).toBe(8);
    expect(parseByteSize('12')).toBe(12);
    expect(parseByteSize('1X')).toBeNull();
    expect(parseByteSize('-1')).toBeNull();
    expect(outputSize('+2k', 100)).toBe(2148);
    expect(() => outputSize('lots', 100)).toThrow(/invalid size parameter 'lots'/);
  });
});
