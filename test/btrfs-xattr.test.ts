/**
 * btrfs extended attributes read in process (FsDriver.listxattrs: XATTR_ITEMs,
 * several names in one item when their hashes collide) against two truths: the
 * host tree the fixture was made from (getfattr's dump in btrfs.json) and the
 * appliance's answer to the same guestfish script (test/golden/btrfs-xattrs,
 * captured with --backend=appliance: the guest kernel reading the same image).
 * Other filesystems keep xattrs in the appliance: on the wasm backend they are
 * the one-line "not supported" error, and auto picks the appliance for them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestEntry } from '../fixtures/btrfs-layout.js';
import { crc32c } from '../src/fs/xfs/crc32c.js';
import { chooseBackend } from '../src/core/backend-choice.js';
import { WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { openBtrfs, type BtrfsDriver } from '../src/fs/btrfs/btrfs-driver.js';
import { ITEM } from '../src/fs/btrfs/items.js';
import { GOLDEN, fixture } from './helpers/fixtures.js';
import { runCli } from './helpers/cli.js';
import { FileDevice } from './helpers/host-tools.js';

const DIR = join(GOLDEN, 'btrfs-xattrs');
const manifest = JSON.parse(readFileSync(fixture('btrfs.json'), 'utf8')) as Record<string, ManifestEntry>;

function lookup(fs: BtrfsDriver, path: string): number {
  let ino = fs.rootIno;
  for (const part of path.split('/').filter(Boolean)) ino = fs.lookup(ino, part);
  return ino;
}

describe('btrfs xattrs, driver level', () => {
  let dev: FileDevice;
  let fs: BtrfsDriver;
  beforeAll(() => {
    dev = new FileDevice(fixture('btrfs.img'), true);
    fs = openBtrfs(dev, { readOnly: true });
  });
  afterAll(() => {
    fs.close();
    dev.close();
  });

  it('every entry under /xattrs has exactly the attributes of the host tree, raw bytes', () => {
    const paths = Object.keys(manifest).filter((p) => p.startsWith('/xattrs'));
    expect(paths.length).toBeGreaterThanOrEqual(8);
    for (const p of paths) {
      const got = Object.fromEntries(fs.listxattrs(lookup(fs, p)).map((x) => [x.name, Buffer.from(x.value).toString('hex')]));
      expect(got, p).toEqual(manifest[p]!.xattrs ?? {});
    }
    const file = manifest['/xattrs/file.txt']!.xattrs!;
    expect(Object.keys(file)).toEqual(expect.arrayContaining(['system.posix_acl_access', 'user.binary', 'user.empty']));
  });

  it('two names with one hash share one XATTR_ITEM and both are read', () => {
    const ino = lookup(fs, '/xattrs/collide.txt');
    const { root } = fs.subvolumes.tree(fs.subvolId);
    const items = fs.reader.items(root, ino % 2 ** 32, ITEM.XATTR_ITEM);
    expect(items).toHaveLength(2); // the colliding pair in one item, user.plain in another
    const names = fs.listxattrs(ino).map((x) => x.name);
    const pair = names.filter((n) => n.startsWith('user.collide-'));
    expect(pair).toHaveLength(2);
    expect(crc32c(Buffer.from(pair[0]!))).toBe(crc32c(Buffer.from(pair[1]!)));
    expect(names).toContain('user.plain');
  });
});

describe('btrfs xattrs through guestfish on the wasm backend', () => {
  const fish = (input: string) => runCli(['fish', '--backend=wasm', '--ro', '-a', fixture('btrfs.img'), '-m', '/dev/sda'], { input });

  it('prints what the appliance prints for the same script (getxattrs, lgetxattrs, lxattrlist, getxattr)', async () => {
    const r = await fish(readFileSync(join(DIR, 'script.fish'), 'utf8'));
    expect(r.err).toBe('');
    expect(r.out).toBe(readFileSync(join(DIR, 'appliance.out'), 'utf8'));
    expect(r.status).toBe(0);
  });

  it('a missing attribute and a missing file fail as the appliance says', async () => {
    for (const name of ['missing-attr', 'missing-file']) {
      const r = await fish(readFileSync(join(DIR, `${name}.fish`), 'utf8'));
      expect(r.err, name).toBe(readFileSync(join(DIR, `${name}.err`), 'utf8'));
      expect(r.status, name).not.toBe(0);
    }
  });

  it('ext4 xattrs stay in the appliance: the wasm backend refuses in one line, auto picks the appliance', async () => {
    const r = await runCli(['fish', '--backend=wasm', '--ro', '-a', fixture('ext4.img'), '-m', '/dev/sda'], { input: 'getxattrs /etc/hostname\n' });
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toBe('guestkit: error: getxattrs: /etc/hostname: extended attributes of ext4 filesystems: not supported by the wasm backend: use --backend=appliance\n');
    expect(r.status).not.toBe(0);
    for (const [img, want] of [['ext4.img', 'appliance'], ['btrfs.img', 'wasm']] as const) {
      const w = new WasmBackend();
      await w.launch([{ file: fixture(img), readonly: true, format: 'raw' }]);
      try {
        expect((await chooseBackend(w, { commands: ['lgetxattrs', 'lxattrlist'] })).name, img).toBe(want);
      } finally {
        await w.shutdown();
      }
    }
  });
});
