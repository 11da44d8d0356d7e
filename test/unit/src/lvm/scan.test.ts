import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GuestkitError, ImageError } from '../../../../src/errors/index.js';
import { dashUuid, findLv, lvmCrc, lvmLvs, lvmLvsFull, lvmPvs, lvmPvsFull, lvmVgs, lvmVgsFull, lvmLvUuid, lvmPvUuid, lvmVgLvUuids, lvmVgPvUuids, readMdaHeader, readMetadataText, readPvLabel, scanLvm, writeLvm, writeOrphanPv, writeMetadataArea, LvDevice, type LvmScan } from '../../../../src/lvm/index.js';
import { MemoryDevice } from '../../../helpers/mem-device.js';
import { haveCommand } from '../../../helpers/host-tools.js';

const MiB = 1024 * 1024;
const EXT = 4 * MiB;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-lvm-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function pattern(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function expectBytes(got: Uint8Array, want: Uint8Array): void {
  expect(got.length).toBe(want.length);
  const g = Buffer.from(got.buffer, got.byteOffset, got.length);
  const w = Buffer.from(want.buffer, want.byteOffset, want.length);
  if (!g.equals(w)) {
    let i = 0;
    while (g[i] === w[i]) i++;
    expect.fail(`bytes differ at offset ${i} (of ${want.length})`);
  }
}

function lv(scan: LvmScan, name: string) {
  const l = scan.lvs.find((x) => x.name === name);
  if (!l) throw new Error(`no LV ${name}`);
  return l;
}

describe('one PV, one VG, two linear LVs', () => {
  it('finds the PV, VG and LVs and maps them onto the extents', async () => {
    const pv = new MemoryDevice(64 * MiB, '/dev/sda2');
    const w = await writeLvm({
      vgName: 'fedora',
      pvs: [{ dev: pv, deviceHint: '/dev/sda2' }],
      lvs: [
        { name: 'root', size: 20 * MiB },
        { name: 'swap', size: 8 * MiB },
      ],
    });
    const scan = await scanLvm([{ name: '/dev/sda2', dev: pv }]);
    expect(scan.warnings).toEqual([]);
    expect(lvmPvs(scan)).toEqual(['/dev/sda2']);
    expect(lvmVgs(scan)).toEqual(['fedora']);
    expect(lvmLvs(scan)).toEqual(['/dev/fedora/root', '/dev/fedora/swap']);
    expect(lvmPvUuid(scan, '/dev/sda2')).toBe(w.pvUuids[0]);
    expect(lvmVgPvUuids(scan, 'fedora')).toEqual(w.pvUuids);
    expect(lvmVgLvUuids(scan, 'fedora')).toEqual(w.lvs.map((l) => l.uuid));
    expect(lvmLvUuid(scan, '/dev/mapper/fedora-root')).toBe(w.lvs[0]!.uuid);

    const root = lv(scan, 'root');
    const swap = lv(scan, 'swap');
    expect(root.size).toBe(20 * MiB);
    expect(swap.size).toBe(8 * MiB);
    expect(root.dev!.size).toBe(20 * MiB);
    expect(root.path).toBe('/dev/fedora/root');

    // Data goes to pe_start (1 MiB) + extent * 4 MiB.
    const data = pattern(20 * MiB, 1);
    await root.dev!.write(0, data);
    await swap.dev!.write(0, pattern(8 * MiB, 2));
    expectBytes(pv.data.subarray(MiB, MiB + 20 * MiB), data);
    expectBytes(pv.data.subarray(MiB + 5 * EXT, MiB + 7 * EXT), pattern(8 * MiB, 2));
    expectBytes(await root.dev!.read(3 * MiB + 17, 5000), data.subarray(3 * MiB + 17, 3 * MiB + 5017));

    const [f0, f1] = lvmLvsFull(scan);
    expect(f0).toEqual({
      lv_name: 'root',
      lv_uuid: w.lvs[0]!.uuid.replace(/-/g, ''),
      lv_attr: '-wi-a-----',
      lv_major: -1,
      lv_minor: -1,
      lv_kernel_major: 253,
      lv_kernel_minor: 0,
      lv_size: 20 * MiB,
      seg_count: 1,
      origin: '',
      snap_percent: -1,
      copy_percent: -1,
      move_pv: '',
      lv_tags: '',
      mirror_log: '',
      modules: '',
    });
    expect(f0!.lv_uuid).toHaveLength(32);
    expect(f1!.lv_kernel_minor).toBe(1);

    const [vg] = lvmVgsFull(scan);
    expect(vg).toMatchObject({
      vg_name: 'fedora',
      vg_fmt: 'lvm2',
      vg_attr: 'wz--n-',
      vg_size: 15 * EXT,
      vg_free: 8 * EXT,
      vg_extent_size: EXT,
      vg_extent_count: 15,
      vg_free_count: 8,
      pv_count: 1,
      lv_count: 2,
      snap_count: 0,
      vg_seqno: 1,
      vg_mda_count: 1,
    });
    const [p] = lvmPvsFull(scan);
    expect(p).toMatchObject({
      pv_name: '/dev/sda2',
      pv_uuid: w.pvUuids[0]!.replace(/-/g, ''),
      pv_attr: 'a--',
      pv_size: 15 * EXT,
      dev_size: 64 * MiB,
      pv_pe_count: 15,
      pv_pe_alloc_count: 7,
      pv_used: 7 * EXT,
      pv_free: 8 * EXT,
      pe_start: MiB,
      pv_mda_count: 1,
    });
  });

  it.skipIf(!haveCommand('mkfs.ext4') || !haveCommand('debugfs'))('holds ext4 filesystems made with mkfs.ext4 -d', async () => {
    const pvFile = path.join(tmp, 'ext4-pv.img');
    const pv = new MemoryDevice(64 * MiB, '/dev/sda2');
    await writeLvm({ vgName: 'vg0', pvs: [{ dev: pv }], lvs: [{ name: 'a', size: 12 * MiB }, { name: 'b', size: 16 * MiB }] });
    let scan = await scanLvm([{ name: '/dev/sda2', dev: pv }]);
    for (const [name, text] of [
      ['a', 'hello from a\n'],
      ['b', 'hello from b\n'],
    ] as const) {
      const dir = path.join(tmp, `root-${name}`);
      fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'etc', 'hello'), text);
      const img = path.join(tmp, `${name}.ext4`);
      const size = lv(scan, name).size;
      execFileSync('mkfs.ext4', ['-q', '-F', '-d', dir, img, `${size / 1024}k`], { stdio: 'ignore' });
      await lv(scan, name).dev!.write(0, fs.readFileSync(img));
    }
    fs.writeFileSync(pvFile, pv.data);
    // Read the LVs back from a fresh scan of the saved PV and let debugfs look inside.
    scan = await scanLvm([{ name: '/dev/sda2', dev: new MemoryDevice(new Uint8Array(fs.readFileSync(pvFile)), '/dev/sda2', true) }]);
    for (const name of ['a', 'b']) {
      const l = lv(scan, name);
      expect(l.dev!.readOnly).toBe(true);
      const out = path.join(tmp, `${name}.out`);
      fs.writeFileSync(out, await l.dev!.read(0, l.size));
      const cat = execFileSync('debugfs', ['-R', 'cat /etc/hello', out], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
      expect(cat).toBe(`hello from ${name}\n`);
    }
  });
});

