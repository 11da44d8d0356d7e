/**
 * Bulk writes on FAT32 and NTFS (wasm backend), a CI-sized slice of
 * bench/bulk-write.js: 2,000 small files created in one directory by `write`
 * and `touch`, some rewritten, removed and re-created, then checked by the
 * host's own tools (fsck.vfat -n / ntfsfix -n clean; mtools / ntfs-3g read
 * the content back) and by a fresh session. Also: in the writing session,
 * the directory's attributes (kept up to date incrementally by the FAT
 * driver) match what a fresh session reads from the disk. No timing here:
 * speed is measured in bench/bulk-write.js.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../../src/index.js';
import { scratch } from '../helpers/fixtures.js';

const FILES = 2000;
const content = (i: number) => `file ${i} ${'x'.repeat(i % 700)}\n`;
/** Names of both kinds: 8.3-compatible (f123) and long ones (numbered short aliases on FAT). */
const nameOf = (i: number) => (i % 2 ? `f${i}` : `Long File Name ${i}.txt`);

function makeImage(kind: 'vfat' | 'ntfs', path: string): void {
  writeFileSync(path, '');
  truncateSync(path, 96 * 1024 * 1024);
  if (kind === 'vfat') execFileSync('mkfs.vfat', ['-F', '32', path], { stdio: 'ignore' });
  else execFileSync('mkntfs', ['-F', '-f', '-q', path], { stdio: 'ignore' });
}

interface Row {
  name: string;
  size: number;
  mtime: number;
}

async function listing(g: Guestfs, dir: string): Promise<Row[]> {
  const names = (await g.ls(dir)) as string[];
  const stats = (await g.lstatnslist(dir, names)) as { st_size: number; st_mtime_sec: number }[];
  return names.map((name, i) => ({ name, size: stats[i]!.st_size, mtime: stats[i]!.st_mtime_sec }));
}

describe.each(['vfat', 'ntfs'] as const)('%s: 2,000 files in one directory', (kind) => {
  const tmp = scratch();
  const img = join(tmp.dir, `${kind}.img`);
  afterAll(() => tmp.cleanup());
  const expected = new Map<string, string>();

  it('creates, rewrites, removes and re-creates them in one session; the directory reads the same in a fresh one', async () => {
    makeImage(kind, img);
    const g = new Guestfs({ backend: 'wasm' });
    await g.addDrive(img, { format: 'raw' });
    await g.launch();
    await g.mount('/dev/sda', '/');
    await g.mkdir('/bulk');
    for (let i = 0; i < FILES; i++) {
      const name = nameOf(i);
      if (i % 5 === 4) {
        await g.touch(`/bulk/${name}`);
        expected.set(name, '');
      } else {
        await g.write(`/bulk/${name}`, content(i));
        expected.set(name, content(i));
      }
    }
    for (let i = 0; i < FILES; i += 97) {
      await g.write(`/bulk/${nameOf(i)}`, `rewritten ${i}\n`);
      expected.set(nameOf(i), `rewritten ${i}\n`);
    }
    for (let i = 3; i < FILES; i += 89) {
      await g.rm(`/bulk/${nameOf(i)}`);
      expected.delete(nameOf(i));
    }
    for (let i = 3; i < FILES; i += 178) {
      await g.write(`/bulk/${nameOf(i)}`, `again ${i}\n`);
      expected.set(nameOf(i), `again ${i}\n`);
    }
    const inSession = await listing(g, '/bulk');
    expect(inSession.length).toBe(expected.size);
    expect(await g.cat(`/bulk/${nameOf(FILES - 2)}`)).toBe(expected.get(nameOf(FILES - 2)));
    await g.close();

    const h = new Guestfs({ backend: 'wasm' });
    await h.addDrive(img, { format: 'raw', readonly: true });
    await h.launch();
    await h.mountRo('/dev/sda', '/');
    expect(await listing(h, '/bulk')).toEqual(inSession);
    for (const [name, data] of expected) expect(await h.cat(`/bulk/${name}`)).toBe(data);
    await h.close();
  }, 120_000);

  it('passes the host checker, and the host tools read every file back', () => {
    if (kind === 'vfat') {
      expect(spawnSync('fsck.vfat', ['-n', img], { encoding: 'utf8' }).status).toBe(0);
      const out = join(tmp.dir, 'out');
      mkdirSync(out);
      execFileSync('mcopy', ['-i', img, '-s', '-n', '::/bulk', out]);
      const got = readdirSync(join(out, 'bulk'));
      expect(got.sort()).toEqual([...expected.keys()].sort());
      for (const [name, data] of expected) expect(readFileSync(join(out, 'bulk', name), 'utf8')).toBe(data);
    } else {
      const fix = spawnSync('ntfsfix', ['-n', img], { encoding: 'utf8' });
      expect(fix.status).toBe(0);
      const names = execFileSync('ntfsls', ['-p', '/bulk', img], { encoding: 'utf8' }).split('\n').filter((n) => n && n !== '.' && n !== '..');
      expect(names.sort()).toEqual([...expected.keys()].sort());
      // every 40th file through ntfscat (one process per file)
      for (const [k, [name, data]] of [...expected].entries()) {
        if (k % 40 === 0) expect(execFileSync('ntfscat', [img, `/bulk/${name}`], { encoding: 'utf8' })).toBe(data);
      }
    }
  }, 60_000);
});
