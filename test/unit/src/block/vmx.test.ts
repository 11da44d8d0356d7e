import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isVmxPath, parseVmx, readVmxDisks, vmxDisks } from '../../../../src/block/vmx.js';
import { ImageError } from '../../../../src/errors/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-vmx-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('vmx', () => {
  it('parses key = "value" lines, keys case-insensitive, |XX escapes decoded', () => {
    const m = parseVmx('.encoding = "UTF-8"\n# comment\nSCSI0:0.FileName = "my|22disk.vmdk"\nnot a pair\nmemSize = 1024\n');
    expect(m.get('scsi0:0.filename')).toBe('my"disk.vmdk');
    expect(m.get('memsize')).toBe('1024');
    expect(m.has('not a pair')).toBe(false);
  });

  it('lists present hard disks in bus (scsi, sata, ide, nvme), controller, unit order; skips CD-ROMs, absent devices and controllers', () => {
    const vmx = parseVmx(
      [
        'nvme0.present = "TRUE"', 'nvme0:0.present = "TRUE"', 'nvme0:0.fileName = "n.vmdk"',
        'ide0:0.present = "TRUE"', 'ide0:0.fileName = "i.vmdk"',
        'ide1:0.present = "TRUE"', 'ide1:0.deviceType = "cdrom-image"', 'ide1:0.fileName = "x.iso"',
        'sata0.present = "TRUE"', 'sata0:1.present = "TRUE"', 'sata0:1.fileName = "s1.vmdk"',
        'scsi1.present = "TRUE"', 'scsi1:0.present = "TRUE"', 'scsi1:0.fileName = "b.vmdk"',
        'scsi0.present = "TRUE"', 'scsi0:2.present = "TRUE"', 'scsi0:2.deviceType = "scsi-hardDisk"', 'scsi0:2.fileName = "a2.vmdk"',
        'scsi0:10.present = "TRUE"', 'scsi0:10.fileName = "a10.vmdk"',
        'scsi0:3.present = "FALSE"', 'scsi0:3.fileName = "off.vmdk"',
        'scsi2.present = "FALSE"', 'scsi2:0.present = "TRUE"', 'scsi2:0.fileName = "nocontroller.vmdk"',
      ].join('\n'),
    );
    expect(vmxDisks(vmx).map((d) => `${d.device}=${d.fileName}`)).toEqual([
      'scsi0:2=a2.vmdk', 'scsi0:10=a10.vmdk', 'scsi1:0=b.vmdk', 'sata0:1=s1.vmdk', 'ide0:0=i.vmdk', 'nvme0:0=n.vmdk',
    ]);
  });

  it('resolves names against the .vmx directory, case-insensitively when the exact name is missing', () => {
    fs.mkdirSync(path.join(dir, 'Disks'));
    fs.writeFileSync(path.join(dir, 'Disks', 'Guest-Flat.vmdk'), '');
    fs.writeFileSync(path.join(dir, 'exact.vmdk'), '');
    const vmx = path.join(dir, 'g.VMX');
    fs.writeFileSync(vmx, 'scsi0:0.present = "TRUE"\nscsi0:0.fileName = "exact.vmdk"\nscsi0:1.present = "TRUE"\nscsi0:1.fileName = "disks/guest-flat.VMDK"\n');
    expect(isVmxPath(vmx)).toBe(true);
    expect(readVmxDisks(vmx)).toEqual([path.join(dir, 'exact.vmdk'), path.join(dir, 'Disks', 'Guest-Flat.vmdk')]);
  });

  it('a missing disk, a missing .vmx, a .vmx without disks: one-line ImageErrors naming the .vmx', () => {
    const vmx = path.join(dir, 'missing.vmx');
    fs.writeFileSync(vmx, 'ide0:0.present = "TRUE"\nide0:0.fileName = "gone.vmdk"\n');
    expect(() => readVmxDisks(vmx)).toThrow(new ImageError(vmx, 'names disk gone.vmdk (ide0:0), which is missing: No such file or directory'));
    expect(() => readVmxDisks(path.join(dir, 'nope.vmx'))).toThrow(`${path.join(dir, 'nope.vmx')}: No such file or directory`);
    const empty = path.join(dir, 'empty.vmx');
    fs.writeFileSync(empty, 'memSize = "1024"\n');
    expect(() => readVmxDisks(empty)).toThrow(/lists no hard disks/);
    expect(isVmxPath('nbd://host/x.vmx')).toBe(false);
  });
});