describe('a VG over two PVs', () => {
  it('maps an LV that spans both PVs', async () => {
    const a = new MemoryDevice(32 * MiB, '/dev/sda1');
    const b = new MemoryDevice(32 * MiB, '/dev/sdb1');
    // 7 extents per PV; "big" takes 5 on sda1 and 4 on sdb1.
    await writeLvm({
      vgName: 'data',
      pvs: [{ dev: a }, { dev: b }],
      lvs: [
        { name: 'small', extents: 2 },
        { name: 'big', extents: 9 },
      ],
    });
    // Scan order does not matter.
    const scan = await scanLvm([
      { name: '/dev/sdb1', dev: b },
      { name: '/dev/sda1', dev: a },
    ]);
    expect(scan.warnings).toEqual([]);
    expect(lvmPvs(scan)).toEqual(['/dev/sda1', '/dev/sdb1']);
    const big = lv(scan, 'big');
    expect(big.segCount).toBe(2);
    expect(big.size).toBe(9 * EXT);
    const data = pattern(9 * EXT, 3);
    await big.dev!.write(0, data);
    expectBytes(a.data.subarray(MiB + 2 * EXT, MiB + 7 * EXT), data.subarray(0, 5 * EXT));
    expectBytes(b.data.subarray(MiB, MiB + 4 * EXT), data.subarray(5 * EXT));
    // A read across the segment boundary.
    expectBytes(await big.dev!.read(5 * EXT - 100, 300), data.subarray(5 * EXT - 100, 5 * EXT + 200));
    expect(lvmLvsFull(scan).find((l) => l.lv_name === 'big')!.seg_count).toBe(2);
    expect(lvmVgsFull(scan)[0]).toMatchObject({ pv_count: 2, vg_extent_count: 14, vg_free_count: 3, vg_mda_count: 2 });
  });

  it('maps a striped LV (2 stripes, 64 KiB chunks) round-robin', async () => {
    const a = new MemoryDevice(32 * MiB, '/dev/sda');
    const b = new MemoryDevice(32 * MiB, '/dev/sdb');
    await writeLvm({
      vgName: 'vg',
      pvs: [{ dev: a }, { dev: b }],
      lvs: [
        { name: 'lin', extents: 1 },
        { name: 'str', extents: 4, stripes: 2, stripeSize: 64 * 1024 },
      ],
    });
    const scan = await scanLvm([
      { name: '/dev/sda', dev: a },
      { name: '/dev/sdb', dev: b },
    ]);
    const str = lv(scan, 'str');
    expect(str.segType).toBe('striped');
    expect(str.size).toBe(4 * EXT);
    const data = pattern(4 * EXT, 4);
    await str.dev!.write(0, data);
    const chunk = 64 * 1024;
    // stripe 0 is on sda at extent 1 (after "lin"), stripe 1 on sdb at extent 0.
    const base = [MiB + EXT, MiB];
    for (let c = 0; c < (4 * EXT) / chunk; c++) {
      const disk = c % 2 === 0 ? a : b;
      const at = base[c % 2]! + Math.floor(c / 2) * chunk;
      expectBytes(disk.data.subarray(at, at + chunk), data.subarray(c * chunk, (c + 1) * chunk));
    }
    // Unaligned reads crossing chunk boundaries.
    for (const [off, len] of [
      [chunk - 1, 2],
      [3 * chunk + 5, 5 * chunk],
      [4 * EXT - 77, 77],
    ] as const) {
      expectBytes(await str.dev!.read(off, len), data.subarray(off, off + len));
    }
    // Extents come back in LV order.
    const ext = await str.dev!.extents(0, str.size);
    expect(ext).toEqual([{ offset: 0, length: 4 * EXT, zero: false, hole: false }]);
  });
});

