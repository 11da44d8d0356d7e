import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestkitError, ImageError } from '../../../../src/errors/index.js';
import { probeBytes, probeFormat, qcow2Problem, validateFormat } from '../../../../src/block/format.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-format-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function qemuImg(fmt: string, name: string, opts: string[] = []): string {
  const p = path.join(dir, name);
  execFileSync('qemu-img', ['create', '-q', '-f', fmt, ...opts, p, '4M']);
  return p;
}

describe('probeFormat', () => {
  const table: Array<[string, string, string[], string]> = [
    ['qcow2', 'a.qcow2', [], 'qcow2'],
    ['qcow2', 'a-v2.qcow2', ['-o', 'compat=0.10'], 'qcow2'],
    ['vmdk', 'a.vmdk', [], 'vmdk'],
    ['vmdk', 'flat.vmdk', ['-o', 'subformat=monolithicFlat'], 'vmdk'], // text descriptor
    ['vhdx', 'a.vhdx', [], 'vhdx'],
    ['vdi', 'a.vdi', [], 'vdi'],
    ['vpc', 'dyn.vhd', [], 'vpc'],
    ['vpc', 'fixed.vhd', ['-o', 'subformat=fixed'], 'vpc'], // footer only, at the end
    ['qed', 'a.qed', [], 'qed'],
    ['raw', 'a.raw', [], 'raw'],
  ];
  for (const [fmt, name, opts, want] of table) {
    it(`${name} (${fmt} ${opts.join(' ')}) → ${want}`, async () => {
      const p = qemuImg(fmt, name, opts);
      expect(await probeFormat(p)).toBe(want);
    });
  }

  it('raw with random data, and text that is not a descriptor', async () => {
    const p = path.join(dir, 'text.img');
    fs.writeFileSync(p, '# Disk Descriptor\nhello\n'.padEnd(4096, 'x'));
    expect(await probeFormat(p)).toBe('raw');
  });

  it('VDI needs its binary magic, not only the text banner', () => {
    const h = new Uint8Array(512);
    h.set(Buffer.from('<<< Oracle VM VirtualBox Disk Image >>>\n'));
    expect(probeBytes(h)).toBe('raw');
    new DataView(h.buffer).setUint32(0x40, 0xbeda107f, true);
    expect(probeBytes(h)).toBe('vdi');
  });

  it('refuses LUKS, empty files, missing files and directories in one line', async () => {
    const luks = path.join(dir, 'enc.img');
    fs.writeFileSync(luks, Buffer.concat([Buffer.from('LUKS\xba\xbe', 'latin1'), Buffer.alloc(4096)]));
    await expect(probeFormat(luks)).rejects.toThrow(`${luks}: is LUKS-encrypted: encrypted disks are not supported`);
    const empty = path.join(dir, 'empty.img');
    fs.writeFileSync(empty, '');
    const e = await probeFormat(empty).catch((x) => x);
    expect(e).toBeInstanceOf(ImageError);
    expect(e.message).toBe(`${empty}: is empty: not a disk image`);
    await expect(probeFormat(path.join(dir, 'missing.img'), 'missing.img')).rejects.toThrow(/^missing\.img: No such file or directory$/);
    await expect(probeFormat(dir)).rejects.toThrow(`${dir}: Is a directory`);
  });

  it('finds truncated qcow2 images', async () => {
    const p = qemuImg('qcow2', 'cut.qcow2');
    const head = fs.readFileSync(p).subarray(0, 1024);
    expect(qcow2Problem(head, fs.statSync(p).size)).toBeNull();
    expect(qcow2Problem(head, 100_000)).toMatch(/qcow2 image is truncated: its L1 table \(offset \d+\) is past the end of the file \(size 100000\)/);
    execFileSync('truncate', ['-s', '50', p]);
    await expect(probeFormat(p)).rejects.toThrow(`${p}: qcow2 image is truncated: the header is cut short (file size 50)`);
  });
});

describe('validateFormat', () => {
  it('accepts the known formats', () => {
    for (const f of ['raw', 'qcow2', 'vmdk', 'vhdx', 'vdi', 'vpc']) expect(validateFormat(f)).toBe(f);
    expect(validateFormat('QCOW2')).toBe('qcow2');
    expect(validateFormat('vhd')).toBe('vpc');
  });
  it('rejects others with EFORMAT', () => {
    const e = (() => {
      try {
        validateFormat('xyz');
      } catch (x) {
        return x as GuestkitError;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(GuestkitError);
    expect(e!.code).toBe('EFORMAT');
    expect(e!.message).toBe("unknown format 'xyz' (expected raw, qcow2, vmdk, vhdx, vdi, vpc)");
  });
});
