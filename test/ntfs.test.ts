/** NTFS through the library on the wasm backend, checked with the host's ntfs-3g tools. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { scratch, sha256 } from './helpers/fixtures.js';

describe('NTFS on the wasm backend', () => {
  let tmp: ReturnType<typeof scratch>;
  let img: string;
  beforeAll(() => {
    tmp = scratch();
    img = join(tmp.dir, 'win.img');
    execFileSync('truncate', ['-s', '64M', img]);
    execFileSync('mkntfs', ['-F', '-q', '-f', '-L', 'WinDisk', img], { stdio: 'ignore' });
    execFileSync('sh', ['-c', `printf 'hello ntfs\\r\\n' > ${join(tmp.dir, 'h.txt')}`]);
    execFileSync('ntfscp', ['-q', img, join(tmp.dir, 'h.txt'), 'Hello.TXT'], { stdio: 'ignore' });
  });
  afterAll(() => tmp.cleanup());

  it('probes, reads case-insensitively and never writes a read-only drive', async () => {
    const before = sha256(img);
    const g = new Guestfs();
    g.addDrive(img, { readonly: true });
    await g.launch();
    expect(await g.listFilesystems()).toEqual({ '/dev/sda': 'ntfs' });
    expect(await g.vfsLabel('/dev/sda')).toBe('WinDisk');
    await g.mountRo('/dev/sda', '/');
    expect(await g.ls('/')).toEqual(['Hello.TXT']);
    expect(await g.cat('/hello.txt')).toBe('hello ntfs\r\n');
    await g.close();
    expect(sha256(img)).toBe(before);
  });

  it('writes that the host tools read back, with ntfsfix clean', async () => {
    const g = new Guestfs();
    g.addDrive(img, { format: 'raw' });
    await g.launch();
    await g.mount('/dev/sda', '/');
    await g.mkdirP('/Windows/System32/config');
    await g.write('/Windows/System32/config/SOFTWARE', 'regf...');
    await g.write('/Users.txt', 'grüße 日本語\n');
    await g.mv('/Hello.TXT', '/Windows/hello.txt');
    await g.close();
    expect(execFileSync('ntfscat', [img, 'Windows/System32/config/SOFTWARE'], { encoding: 'utf8' })).toBe('regf...');
    expect(execFileSync('ntfscat', [img, 'Users.txt'], { encoding: 'utf8' })).toBe('grüße 日本語\n');
    expect(execFileSync('ntfsls', [img, '-p', '/Windows'], { encoding: 'utf8' }).split('\n').filter((n) => n && n !== '.').sort()).toEqual(['System32', 'hello.txt']);
    execFileSync('ntfsfix', ['-n', img], { stdio: 'pipe' }); // throws on a non-zero status
  });
});
