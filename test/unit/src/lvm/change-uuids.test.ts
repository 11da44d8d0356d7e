/**
 * pvchange -u -a / vgchange -u in TypeScript: a VG over two PVs (one with its
 * metadata wrapping round the end of the circular area) gets new PV and VG
 * UUIDs; a fresh scan finds the same LVs on the same extents, every metadata
 * copy holds the new ids and seqno + 1 (checksums checked by the reader),
 * the old text is left where it was, and an orphan PV gets a new label UUID;
 * one PV or one VG can be chosen by name.
 */
import { describe, expect, it } from 'vitest';
import { changeLvmUuids } from '../../../../src/lvm/change-uuids.js';
import { readMdaHeader, readMetadataText, readPvLabel, scanLvm, writeLvm, writeOrphanPv } from '../../../../src/lvm/index.js';
import { MemoryDevice } from '../../../helpers/mem-device.js';

const MiB = 1024 * 1024;

async function twoPvVg() {
  const a = new MemoryDevice(24 * MiB, '/dev/sda2');
  const b = new MemoryDevice(24 * MiB, '/dev/sdb1');
  const written = await writeLvm({
    vgName: 'fedora',
    seqno: 7,
    pvs: [{ dev: a, deviceHint: '/dev/sda2', metadataSize: 64 * 1024 }, { dev: b, deviceHint: '/dev/sdb1' }],
    lvs: [{ name: 'root', size: 28 * MiB }, { name: 'swap', size: 8 * MiB }],
  });
  // Put the committed copy on the first PV near the end of its 64 KiB area: the next one wraps.
  const hdr = await readMdaHeader(a, written.pvLayout[0]!.mda!);
  const { writeMetadataArea } = await import('../../../../src/lvm/pv-writer.js');
  await writeMetadataArea(a, hdr.area, written.text, { offset: hdr.area.size - 512 });
  const root = (await scanLvm([{ name: '/dev/sda2', dev: a }, { name: '/dev/sdb1', dev: b }])).lvs.find((l) => l.name === 'root')!;
  await root.dev!.write(20 * MiB, new Uint8Array(4096).fill(0x5a)); // spans the PVs: must read back the same
  return { a, b, written };
}

const scanOf = (a: MemoryDevice, b: MemoryDevice) => scanLvm([{ name: '/dev/sda2', dev: a }, { name: '/dev/sdb1', dev: b }]);

describe('changeLvmUuids', () => {
  it('new PV and VG UUIDs in the labels and in every metadata copy, seqno + 1 each time, LVs unchanged', async () => {
    const { a, b, written } = await twoPvVg();
    const before = await scanOf(a, b);
    await changeLvmUuids(before, { pvs: true, vgs: false });
    const mid = await scanOf(a, b);
    expect(mid.warnings).toEqual([]);
    expect(mid.vgs[0]!.seqno).toBe(8);
    expect(mid.vgs[0]!.uuid).toBe(written.vgUuid);
    expect(mid.pvs.map((p) => p.uuid)).not.toContain(written.pvUuids[0]);
    expect(mid.pvs.map((p) => p.uuid)).not.toContain(written.pvUuids[1]);
    await changeLvmUuids(mid, { pvs: false, vgs: true });
    const after = await scanOf(a, b);
    expect(after.warnings).toEqual([]);
    const vg = after.vgs[0]!;
    expect(vg.seqno).toBe(9);
    expect(vg.uuid).not.toBe(written.vgUuid);
    expect(vg.uuid).toMatch(/^[0-9A-Za-z]{6}(-[0-9A-Za-z]{4}){5}-[0-9A-Za-z]{6}$/);
    expect(after.pvs.map((p) => p.uuid)).toEqual(mid.pvs.map((p) => p.uuid));
    expect(vg.pvs).toHaveLength(2);
    expect(after.lvs.map((l) => [l.name, l.uuid, l.size])).toEqual(before.lvs.map((l) => [l.name, l.uuid, l.size]));
    const root = after.lvs.find((l) => l.name === 'root')!;
    expect([...(await root.dev!.read(20 * MiB, 4096))].every((x) => x === 0x5a)).toBe(true);
    // Both PVs' areas hold the same committed text: the new ids, the PVs' own labels agreeing.
    for (const pv of vg.pvs) {
      const md = (await readMetadataText(pv.dev, await readMdaHeader(pv.dev, pv.label.metadataAreas[0]!)))!;
      expect(md.text).toContain(`id = "${vg.uuid}"`);
      for (const p of vg.pvs) expect(md.text).toContain(`id = "${p.uuid}"`);
      expect(md.text).toMatch(/\bseqno = 9\b/);
      expect(md.text).not.toContain(written.vgUuid);
      expect((await readPvLabel(pv.dev))!.uuid).toBe(pv.uuid.replace(/-/g, ''));
    }
    // The first PV's copy wrapped round its 64 KiB area: written after the old one, not over it.
    const wrapped = (await readMetadataText(a, await readMdaHeader(a, vg.pvs[0]!.label.metadataAreas[0]!)))!;
    expect(wrapped.location.offset).toBeLessThan(64 * 1024 - 512);
  });

  it('one PV or one VG by name (pvchange -u DEVICE, vgchange -u VG): the others keep theirs', async () => {
    const { a, b, written } = await twoPvVg();
    await changeLvmUuids(await scanOf(a, b), { pvs: ['/dev/sdb1'], vgs: ['other'] });
    const one = await scanOf(a, b);
    expect(one.warnings).toEqual([]);
    expect(one.vgs[0]!.seqno).toBe(8);
    expect(one.vgs[0]!.uuid).toBe(written.vgUuid);
    expect(one.pvs.find((p) => p.device === '/dev/sda2')!.uuid).toBe(written.pvUuids[0]);
    expect(one.pvs.find((p) => p.device === '/dev/sdb1')!.uuid).not.toBe(written.pvUuids[1]);
    await changeLvmUuids(one, { pvs: false, vgs: ['fedora'] });
    const two = await scanOf(a, b);
    expect(two.vgs[0]!.seqno).toBe(9);
    expect(two.vgs[0]!.uuid).not.toBe(written.vgUuid);
    expect(two.pvs.map((p) => p.uuid)).toEqual(one.pvs.map((p) => p.uuid));
  });

  it('an orphan PV gets a new label UUID', async () => {
    const d = new MemoryDevice(8 * MiB, '/dev/sdc');
    const old = await writeOrphanPv(d);
    const scan = await scanLvm([{ name: '/dev/sdc', dev: d }]);
    await changeLvmUuids(scan, { pvs: true, vgs: true });
    const again = await scanLvm([{ name: '/dev/sdc', dev: d }]);
    expect(again.pvs).toHaveLength(1);
    expect(again.pvs[0]!.uuid).not.toBe(old);
    expect(again.warnings).toEqual([]);
  });
});
