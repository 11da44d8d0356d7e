/**
 * A raw file's allocation map when the fd-ops helper cannot run (here: no cache
 * directory to write it to, as with a read-only or noexec home): extents() still
 * answers, from filefrag, instead of failing the copy or serve that asked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RawFileDevice } from '../../../../src/block/raw-file.js';

let dir: string;
const cacheWas = process.env.XDG_CACHE_HOME;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-map-fallback-'));
  // A file where the cache directory should be: the helper cannot be written.
  fs.writeFileSync(path.join(dir, 'not-a-dir'), '');
  process.env.XDG_CACHE_HOME = path.join(dir, 'not-a-dir');
});
afterAll(() => {
  if (cacheWas === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = cacheWas;
  fs.rmSync(dir, { recursive: true, force: true });
});

it('extents() of a sparse raw file fall back to filefrag when the helper cannot be written', async () => {
  const file = path.join(dir, 'sparse.raw');
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, Buffer.alloc(65536, 1), 0, 65536, 4 * 1024 * 1024);
  fs.ftruncateSync(fd, 16 * 1024 * 1024);
  fs.closeSync(fd);
  for (const mapAhead of [false, true]) {
    const dev = await RawFileDevice.open(file, { readOnly: true, mapAhead });
    try {
      const data = (await dev.extents(0, dev.size)).filter((e) => !e.zero);
      expect(data).toEqual([{ offset: 4 * 1024 * 1024, length: 65536, zero: false, hole: false }]);
    } finally {
      await dev.close();
    }
  }
});