describe('metadata selection and damage', () => {
  it('refuses a bad metadata checksum with one clear line', async () => {
    const pv = new MemoryDevice(16 * MiB, '/dev/vda2');
    await writeLvm({ vgName: 'vg', pvs: [{ dev: pv }], lvs: [{ name: 'lv', extents: 1 }] });
    pv.data[4096 + 512 + 10]! ^= 0x20; // flip a bit in the text
    const label = (await readPvLabel(pv))!;
    const hdr = await readMdaHeader(pv, label.metadataAreas[0]!);
    const err = await readMetadataText(pv, hdr).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect((err as Error).message).toBe('/dev/vda2: LVM metadata checksum mismatch');

    const scan = await scanLvm([{ name: '/dev/vda2', dev: pv }]);
    expect(scan.warnings).toEqual(['/dev/vda2: LVM metadata checksum mismatch']);
    expect(scan.errors[0]!.code).toBe('EIMAGE');
    expect(scan.vgs).toEqual([]);
    expect(lvmPvs(scan)).toEqual(['/dev/vda2']); // still a PV, in no VG
    expect(lvmPvsFull(scan)[0]!.pv_attr).toBe('---');
    await expect(scanLvm([{ name: '/dev/vda2', dev: pv }], { strict: true })).rejects.toThrow(
      /^\/dev\/vda2: LVM metadata checksum mismatch$/,
    );
  });

  it('uses another copy when one PV has bad metadata', async () => {
    const a = new MemoryDevice(16 * MiB, '/dev/sda');
    const b = new MemoryDevice(16 * MiB, '/dev/sdb');
    await writeLvm({ vgName: 'vg', pvs: [{ dev: a }, { dev: b }], lvs: [{ name: 'lv', extents: 5 }] });
    a.data[4096 + 600]! ^= 1;
    const scan = await scanLvm([
      { name: '/dev/sda', dev: a },
      { name: '/dev/sdb', dev: b },
    ]);
    expect(scan.warnings).toEqual(['/dev/sda: LVM metadata checksum mismatch']);
    expect(lvmLvs(scan)).toEqual(['/dev/vg/lv']);
    expect(lv(scan, 'lv').dev).toBeDefined();
  });

  it('picks the newest metadata (highest seqno) across PVs', async () => {
    const a = new MemoryDevice(16 * MiB, '/dev/sda');
    const b = new MemoryDevice(16 * MiB, '/dev/sdb');
    const ids = { vgUuid: dashUuid('V'.repeat(32)) };
    const pvs = [
      { dev: a, uuid: 'A'.repeat(32) },
      { dev: b, uuid: 'B'.repeat(32) },
    ];
    await writeLvm({ ...ids, vgName: 'vg', seqno: 1, pvs, lvs: [{ name: 'one', extents: 1 }] });
    // A later change written only to sdb (as if sda's copy were stale).
    await writeLvm({ ...ids, vgName: 'vg', seqno: 2, pvs, lvs: [{ name: 'one', extents: 1 }, { name: 'two', extents: 1 }], only: [1] });
    for (const order of [
      [a, b],
      [b, a],
    ]) {
      const scan = await scanLvm(order.map((dev) => ({ name: dev.name, dev })));
      expect(scan.vgs[0]!.seqno).toBe(2);
      expect(scan.vgs[0]!.metadataFrom).toBe('/dev/sdb');
      expect(lvmLvs(scan)).toEqual(['/dev/vg/one', '/dev/vg/two']);
      expect(scan.warnings).toEqual(['VG vg: metadata on /dev/sda is older (seqno 1) than on /dev/sdb (seqno 2): using the newest']);
    }
  });

  it('reads metadata that wraps around the circular buffer', async () => {
    const pv = new MemoryDevice(16 * MiB, '/dev/sda');
    const areaSize = MiB - 4096;
    const w = await writeLvm({
      vgName: 'wrapvg',
      pvs: [{ dev: pv }],
      lvs: [{ name: 'a', extents: 1 }, { name: 'b', extents: 1 }],
      metadataOffset: areaSize - 300,
    });
    const label = (await readPvLabel(pv))!;
    const hdr = await readMdaHeader(pv, label.metadataAreas[0]!);
    expect(hdr.rawLocations[0]!.offset + hdr.rawLocations[0]!.size).toBeGreaterThan(areaSize);
    const md = (await readMetadataText(pv, hdr))!;
    expect(md.wrapped).toBe(true);
    expect(md.text).toBe(w.text + '\0');
    const scan = await scanLvm([{ name: '/dev/sda', dev: pv }]);
    expect(scan.warnings).toEqual([]);
    expect(lvmLvs(scan)).toEqual(['/dev/wrapvg/a', '/dev/wrapvg/b']);
  });

  it('marks a VG with a missing PV partial and leaves out the LVs that need it', async () => {
    const a = new MemoryDevice(32 * MiB, '/dev/sda');
    const b = new MemoryDevice(32 * MiB, '/dev/sdb');
    const w = await writeLvm({
      vgName: 'vg',
      pvs: [
        { dev: a, deviceHint: '/dev/sda' },
        { dev: b, deviceHint: '/dev/sdb' },
      ],
      lvs: [
        { name: 'here', extents: 3, pvs: [0] },
        { name: 'there', extents: 2, pvs: [1] },
        { name: 'both', extents: 8 },
      ],
    });
    const scan = await scanLvm([{ name: '/dev/sda', dev: a }]);
    const vg = scan.vgs[0]!;
    expect(vg.partial).toBe(true);
    expect(vg.missingPvs).toEqual([w.pvUuids[1]]);
    expect(lv(scan, 'here').dev).toBeDefined();
    expect(lv(scan, 'there').partial).toBe(true);
    expect(lv(scan, 'there').dev).toBeUndefined();
    expect(lv(scan, 'both').dev).toBeUndefined();
    expect(scan.warnings).toEqual([
      `VG vg: PV ${w.pvUuids[1]} (last seen as /dev/sdb) is missing`,
      `LV vg/there: left out: it needs the missing PV ${w.pvUuids[1]}`,
      `LV vg/both: left out: it needs the missing PV ${w.pvUuids[1]}`,
    ]);
    expect(lvmLvs(scan, { mappableOnly: true })).toEqual(['/dev/vg/here']);
    expect(lvmLvs(scan)).toEqual(['/dev/vg/both', '/dev/vg/here', '/dev/vg/there']);
    const full = lvmLvsFull(scan);
    expect(full.map((l) => [l.lv_name, l.lv_attr])).toEqual([
      ['both', '-wi-----p-'],
      ['here', '-wi-a-----'],
      ['there', '-wi-----p-'],
    ]);
    expect(lvmVgsFull(scan)[0]!.vg_attr).toBe('wz-pn-');
  });

  it('ignores devices without a label and reports damaged labels', async () => {
    const none = new MemoryDevice(8 * MiB, '/dev/sdz');
    const tiny = new MemoryDevice(100, '/dev/tiny');
    const garbage = new MemoryDevice(pattern(2 * MiB, 9), '/dev/garbage');
    const good = new MemoryDevice(16 * MiB, '/dev/good');
    await writeLvm({ vgName: 'vg', pvs: [{ dev: good }], lvs: [{ name: 'lv', extents: 1 }] });
    const copy = async (name: string): Promise<MemoryDevice> => {
      const d = new MemoryDevice(16 * MiB, name);
      await writeLvm({ vgName: name.slice(5), pvs: [{ dev: d }], lvs: [{ name: 'lv', extents: 1 }] });
      return d;
    };

    const badCrc = await copy('/dev/badcrc');
    badCrc.data[512 + 40]! ^= 1; // inside the PV UUID
    const badOffset = await copy('/dev/badoffset');
    new DataView(badOffset.data.buffer).setUint32(512 + 20, 500, true);
    new DataView(badOffset.data.buffer).setUint32(512 + 16, lvmCrc(badOffset.data.subarray(512 + 20, 1024)), true);
    const truncated = new MemoryDevice((await copy('/dev/truncated')).data.slice(0, 8192), '/dev/truncated');
    const badMagic = await copy('/dev/badmagic');
    badMagic.data[4096 + 5] = 0x58;
    const badHdrCrc = await copy('/dev/badhdrcrc');
    badHdrCrc.data[4096 + 100] = 1;
    const badLocation = await copy('/dev/badlocation');
    new DataView(badLocation.data.buffer).setBigUint64(4096 + 48, 10n ** 12n, true);
    new DataView(badLocation.data.buffer).setUint32(4096, lvmCrc(badLocation.data.subarray(4096 + 4, 4096 + 512)), true);

    const scan = await scanLvm(
      [none, tiny, garbage, badCrc, badOffset, truncated, badMagic, badHdrCrc, badLocation, good].map((dev) => ({ name: dev.name, dev })),
    );
    expect(scan.warnings).toEqual([
      '/dev/badcrc: LVM label checksum mismatch in sector 1',
      '/dev/badoffset: LVM label has a bad PV header offset 500',
      '/dev/truncated: LVM metadata area [4096, +1044480) does not fit the device (size 8192)',
      '/dev/badmagic: LVM metadata area at offset 4096 has a bad magic number',
      '/dev/badhdrcrc: LVM metadata area header checksum mismatch at offset 4096',
      '/dev/badlocation: LVM metadata location (offset 512, size 1000000000000) is outside its metadata area (size 1044480)',
    ]);
    for (const e of scan.errors) expect(e).toBeInstanceOf(GuestkitError);
    expect(lvmPvs(scan)).toEqual(['/dev/badhdrcrc', '/dev/badlocation', '/dev/badmagic', '/dev/good', '/dev/truncated']);
    expect(lvmVgs(scan)).toEqual(['vg']);
    expect(lvmLvs(scan)).toEqual(['/dev/vg/lv']);
  });

  it('uses one copy of a PV seen twice, preferring a whole one', async () => {
    const good = new MemoryDevice(16 * MiB, '/dev/sdb');
    await writeLvm({ vgName: 'vg', pvs: [{ dev: good }], lvs: [{ name: 'lv', extents: 1 }] });
    const cut = new MemoryDevice(good.data.slice(0, 2 * MiB), '/dev/sda');
    const scan = await scanLvm([
      { name: '/dev/sda', dev: cut },
      { name: '/dev/sdb', dev: good },
    ]);
    expect(lvmPvs(scan)).toEqual(['/dev/sdb']);
    expect(lv(scan, 'lv').dev).toBeDefined();
    expect(scan.warnings).toEqual([`/dev/sda: PV ${scan.pvs[0]!.uuid} is also on /dev/sdb: ignoring the copy on /dev/sda`]);
  });

  it('finds a label in sector 0 and skips metadata areas marked ignored', async () => {
    const a = new MemoryDevice(16 * MiB, '/dev/sda');
    const b = new MemoryDevice(16 * MiB, '/dev/sdb');
    const w = await writeLvm({ vgName: 'vg', pvs: [{ dev: a }, { dev: b }], lvs: [{ name: 'lv', extents: 5 }] });
    // Move sda's label to sector 0.
    a.data.copyWithin(0, 512, 1024);
    a.data.fill(0, 512, 1024);
    new DataView(a.data.buffer).setBigUint64(8, 0n, true);
    new DataView(a.data.buffer).setUint32(16, lvmCrc(a.data.subarray(20, 512)), true);
    expect((await readPvLabel(a))!.sector).toBe(0);
    // sdb: its metadata area is "ignored" (pvchange --metadataignore y) and holds junk.
    await writeMetadataArea(b, w.pvLayout[1]!.mda!, 'not { metadata', { ignored: true });
    const scan = await scanLvm([
      { name: '/dev/sda', dev: a },
      { name: '/dev/sdb', dev: b },
    ]);
    expect(scan.warnings).toEqual([]);
    expect(lvmPvs(scan)).toEqual(['/dev/sda', '/dev/sdb']);
    expect(lv(scan, 'lv').dev).toBeDefined();
  });

  it('reports an orphan PV (pvcreate only)', async () => {
    const pv = new MemoryDevice(8 * MiB, '/dev/sdc');
    await writeOrphanPv(pv);
    const scan = await scanLvm([{ name: '/dev/sdc', dev: pv }]);
    expect(scan.warnings).toEqual([]);
    expect(lvmPvs(scan)).toEqual(['/dev/sdc']);
    expect(lvmVgs(scan)).toEqual([]);
    expect(lvmPvsFull(scan)[0]).toMatchObject({ pv_attr: '---', pv_size: 8 * MiB, pv_pe_count: 0, pe_start: MiB, pv_mda_free: 521216 });
  });

  it('keeps the first of two VGs with the same name', async () => {
    const a = new MemoryDevice(16 * MiB, '/dev/sda');
    const b = new MemoryDevice(16 * MiB, '/dev/sdb');
    await writeLvm({ vgName: 'vg', pvs: [{ dev: a }], lvs: [{ name: 'x', extents: 1 }] });
    await writeLvm({ vgName: 'vg', pvs: [{ dev: b }], lvs: [{ name: 'y', extents: 1 }] });
    const scan = await scanLvm([
      { name: '/dev/sda', dev: a },
      { name: '/dev/sdb', dev: b },
    ]);
    expect(lvmLvs(scan)).toEqual(['/dev/vg/x']);
    expect(scan.warnings).toHaveLength(1);
    expect(scan.warnings[0]).toMatch(/^VG vg: two volume groups have this name .*ignoring the one on \/dev\/sdb$/);
  });
});

