import { describe, expect, it } from 'vitest';
import { looksLikeDescriptor, parseDescriptor } from '../../../../../src/block/vmdk/vmdk-descriptor.js';
import { parseSparseHeader } from '../../../../../src/block/vmdk/sparse-header.js';
import { probeBytes } from '../../../../../src/block/format.js';

describe('vmdk descriptor', () => {
  it('parses the header keys, extent lines of every access and the ddb', () => {
    const d = parseDescriptor(
      '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="twoGbMaxExtentFlat"\nparentFileNameHint="base.vmdk"\n\n# Extent description\nRW 4192256 FLAT "a-f001.vmdk" 0\nRDONLY 100 SPARSE "b.vmdk"\nNOACCESS 8 FLAT "a-f001.vmdk" 16\nRW 2048 ZERO\n\n#DDB\nddb.adapterType = "lsilogic"\n\0\0\0garbage',
    );
    expect(typeof d).toBe('object');
    if (typeof d === 'string') return;
    expect(d).toMatchObject({ version: 1, cid: 0xfffffffe, parentCid: 0xffffffff, createType: 'twoGbMaxExtentFlat', parentFileNameHint: 'base.vmdk' });
    expect(d.extents).toEqual([
      { access: 'RW', sectors: 4192256, type: 'FLAT', file: 'a-f001.vmdk', offset: 0 },
      { access: 'RDONLY', sectors: 100, type: 'SPARSE', file: 'b.vmdk', offset: 0 },
      { access: 'NOACCESS', sectors: 8, type: 'FLAT', file: 'a-f001.vmdk', offset: 16 },
      { access: 'RW', sectors: 2048, type: 'ZERO', file: undefined, offset: 0 },
    ]);
    expect(d.ddb.get('ddb.adapterType')).toBe('lsilogic');
  });

  it('a bad extent line is a problem, never skipped', () => {
    expect(parseDescriptor('version=1\nRW lots FLAT "x"\n')).toMatch(/^bad extent line/);
    expect(parseDescriptor('version=1\nRW 0 FLAT "x" 0\n')).toBe('bad extent size 0 in the descriptor');
    expect(parseDescriptor('version=1\nRW 9 FLOPPY "x"\n')).toBe('unknown extent type FLOPPY in the descriptor');
    expect(parseDescriptor('version=1\nRW 9 FLAT\n')).toMatch(/^extent line names no file/);
  });

  it('descriptors are recognised by their first real line; probing finds them', () => {
    expect(looksLikeDescriptor('# written by a tool\n\nversion=1\nCID=1\n')).toBe(true);
    expect(looksLikeDescriptor('#!/bin/sh\necho version=1\n')).toBe(false);
    expect(probeBytes(new TextEncoder().encode('# made elsewhere\nversion=1\ncreateType="monolithicFlat"\n'))).toBe('vmdk');
    expect(probeBytes(new TextEncoder().encode('#!/bin/sh\n'))).toBe('raw');
  });
});

describe('vmdk sparse header', () => {
  const header = (patch: (v: DataView) => void) => {
    const b = new Uint8Array(512);
    const v = new DataView(b.buffer);
    b.set(new TextEncoder().encode('KDMV'));
    v.setUint32(4, 1, true);
    v.setBigUint64(12, 2048n, true); // capacity
    v.setBigUint64(20, 128n, true); // grain
    v.setUint32(44, 512, true);
    v.setBigUint64(56, 21n, true);
    patch(v);
    return b;
  };
  it('checks every field the reader trusts', () => {
    expect(parseSparseHeader(header(() => {}), 1 << 20)).toMatchObject({ capacity: 2048, grainSectors: 128, gdOffset: 21 * 512, gdEntries: 1 });
    expect(parseSparseHeader(header((v) => v.setBigUint64(20, 96n, true)), 1 << 20)).toMatch(/grain size 96 sectors is out of range/);
    expect(parseSparseHeader(header((v) => v.setUint32(44, 4096, true)), 1 << 20)).toMatch(/4096 entries per grain table is out of range/);
    expect(parseSparseHeader(header((v) => v.setUint32(4, 7, true)), 1 << 20)).toBe('vmdk image has unsupported sparse extent version 7');
    expect(parseSparseHeader(header((v) => v.setBigUint64(12, 1n << 62n, true)), 1 << 20)).toMatch(/capacity .* is out of range/);
    expect(parseSparseHeader(header((v) => v.setBigUint64(56, 0xffffffffffffffffn, true)), 1 << 20)).toMatch(/footer is missing|no valid footer/);
    expect(parseSparseHeader(header(() => {}).subarray(0, 100), 100)).toMatch(/truncated/);
  });
});
