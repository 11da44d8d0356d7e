/** FAT (an EFI system partition) through the library, checked with fsck.vfat and mtools. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { scratch, sha256 } from './helpers/fixtures.js';

describe('FAT on the wasm backend', () => {
  let tmp: ReturnType<typeof scratch>;
  let img: string;
  beforeAll(() => {
    tmp = scratch();
    img = join(tmp.dir, 'esp.img');
    execFileSync('mkfs.vfat', ['-C', '-n', 'ESP', img, '16384'], { stdio: 'ignore' });
    mkdirSync(join(tmp.dir, 'EFI', 'debian'), { recursive: true });
    writeFileSync(join(tmp.dir, 'EFI', 'debian', 'grubx64.efi'), 'grub\n');
    execFileSync('mcopy', ['-i', img, '-s', join(tmp.dir, 'EFI'), '::/']);
  });
  afterAll(() => tmp.cleanup());

  it('reads an ESP case-insensitively without writing to it', async () => {
    const before = sha256(img);
    const g = new Guestfs();
    g.addDrive(img, { readonly: true });
    await g.launch();
    expect(await g.listFilesystems()).toEqual({ '/dev/sda': 'vfat' });
    expect(await g.vfsLabel('/dev/sda')).toBe('ESP');
    await g.mountRo('/dev/sda', '/');
    expect(await g.find('/')).toEqual(['EFI', 'EFI/debian', 'EFI/debian/grubx64.efi']);
    expect(await g.cat('/efi/DEBIAN/GRUBX64.EFI')).toBe('grub\n');
    expect((await g.statns('/EFI')).st_mode).toBe(0o40755);
    await g.close();
    expect(sha256(img)).toBe(before);
  });

  it('writes that mtools reads back, with fsck.vfat clean', async () => {
    const g = new Guestfs();
    g.addDrive(img, { format: 'raw' });
    await g.launch();
    await g.mount('/dev/sda', '/');
    await g.mkdirP('/EFI/BOOT');
    await g.write('/EFI/BOOT/BOOTX64.EFI', 'shim\n');
    await g.rm('/EFI/debian/grubx64.efi');
    await expect(g.lnS('/x', '/EFI/link')).rejects.toMatchObject({ code: 'EPERM' });
    await g.close();
    expect(execFileSync('mtype', ['-i', img, '::/EFI/BOOT/BOOTX64.EFI'], { encoding: 'utf8' })).toBe('shim\n');
    execFileSync('fsck.vfat', ['-n', img], { stdio: 'pipe' });
  });
});
