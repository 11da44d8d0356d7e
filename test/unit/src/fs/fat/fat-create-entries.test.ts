/**
 * New files' directory entries written by the FAT driver itself (fat-volume.ts
 * createEntry, fat-short-names.ts) instead of FatFs's create: the same short
 * aliases, case bits and slots as FatFs, and FatFs kept coherent (its sector
 * window, its cache, the FILs the driver fills in) while creates mix with
 * FatFs's own removes, renames, mkdirs, directory growth and data writes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../../../../../src/index.js';
import { openFat } from '../../../../../src/fs/fat/fat-driver.js';
import { checkTool, FileDevice, hostToolEnv, runTool, text } from '../../../../helpers/host-tools.js';
import { scratch } from '../../../../helpers/fixtures.js';

const env = hostToolEnv({ TZ: 'UTC', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' });
const tmp = scratch();
afterAll(() => tmp.cleanup());

function expectClean(img: string): void {
  const r = checkTool(env, 'fsck.vfat', ['-n', img]);
  expect(r.out).not.toMatch(/wrong|invalid|lost|bad|differ|orphan|free cluster summary/i);
  expect(r.status, r.out).toBe(0);
}

/** `mdir -/` of a directory as "8.3 name columns" + " long name" lines, in directory order. */
function aliases(img: string, dir: string): string[] {
  return runTool(env, 'mdir', ['-/', '-i', img, `::${dir}`]).split('\n')
    .filter((l) => /^\S/.test(l) && !/^(\.|\.\.) |files|bytes|Directory|Volume/.test(l))
    .map((l) => (l.slice(0, 12) + l.slice(41)).trimEnd());
}

