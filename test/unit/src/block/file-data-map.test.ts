import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileDataRanges, parseFilefrag } from '../../../../src/block/file-data-map.js';
import { RawFileDevice } from '../../../../src/block/raw-file.js';

const FIEMAP = `Filesystem type is: ef53
File size of f is 10000 (10000 blocks of 1 bytes)
 ext:     logical_offset:        physical_offset: length:   expected: flags:
   0:        0..    4095:   97450459136..  97450463231:   4096:
   1:     4096..    8191:   97450463232..  97450467327:   4096:             unwritten
   2:     8192..   12287:   97458847744..  97458851839:   4096: 97450467328: last,eof
f: 2 extents found
`;

describe('file-data-map', () => {
  it('parses FIEMAP listings: ranges merged, unwritten counted as data, clipped to the size', () => {
    expect(parseFilefrag(FIEMAP, 10000)).toEqual([[0, 10000]]);
    expect(parseFilefrag(FIEMAP.replace(/\n {3}1:[^\n]*/, ''), 10000)).toEqual([[0, 4096], [8192, 10000]]);
    expect(parseFilefrag('Filesystem type is: ef53\n ext:     logical_offset:        physical_offset: length:   expected: flags:\nf: 0 extents found\n', 10)).toEqual([]);
  });

  it("refuses what is not FIEMAP's listing (FIBMAP cannot see data still in the page cache)", () => {
    expect(parseFilefrag('Filesystem type is: 1021994\nFile size of f is 8192 (2 blocks of 4096 bytes)\nf: 1 extent found\n', 8192)).toBeNull();
    expect(parseFilefrag('', 10)).toBeNull();
  });

  it('a file with no blocks: FIEMAP prints no extent table, only "0 extents found"; trusted only when st_blocks says 0 too', () => {
    const none = 'Filesystem type is: ef53\nFile size of f is 4294967296 (4294967296 blocks of 1 bytes)\nf: 0 extents found\n';
    expect(parseFilefrag(none, 4294967296, true)).toEqual([]);
    expect(parseFilefrag(none, 4294967296, false)).toBeNull();
    expect(parseFilefrag(none.replace('0 extents', '1 extent'), 4294967296, true)).toBeNull();
    expect(parseFilefrag(none.replace('f: 0', 'Discontinuity: Block 1 is at 100 (was 0)\nf: 0'), 4294967296, true)).toBeNull();
  });

  it('a file never written (truncated to its size): RawFileDevice reports one hole, without reading it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gk-data-map-'));
    try {
      const f = path.join(dir, 'empty.img');
      fs.closeSync(fs.openSync(f, 'w'));
      fs.truncateSync(f, 64 << 20);
      const probe = path.join(dir, 'probe.img');
      fs.writeFileSync(probe, Buffer.alloc(4096, 1));
      if ((await fileDataRanges(probe, 4096)) === null) return; // no filefrag or no FIEMAP here
      const dev = await RawFileDevice.open(f, { readOnly: true });
      expect(await dev.extents(0, dev.size)).toEqual([{ offset: 0, length: 64 << 20, zero: true, hole: true }]);
      await dev.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a sparse file read through RawFileDevice: holes where nothing was written, the bytes read back unchanged', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gk-data-map-'));
    try {
      const f = path.join(dir, 'sparse.img');
      const fd = fs.openSync(f, 'w');
      fs.writeSync(fd, Buffer.alloc(65536, 7), 0, 65536, 1 << 20);
      fs.ftruncateSync(fd, 4 << 20);
      fs.closeSync(fd);
      const map = await fileDataRanges(f, 4 << 20);
      if (map === null) return; // no filefrag or no FIEMAP here: RawFileDevice reports one data extent (below)
      expect(map.some(([s, e]) => s <= 1 << 20 && e >= (1 << 20) + 65536)).toBe(true);
      const dev = await RawFileDevice.open(f, { readOnly: true });
      const ext = await dev.extents(0, dev.size);
      expect(ext[0]).toEqual({ offset: 0, length: map[0]![0], zero: true, hole: true });
      expect(ext.reduce((n, e) => n + e.length, 0)).toBe(dev.size);
      expect(ext.filter((e) => !e.zero).reduce((n, e) => n + e.length, 0)).toBeLessThan(dev.size);
      // a written file keeps no map: its data may move under it
      const rw = await RawFileDevice.open(f, { readOnly: false });
      expect(await rw.extents(0, rw.size)).toEqual([{ offset: 0, length: rw.size, zero: false, hole: false }]);
      await rw.close();
      expect(Buffer.compare(Buffer.from(await dev.read(0, dev.size)), fs.readFileSync(f))).toBe(0);
      await dev.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
