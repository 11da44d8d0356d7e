/**
 * LVM writes, block devices and the appliance's own commands on one appliance
 * boot, asserting what libguestfs 1.48's guestfish printed for the same script
 * (/dev/sda: 100 MiB GPT with two 40 MiB partitions, /dev/sdb: 10 MiB). The LVM
 * result is then read back by the wasm backend's own metadata reader.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { haveQemu } from './helpers/backends.js';
import { scratch } from './helpers/fixtures.js';

const MiB = 1024 * 1024;

describe.skipIf(!haveQemu)('LVM writes and block devices on the appliance', () => {
  let tmp: ReturnType<typeof scratch>;
  let a: string;
  let b: string;
  beforeAll(() => {
    tmp = scratch();
    a = join(tmp.dir, 'a.img');
    b = join(tmp.dir, 'b.img');
    execFileSync('truncate', ['-s', '100M', a]);
    execFileSync('sfdisk', ['-q', a], { input: 'label: gpt\nstart=2048, size=81920\nstart=83968, size=81920\n' });
    execFileSync('truncate', ['-s', '10M', b]);
  });
  afterAll(() => tmp.cleanup());

  it('one boot: appliance info, blockdev-*, raw writes, then PVs, a VG and LVs made, changed and removed', async () => {
    const g = new Guestfs({ backend: 'appliance' });
    g.addDrive(a);
    g.addDrive(b);
    await g.launch();
    try {
      // The appliance itself.
      expect(await g.getPid()).toBeGreaterThan(1);
      expect((await g.utsname()).uts_sysname).toBe('Linux');
      expect(await g.dmesg()).toContain('Linux version');
      await g.pingDaemon();
      await g.dropCaches(3);
      await expect(g.dropCaches(7)).rejects.toMatchObject({ code: 'EINVAL' });
      expect(await g.featureAvailable(['lvm2'])).toBe(true);
      await expect(g.modprobe('no_such_module')).rejects.toMatchObject({ code: 'ENOENT' });

      // Block devices: guestfish's answers for the same drives.
      expect(await g.nrDevices()).toBe(2);
      expect(await g.deviceIndex('/dev/sdb')).toBe(1);
      expect(await g.blockdevGetss('/dev/sda')).toBe(512);
      expect(await g.blockdevGetbsz('/dev/sda')).toBe(4096);
      expect(await g.blockdevGetsz('/dev/sda')).toBe(204800);
      expect(await g.blockdevGetro('/dev/sda')).toBe(false);
      await g.blockdevSetro('/dev/sdb');
      expect(await g.blockdevGetro('/dev/sdb')).toBe(true);
      await expect(g.pwriteDevice('/dev/sdb', 'x', 0)).rejects.toThrow();
      await g.blockdevSetrw('/dev/sdb');
      expect(await g.isWholeDevice('/dev/sda')).toBe(true);
      expect(await g.isWholeDevice('/dev/sda1')).toBe(false);
      expect(await g.isZeroDevice('/dev/sdb')).toBe(true);
      expect(await g.pwriteDevice('/dev/sdb', 'hello', 10 * MiB - 2)).toBe(2);
      expect(await g.isZeroDevice('/dev/sdb')).toBe(false);
      await g.zeroDevice('/dev/sdb');
      expect(await g.isZeroDevice('/dev/sdb')).toBe(true);
      await expect(g.blockdevGetss('/dev/sdz')).rejects.toMatchObject({ code: 'ENOENT', message: '/dev/sdz: No such file or directory' });

      // LVM, as in guestfish's run.
      await g.pvcreate('/dev/sda1');
      await g.pvcreate('/dev/sda2');
      await g.vgcreate('VG', ['/dev/sda1', '/dev/sda2']);
      await g.lvcreate('LV1', 'VG', 8);
      await g.lvcreateFree('LV2', 'VG', 50);
      expect(await g.lvs()).toEqual(['/dev/VG/LV1', '/dev/VG/LV2']);
      expect((await g.lvsFull()).map((l) => l.lv_size)).toEqual([8 * MiB, 32 * MiB]);
      expect(await g.lvmCanonicalLvName('/dev/mapper/VG-LV1')).toBe('/dev/VG/LV1');
      expect(await g.lvmCanonicalLvName('/dev/VG/LV2')).toBe('/dev/VG/LV2');
      await expect(g.lvmCanonicalLvName('/dev/sda1')).rejects.toMatchObject({ code: 'EINVAL', message: '/dev/sda1: not a logical volume' });
      expect(await g.isLv('/dev/VG/LV1')).toBe(true);
      expect(await g.isLv('/dev/sda1')).toBe(false);
      expect(await g.listDmDevices()).toEqual([]);
      const dashed = /^[A-Za-z0-9]{6}(-[A-Za-z0-9]{4}){5}-[A-Za-z0-9]{6}$/;
      const pvUuids = await g.vgpvuuids('VG');
      expect(pvUuids).toHaveLength(2);
      expect(pvUuids[0]).toMatch(dashed);
      expect(await g.pvuuid('/dev/sda1')).toBe(pvUuids[0]);
      const full = await g.pvsFull();
      expect(full.map((p) => p.pv_uuid)).toEqual(pvUuids.map((u) => u.replace(/-/g, '')));
      expect((await g.vglvuuids('VG')).map((u) => u.replace(/-/g, ''))).toEqual((await g.lvsFull()).map((l) => l.lv_uuid));
      expect((await g.vguuid('VG')).replace(/-/g, '')).toBe((await g.vgsFull())[0]!.vg_uuid);
      expect(Buffer.from(await g.vgmeta('VG')).toString()).toMatch(/^VG \{\n/m);
      await expect(g.lvcreateFree('X', 'VG', 101)).rejects.toMatchObject({ code: 'EINVAL', message: 'percentage must be [0..100] (was 101)' });

      await g.lvresize('/dev/VG/LV1', 12);
      await g.lvresizeFree('/dev/VG/LV1', 10);
      await g.lvrename('/dev/VG/LV1', '/dev/VG/LVx');
      expect(await g.lvs()).toEqual(['/dev/VG/LV2', '/dev/VG/LVx']);
      await g.vgrename('VG', 'VG2');
      expect(await g.vgs()).toEqual(['VG2']);
      await g.vgActivate(false, ['VG2']);
      expect(await g.lvs()).toEqual(['/dev/VG2/LV2', '/dev/VG2/LVx']);
      await g.vgActivateAll(true);
      await g.lvremove('/dev/VG2/LVx');
      expect(await g.lvs()).toEqual(['/dev/VG2/LV2']);
      await expect(g.vgcreate('VG3', ['/dev/sda1'])).rejects.toThrow(/already in volume group/);
      await expect(g.vgremove('nosuch')).rejects.toThrow(/Volume group "nosuch" not found/);
      const before = await g.vguuid('VG2');
      // A new UUID needs the VG inactive (lvm refuses otherwise, as it does under libguestfs).
      await expect(g.vgchangeUuid('VG2')).rejects.toThrow(/active logical volumes/);
      await g.vgActivate(false, ['VG2']);
      await g.vgchangeUuid('VG2');
      await g.vgActivate(true, ['VG2']);
      expect(await g.vguuid('VG2')).not.toBe(before);
    } finally {
      await g.close();
    }

    // What the appliance's lvm wrote, read by guestkit's own LVM reader.
    const w = new Guestfs({ backend: 'wasm' });
    w.addDrive(a, { readonly: true });
    await w.launch();
    expect(await w.pvs()).toEqual(['/dev/sda1', '/dev/sda2']);
    expect(await w.vgs()).toEqual(['VG2']);
    expect(await w.lvs()).toEqual(['/dev/VG2/LV2']);
    expect(await w.isLv('/dev/mapper/VG2-LV2')).toBe(true);
    expect(await w.lvmCanonicalLvName('/dev/mapper/VG2-LV2')).toBe('/dev/VG2/LV2');
    expect(await w.vgpvuuids('VG2')).toHaveLength(2);
    expect(await w.pvuuid('/dev/sda2')).toBe((await w.vgpvuuids('VG2'))[1]);
    await w.close();

    // lvm-remove-all leaves no LVM at all.
    const g2 = new Guestfs({ backend: 'appliance' });
    g2.addDrive(a);
    await g2.launch();
    try {
      await g2.lvmRemoveAll();
      expect(await g2.pvs()).toEqual([]);
      expect(await g2.vgs()).toEqual([]);
      expect(await g2.lvs()).toEqual([]);
    } finally {
      await g2.close();
    }
  }, 600_000);
});