describe('FAT: entries of new files', () => {
  it('match what FatFs itself makes: aliases (~N, then hashed), case bits, long-name sets and reused slots', async () => {
    // The golden was made by the same steps with FatFs doing every create (before the driver did).
    const names = ['f0', 'File.txt', 'abc.TXT', 'ABC.txt', 'a.b.c', '.bashrc', '..foo', 'long name with spaces.txt', 'x+y=z[1].dat',
      'README', 'readme.md', 'Makefile', 'verylongfilename.extension', 'UPPER.TXT', 'MiXeD', 'a~1', 'abcdefgh.ijk', 'abcdefghi', 'a.abcd',
      'name.', 'abcdefghijklm', 'abcdefghijklmnopqrstuvwxyz', 'ab cd', 'A', 'z.Z', '~', '#hash', 'a..b', 'x.tar.gz', 'Program Files',
      'progra~1', '.a', 'e.', '12345678.123', '123456789.123'];
    for (let i = 0; i < 40; i++) names.push(`samebase-${i}.txt`);
    for (let i = 0; i < 20; i++) names.push(`Samebase-${i}.TXT`);
    const img = join(tmp.dir, 'names.img');
    writeFileSync(img, '');
    truncateSync(img, 64 << 20);
    execFileSync('mkfs.vfat', ['-F', '32', '-i', '12345678', img], { stdio: 'ignore' });
    const g = new Guestfs({ backend: 'wasm' });
    await g.addDrive(img, { format: 'raw' });
    await g.launch();
    await g.mount('/dev/sda', '/');
    await g.mkdir('/d');
    for (const [i, n] of names.entries()) {
      if (i % 3) await g.touch(`/d/${n}`);
      else await g.write(`/d/${n}`, `x${i}`);
    }
    await g.rm('/d/f0');
    await g.rm('/d/samebase-3.txt');
    await g.write('/d/after-rm.txt', 'y');
    await g.touch('/d/q');
    await g.close();
    expectClean(img);
    const golden = readFileSync(join(__dirname, '../../../../golden/fat/fatfs-created-names.txt'), 'utf8').trimEnd().split('\n');
    expect(aliases(img, '/d')).toEqual(golden.map((l) => l.trimEnd()));
    expect(runTool(env, 'mtype', ['-i', img, '::/d/verylongfilename.extension'])).toBe('x12');
  });

  it('stay coherent with FatFs across removes, renames, mkdirs, directory growth and writes (512-byte clusters)', async () => {
    const img = join(tmp.dir, 'mixed.img');
    writeFileSync(img, '');
    truncateSync(img, 64 << 20);
    execFileSync('mkfs.vfat', ['-F', '32', '-s', '1', img], { stdio: 'ignore' });
    const dev = new FileDevice(img, false);
    const fs = await openFat(dev, { readOnly: false });
    const dir = fs.mkdir(1, 'mix', 0o755, 0, 0);
    const want = new Map<string, string>();
    const nameOf = (i: number) => (i % 4 === 0 ? `f${i}` : i % 4 === 1 ? `Long Mixed Name ${i}.Data` : i % 4 === 2 ? `café ${i}.txt` : `dup-prefix-${i}`);
    for (let i = 0; i < 600; i++) {
      const name = nameOf(i);
      const ino = fs.create(dir, name, 0o644, 0, 0);
      if (i % 3) {
        const body = `body of ${name}\n`.repeat(1 + (i % 40));
        fs.write(ino, 0, new TextEncoder().encode(body));
        want.set(name, body);
      } else {
        want.set(name, '');
      }
      if (i % 7 === 6 && want.has(nameOf(i - 3))) {
        const victim = nameOf(i - 3);
        fs.unlink(dir, victim);
        want.delete(victim);
      }
      if (i % 11 === 10 && want.has(nameOf(i - 1))) {
        const from = nameOf(i - 1), to = `renamed ${i}.txt`;
        fs.rename(dir, from, dir, to);
        want.set(to, want.get(from)!);
        want.delete(from);
      }
      if (i % 50 === 49) fs.mkdir(dir, `sub ${i}`, 0o755, 0, 0);
    }
    // FatFs's sector window holds the directory sector a new entry goes to (z was just
    // synced there, allocating nothing, so FSInfo did not take the window), and then
    // writes that sector back from the window (syncing z again)
    const enc = new TextEncoder();
    const w = fs.mkdir(1, 'window', 0o755, 0, 0);
    const z = fs.create(w, 'z', 0o644, 0, 0);
    fs.write(z, 0, enc.encode('abcdefgh'));
    fs.flush();
    fs.write(fs.create(w, 'x', 0o644, 0, 0), 0, enc.encode('x'));
    fs.flush();
    fs.write(z, 0, enc.encode('a'));
    fs.flush();
    fs.create(w, 'y with a long name', 0o644, 0, 0);
    fs.write(z, 0, enc.encode('ABCD'));
    fs.flush();
    fs.close();
    dev.close();
    expectClean(img);
    const listed = runTool(env, 'mdir', ['-/', '-b', '-i', img, '::/mix']).trim().split('\n');
    expect(listed.length).toBe(want.size + 12);
    const again = new FileDevice(img, true);
    const ro = await openFat(again, { readOnly: true });
    const mix = ro.lookup(1, 'mix');
    const seen = ro.readdir(mix).filter((e) => !e.name.startsWith('sub '));
    expect(seen.map((e) => e.name).sort()).toEqual([...want.keys()].sort());
    for (const e of seen) expect(text(ro.read(e.ino, 0, 1 << 20)), e.name).toBe(want.get(e.name));
    ro.close();
    again.close();
    expect(runTool(env, 'mdir', ['-/', '-b', '-i', img, '::/window']).trim().split('\n').map((l) => l.replace(/.*\//, ''))).toEqual(['z', 'x', 'y with a long name']);
    expect(runTool(env, 'mtype', ['-i', img, '::/window/z'])).toBe('ABCDefgh');
    for (const name of ['Long Mixed Name 597.Data', 'dup-prefix-599', 'renamed 549.txt']) {
      expect(runTool(env, 'mtype', ['-i', img, `::/mix/${name}`])).toBe(want.get(name));
    }
  });
});
