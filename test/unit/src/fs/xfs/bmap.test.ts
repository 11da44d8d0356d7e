/**
 * The packed pieces of the xfs reader checked against hand-made values: the
 * CRC-32C check value, a 128-bit extent record, the extent search.
 */
import { describe, expect, it } from 'vitest';
import { decodeExtent, findExtent, type Extent } from '../../../../../src/fs/xfs/bmap.js';
import { crc32c, crc32cWithHole, crcMatches } from '../../../../../src/fs/xfs/crc32c.js';

describe('xfs packed structures', () => {
  it('CRC-32C: the standard check value; the stored field is read as zero and kept little-endian', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    const block = new Uint8Array([...new TextEncoder().encode('1234'), 0xde, 0xad, 0xbe, 0xef, ...new TextEncoder().encode('56789')]);
    const expected = crc32c(new Uint8Array([0x31, 0x32, 0x33, 0x34, 0, 0, 0, 0, 0x35, 0x36, 0x37, 0x38, 0x39]));
    expect(crc32cWithHole(block, 4)).toBe(expected);
    new DataView(block.buffer).setUint32(4, expected, true);
    expect(crcMatches(block, 4)).toBe(true);
    block[0] ^= 1;
    expect(crcMatches(block, 4)).toBe(false);
  });

  it('decodes the 128-bit extent record: flag, 54-bit offset, 52-bit block, 21-bit length', () => {
    const pack = (flag: bigint, off: bigint, blk: bigint, len: bigint) => {
      const v = (flag << 127n) | (off << 73n) | (blk << 21n) | len;
      const b = new Uint8Array(16);
      const dv = new DataView(b.buffer);
      dv.setBigUint64(0, v >> 64n);
      dv.setBigUint64(8, v & 0xffffffffffffffffn);
      return dv;
    };
    expect(decodeExtent(pack(0n, 0n, 1378n, 3n), 0)).toEqual({ unwritten: false, fileBlock: 0, fsBlock: 1378, count: 3 });
    expect(decodeExtent(pack(1n, 1310720n, 2n ** 40n + 5n, 2n ** 21n - 1n), 0)).toEqual({ unwritten: true, fileBlock: 1310720, fsBlock: 2 ** 40 + 5, count: 2 ** 21 - 1 });
    expect(decodeExtent(pack(0n, 2n ** 50n + 1n, 511n << 43n, 1n), 0)).toEqual({ unwritten: false, fileBlock: 2 ** 50 + 1, fsBlock: 511 * 2 ** 43, count: 1 });
  });

  it('finds the extent holding a file block, or the next one', () => {
    const ext: Extent[] = [
      { fileBlock: 0, fsBlock: 100, count: 1, unwritten: false },
      { fileBlock: 10, fsBlock: 101, count: 1, unwritten: true },
      { fileBlock: 1310720, fsBlock: 102, count: 1, unwritten: false },
    ];
    expect([0, 1, 9, 10, 11, 1310720, 1310721].map((b) => findExtent(ext, b))).toEqual([0, 1, 1, 1, 2, 2, 3]);
  });
});
