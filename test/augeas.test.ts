/** aug-* commands on a guest: the lenses' files copied in, edits saved back into the image. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { copyFixture, e2fsck, scratch } from './helpers/fixtures.js';
import { expandGlob, componentRegExp } from '../src/augeas/guest-files.js';

describe('augeas commands', () => {
  let tmp: ReturnType<typeof scratch>;
  beforeAll(() => { tmp = scratch(); });
  afterAll(() => tmp.cleanup());

  it('reads and edits guest config files and saves them into the image', async () => {
    const img = copyFixture('ext4.img', tmp.dir);
    const g = new Guestfs();
    g.addDrive(img, { format: 'raw' });
    await g.launch();
    await g.mount('/dev/sda', '/');
    await g.write('/etc/hosts', '127.0.0.1 localhost\n192.0.2.7 db.example db\n');
    await g.augInit('/', 0);
    expect(await g.augMatch('/files/etc/passwd/*')).toEqual(['/files/etc/passwd/root', '/files/etc/passwd/user']);
    expect(await g.augGet('/files/etc/hosts/2/canonical')).toBe('db.example');
    expect(await g.augLs('/files/etc')).toContain('/files/etc/hosts');
    await g.augSet('/files/etc/passwd/user/shell', '/bin/zsh');
    expect(await g.augRm('/files/etc/hosts/2')).toBe(4); // the entry, its ipaddr, canonical and alias
    const node = await g.augDefnode('h', '/files/etc/hosts/01/ipaddr', '198.51.100.1');
    expect(node).toEqual({ i: 1, b: 1 });
    await g.augSet('/files/etc/hosts/01/canonical', 'new.example');
    await g.augSave();
    await expect(g.augGet('/files/etc/nope')).rejects.toMatchObject({ command: 'aug-get' });
    await g.augClose();
    expect(await g.cat('/etc/passwd')).toContain('user:x:1000:1000:User,,,:/home/user:/bin/zsh\n');
    expect(await g.cat('/etc/hosts')).toBe('127.0.0.1 localhost\n198.51.100.1\tnew.example\n'); // the lens writes a tab
    await g.close();
    expect(e2fsck(img).status).toBe(0);
  });

  it('expands lens globs against the guest as glob(3) does', async () => {
    expect(componentRegExp('*.conf').test('a.conf')).toBe(true);
    expect(componentRegExp('*.conf').test('.hidden.conf')).toBe(false);
    expect(componentRegExp('ifcfg-[!l]*').test('ifcfg-eth0')).toBe(true);
    expect(componentRegExp('ifcfg-[!l]*').test('ifcfg-lo')).toBe(false);
    const tree: Record<string, string[]> = { '/': ['etc'], '/etc': ['a.d', 'x.conf'], '/etc/a.d': ['b', 'c.conf'], '/etc/a.d/b': ['d.conf'] };
    const fs = {
      ls: async (d: string) => tree[d] ?? [],
      isDir: async (p: string) => p in tree,
      isFile: async (p: string) => !(p in tree) && (tree[p.slice(0, p.lastIndexOf('/')) || '/'] ?? []).includes(p.slice(p.lastIndexOf('/') + 1)),
    };
    expect(await expandGlob('/etc/**/*.conf', fs)).toEqual(['/etc/a.d/b/d.conf', '/etc/a.d/c.conf', '/etc/x.conf']);
    expect(await expandGlob('/etc/x.conf', fs)).toEqual(['/etc/x.conf']);
    expect(await expandGlob('/etc/nope', fs)).toEqual([]);
  });
});