describe('LV kinds and permissions', () => {
  it('lists thin pools, thin LVs, snapshots and raid without mapping them', async () => {
    const pv = new MemoryDevice(64 * MiB, '/dev/sda');
    const seg = (n: number, extra: Record<string, unknown>) => ({ start_extent: 0, extent_count: n, ...extra });
    await writeLvm({
      vgName: 'vg',
      pvs: [{ dev: pv }],
      lvs: [
        { name: 'origin', extents: 2 },
        { name: 'snap', extents: 1 }, // the COW store of the snapshot
        { name: 'snapshot0', hidden: true, rawSegments: [seg(2, { type: 'snapshot', chunk_size: 8, origin: 'origin', cow_store: 'snap' })] },
        { name: 'pool_tmeta', hidden: true, extents: 1 },
        { name: 'pool_tdata', hidden: true, extents: 2 },
        {
          name: 'pool',
          rawSegments: [
            seg(2, { type: 'thin-pool', metadata: 'pool_tmeta', pool: 'pool_tdata', transaction_id: 1, chunk_size: 128, discards: 'passdown', zero_new_blocks: 1 }),
          ],
        },
        { name: 'thin', rawSegments: [seg(5, { type: 'thin', thin_pool: 'pool', transaction_id: 0, device_id: 1 })] },
        { name: 'mirror', rawSegments: [seg(1, { type: 'raid1', device_count: 2, stripe_count: 0, region_size: 1024, raids: ['mirror_rmeta_0', 'mirror_rimage_0'] })] },
        { name: 'plain', extents: 1 },
      ],
    });
    const scan = await scanLvm([{ name: '/dev/sda', dev: pv }]);
    expect(lvmLvs(scan)).toEqual(['/dev/vg/mirror', '/dev/vg/origin', '/dev/vg/plain', '/dev/vg/snap', '/dev/vg/thin']);
    expect(lvmLvs(scan, { mappableOnly: true })).toEqual(['/dev/vg/origin', '/dev/vg/plain']);
    expect(lv(scan, 'snap').unsupported).toBe('snapshot');
    expect(lv(scan, 'snap').origin).toBe('origin');
    expect(lv(scan, 'thin').unsupported).toBe('thin');
    expect(lv(scan, 'pool').unsupported).toBe('thin-pool');
    expect(lv(scan, 'pool').public).toBe(false);
    expect(lv(scan, 'mirror').unsupported).toBe('raid1');
    expect(scan.warnings).toEqual([
      'LV vg/snap: snapshot LVs are not supported: left out',
      'LV vg/pool: thin-pool LVs are not supported: left out',
      'LV vg/thin: thin LVs are not supported: left out',
      'LV vg/mirror: raid1 LVs are not supported: left out',
    ]);
    const attrs = Object.fromEntries(lvmLvsFull(scan).map((l) => [l.lv_name, [l.lv_attr, l.origin, l.modules]]));
    expect(attrs).toEqual({
      mirror: ['rwi---r---', '', 'raid'],
      origin: ['owi-a-s---', '', 'snapshot'],
      plain: ['-wi-a-----', '', ''],
      pool: ['twi---tz--', '', 'thin-pool'],
      snap: ['swi---s---', 'origin', 'snapshot'],
      thin: ['Vwi---t---', '', 'thin-pool'],
    });
    expect(lvmVgsFull(scan)[0]).toMatchObject({ lv_count: 6, snap_count: 1 });
  });

  it('makes read-only LVs and LVs on read-only PVs read-only', async () => {
    const pv = new MemoryDevice(16 * MiB, '/dev/sda');
    await writeLvm({ vgName: 'vg', pvs: [{ dev: pv }], lvs: [{ name: 'ro', extents: 1, readOnly: true }, { name: 'rw', extents: 1 }] });
    let scan = await scanLvm([{ name: '/dev/sda', dev: pv }]);
    expect(lv(scan, 'ro').dev!.readOnly).toBe(true);
    expect(lv(scan, 'rw').dev!.readOnly).toBe(false);
    await expect(lv(scan, 'ro').dev!.write(0, new Uint8Array(1))).rejects.toMatchObject({ code: 'EROFS' });
    expect(lvmLvsFull(scan).map((l) => l.lv_attr)).toEqual(['-ri-a-----', '-wi-a-----']);
    scan = await scanLvm([{ name: '/dev/sda', dev: new MemoryDevice(pv.data, '/dev/sda', true) }]);
    expect(lv(scan, 'rw').dev!.readOnly).toBe(true);
  });

  it('reads past the end of an LV fail with a one-line error naming the LV', async () => {
    const pv = new MemoryDevice(16 * MiB, '/dev/sda');
    await writeLvm({ vgName: 'vg', pvs: [{ dev: pv }], lvs: [{ name: 'lv', extents: 1 }] });
    const scan = await scanLvm([{ name: '/dev/sda', dev: pv }]);
    const err = await lv(scan, 'lv').dev!.read(EXT - 10, 20).catch((e: unknown) => e);
    expect((err as GuestkitError).code).toBe('EINVAL');
    expect((err as Error).message).toMatch(/^\/dev\/vg\/lv: read of 20 bytes at offset 4194294 is beyond the end/);
    expect(findLv(scan, '/dev/vg/lv')?.name).toBe('lv');
  });

  it('LvDevice: zero and error segments, zero(), extents()', async () => {
    const pv = new MemoryDevice(pattern(1 * MiB, 5), '/dev/x');
    const dev = new LvDevice('/dev/t/t', [
      { start: 0, length: 4096, kind: 'striped', stripeSize: 4096, areas: [{ dev: pv, offset: 8192 }] },
      { start: 4096, length: 4096, kind: 'zero', stripeSize: 0, areas: [] },
      { start: 8192, length: 4096, kind: 'error', stripeSize: 0, areas: [] },
    ]);
    expect(dev.size).toBe(12288);
    const r = await dev.read(4000, 200);
    expectBytes(r.subarray(0, 96), pv.data.subarray(8192 + 4000, 8192 + 4096));
    expectBytes(r.subarray(96), new Uint8Array(104));
    await expect(dev.read(8000, 500)).rejects.toMatchObject({ code: 'EIO' });
    await dev.zero(100, 100);
    expectBytes(pv.data.subarray(8292, 8392), new Uint8Array(100));
    expect(await dev.extents(0, 12288)).toEqual([
      { offset: 0, length: 4096, zero: false, hole: false },
      { offset: 4096, length: 4096, zero: true, hole: true },
      { offset: 8192, length: 4096, zero: false, hole: false },
    ]);
  });
});
