/**
 * MountedDevices: decoding both forms, and resolving them to partitions through
 * the command table — on a fake table for the corner cases, and on the real
 * mbr.img and gpt.img fixtures (wasm backend).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REG_BINARY, REG_SZ, encodeValueData } from '../../../../../src/hive/index.js';
import { mountedDeviceData } from '../../../../../fixtures/hive/index.js';
import { NotSupportedError } from '../../../../../src/errors/index.js';
import { Guestfs } from '../../../../../src/index.js';
import { fixture } from '../../../../helpers/fixtures.js';
import { buildDeviceIndex, makeDeviceIndex } from '../../../../../src/inspect/device-index.js';
import type { CallFn } from '../../../../../src/inspect/guest-reader.js';
import { decodeMountedDevice, driveLetterOf, MountedDeviceResolver, type MountedDevice } from '../../../../../src/inspect/windows/mounted-devices.js';

describe('driveLetterOf', () => {
  it('takes \\DosDevices\\X: in any case, nothing else', () => {
    expect(driveLetterOf('\\DosDevices\\C:')).toBe('C');
    expect(driveLetterOf('\\dosdevices\\d:')).toBe('d');
    expect(driveLetterOf('\\DosDevices\\C:\\')).toBe('C');
    expect(driveLetterOf('\\??\\Volume{3f2504e0-4f89-11d3-9a0c-0305e82c3301}')).toBeNull();
    expect(driveLetterOf('\\DosDevices\\1:')).toBeNull();
    expect(driveLetterOf('\\DosDevices\\C')).toBeNull();
    expect(driveLetterOf('\\DosDevices\\')).toBeNull();
  });
});

describe('decodeMountedDevice', () => {
  it('decodes the MBR form: disk signature bytes and the partition start in bytes', () => {
    const md = decodeMountedDevice(REG_BINARY, mountedDeviceData({ letter: 'C', mbrSignature: 0x5eed1e55, partitionOffset: 0x1_0000_0000 + 512 }));
    expect(md).toEqual({ kind: 'mbr', signature: Uint8Array.from([0x55, 0x1e, 0xed, 0x5e]), offset: 0x1_0000_0000 + 512 });
  });

  it('decodes the GPT form to the GUID as part-get-gpt-guid prints it (lowercase)', () => {
    const data = mountedDeviceData({ letter: 'C', gptPartitionGuid: '3A1B2C3D-0000-4000-8000-000000000002' });
    // Mixed-endian on disk: the first three fields byte-swapped.
    expect(Array.from(data.subarray(8, 12))).toEqual([0x3d, 0x2c, 0x1b, 0x3a]);
    expect(decodeMountedDevice(REG_BINARY, data)).toEqual({ kind: 'gpt', guid: '3a1b2c3d-0000-4000-8000-000000000002' });
  });

  it('ignores other types and lengths', () => {
    const mbr = mountedDeviceData({ letter: 'C', mbrSignature: 1, partitionOffset: 1048576 });
    expect(decodeMountedDevice(REG_SZ, mbr)).toBeNull();
    expect(decodeMountedDevice(REG_BINARY, mbr.subarray(0, 11))).toBeNull();
    expect(decodeMountedDevice(REG_BINARY, new Uint8Array(16))).toBeNull();
    // A volume name (removable media store "\??\..." as UTF-16 text).
    expect(decodeMountedDevice(REG_BINARY, encodeValueData(REG_SZ, '\\??\\SCSI#CdRom&Ven_QEMU'))).toBeNull();
    // DMIO:ID: too short to hold a GUID.
    expect(decodeMountedDevice(REG_BINARY, new TextEncoder().encode('DMIO:ID:0123'))).toBeNull();
  });
});

describe('MountedDeviceResolver on a fake command table', () => {
  const sig = (n: number) => Uint8Array.from([n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24]);
  const disks: Record<string, { type?: string; sig?: number; parts: { num: number; start: number; guid?: string }[] }> = {
    '/dev/sda': { parts: [] }, // empty disk: part-get-parttype fails
    '/dev/sdb': { type: 'msdos', sig: 0x11111111, parts: [{ num: 1, start: 1048576 }] },
    '/dev/sdc': { type: 'msdos', sig: 0x22222222, parts: [{ num: 1, start: 1048576 }, { num: 5, start: 53477376 }] },
    '/dev/sdd': { type: 'gpt', parts: [{ num: 1, start: 1048576, guid: 'AAAAAAAA-0000-4000-8000-000000000001' }, { num: 2, start: 2097152, guid: 'BBBBBBBB-0000-4000-8000-000000000002' }] },
  };
  const calls: string[] = [];
  const call: CallFn = async (name, args) => {
    calls.push(`${name} ${args.join(' ')}`);
    const dev = String(args[0]);
    const partOf = () => /^(\/dev\/sd[a-z])(\d+)$/.exec(dev)!;
    switch (name) {
      case 'part-get-parttype':
        if (!disks[dev]?.type) throw new Error(`${dev}: unrecognised disk label`);
        return disks[dev]!.type;
      case 'pread-device':
        return sig(disks[dev]!.sig ?? 0);
      case 'part-list':
        return disks[dev]!.parts.map((p) => ({ part_num: p.num, part_start: p.start, part_end: 0, part_size: 0 }));
      case 'part-to-dev':
        return partOf()[1];
      case 'part-to-partnum':
        return Number(partOf()[2]);
      case 'part-get-gpt-guid': {
        const g = disks[dev]!.parts.find((p) => p.num === args[1])?.guid;
        if (!g) throw new Error('not a GPT partition');
        return g;
      }
      default:
        throw new Error(`unexpected ${name}`);
    }
  };
  const parts = Object.entries(disks).flatMap(([d, v]) => v.parts.map((p) => `${d}${p.num}`));
  const index = makeDeviceIndex([], Object.keys(disks), parts, []);
  const mbr = (s: number, offset: number): MountedDevice => ({ kind: 'mbr', signature: sig(s), offset });

  it('finds the disk by signature (skipping disks without a label) and the partition by start', async () => {
    const r = new MountedDeviceResolver(call, index);
    expect(await r.resolve(mbr(0x22222222, 53477376))).toBe('/dev/sdc5');
    expect(await r.resolve(mbr(0x11111111, 1048576))).toBe('/dev/sdb1');
  });

  it('maps nothing for an unknown signature or a start no partition has', async () => {
    const r = new MountedDeviceResolver(call, index);
    expect(await r.resolve(mbr(0x33333333, 1048576))).toBeUndefined();
    expect(await r.resolve(mbr(0x11111111, 4096))).toBeUndefined();
  });

  it('finds GPT partitions by GUID, ignoring case, only on gpt disks', async () => {
    const r = new MountedDeviceResolver(call, index);
    expect(await r.resolve({ kind: 'gpt', guid: 'bbbbbbbb-0000-4000-8000-000000000002' })).toBe('/dev/sdd2');
    expect(await r.resolve({ kind: 'gpt', guid: 'cccccccc-0000-4000-8000-000000000003' })).toBeUndefined();
    expect(calls.filter((c) => c.startsWith('part-get-gpt-guid /dev/sdc'))).toEqual([]);
  });
});

describe('MountedDeviceResolver on mbr.img and gpt.img (wasm backend)', () => {
  let g: Guestfs;
  beforeAll(async () => {
    g = new Guestfs({ backend: 'wasm' });
    g.addDrive(fixture('mbr.img'), { readonly: true });
    g.addDrive(fixture('gpt.img'), { readonly: true });
    await g.launch();
  });
  afterAll(async () => {
    await g?.close();
  });

  it('maps the MBR form to a logical partition and the GPT form to its partition', async () => {
    const call: CallFn = (n, a, o) => g.call(n, a, o);
    const r = new MountedDeviceResolver(call, await buildDeviceIndex(call));
    const decode = (d: Parameters<typeof mountedDeviceData>[0]) => decodeMountedDevice(REG_BINARY, mountedDeviceData(d))!;
    // mbr.img: label-id 0x6b7d1e2a, sda5 (logical) from sector 36864.
    expect(await r.resolve(decode({ letter: 'D', mbrSignature: 0x6b7d1e2a, partitionOffset: 36864 * 512 }))).toBe('/dev/sda5');
    expect(await r.resolve(decode({ letter: 'C', mbrSignature: 0x6b7d1e2a, partitionOffset: 2048 * 512 }))).toBe('/dev/sda1');
    // gpt.img: partition 2's unique GUID.
    expect(await r.resolve(decode({ letter: 'E', gptPartitionGuid: '3A1B2C3D-0000-4000-8000-000000000002' }))).toBe('/dev/sdb2');
    expect(await r.resolve(decode({ letter: 'F', gptPartitionGuid: '3A1B2C3D-0000-4000-8000-000000000009' }))).toBeUndefined();
  });

  it('reads the tables through pread-device where the backend has no part-* commands', async () => {
    const used: string[] = [];
    const call: CallFn = (n, a, o) => {
      used.push(n);
      if (n.startsWith('part-')) return Promise.reject(new NotSupportedError(n, 'appliance'));
      return g.call(n, a, o);
    };
    const r = new MountedDeviceResolver(call, await buildDeviceIndex(call));
    const decode = (d: Parameters<typeof mountedDeviceData>[0]) => decodeMountedDevice(REG_BINARY, mountedDeviceData(d))!;
    expect(await r.resolve(decode({ letter: 'D', mbrSignature: 0x6b7d1e2a, partitionOffset: 55296 * 512 }))).toBe('/dev/sda6');
    expect(await r.resolve(decode({ letter: 'E', gptPartitionGuid: '3a1b2c3d-0000-4000-8000-000000000001' }))).toBe('/dev/sdb1');
    expect(used).toContain('pread-device');
  });
});
