import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestkitError, ImageError } from '../../../../src/errors/index.js';
import { NbdDevice } from '../../../../src/block/nbd/client.js';
import { NeedsQemuNbd, openDrive } from '../../../../src/block/open-drive.js';
import { JournaledDevice } from '../../../../src/block/journaled-device.js';
import { OverlayDevice } from '../../../../src/block/overlay.js';
import { liveQemuNbdCount } from '../../../../src/block/qemu-nbd.js';
import { RawFileDevice } from '../../../../src/block/raw-file.js';
import { Qcow2Device } from '../../../../src/block/qcow2/qcow2-device.js';
import { patternedQcow2, qemuNbdFor } from '../../../helpers/qcow2-images.js';

const MiB = 1024 * 1024;
let dir: string;
const servers: ChildProcess[] = [];

const sha = (p: string) => createHash('sha256').update(fs.readFileSync(p)).digest('hex');

const makeQcow2 = (name: string) => patternedQcow2(path.join(dir, name));

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-drive-test-'));
});
afterAll(async () => {
  for (const s of servers) if (s.exitCode === null) s.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('openDrive', () => {
  it('qcow2 read-only: writes go to the overlay, the image is unchanged', async () => {
    const p = makeQcow2('ro.qcow2');
    const before = sha(p);
    const d = await openDrive({ file: p, readOnly: true });
    expect(d).toBeInstanceOf(OverlayDevice);
    // Read natively (no qemu-nbd), and the reader itself refuses writes.
    expect((d as OverlayDevice).base).toBeInstanceOf(Qcow2Device);
    expect((d as OverlayDevice).base.readOnly).toBe(true);
    expect(qemuNbdFor(p)).toBe('');
    expect(d.size).toBe(16 * MiB);
    expect((await d.read(MiB - 1, 2))[0]).toBe(0x5a);
    await d.write(MiB - 1, new Uint8Array([1, 2, 3]));
    await d.zero(0, 65536);
    await d.flush();
    expect([...(await d.read(MiB - 2, 5))]).toEqual([0x5a, 1, 2, 3, 0]);
    expect((await d.read(0, 65536)).every((x) => x === 0)).toBe(true);
    await d.close();
    expect(sha(p)).toBe(before);
    expect(qemuNbdFor(p)).toBe('');
    expect(liveQemuNbdCount()).toBe(0);
  });

  it('qcow2 read-write', async () => {
    const p = makeQcow2('rw.qcow2');
    const d = await openDrive({ file: p, readOnly: false, format: 'qcow2' });
    // Writes reach the image through the journal at each flush (and at close).
    expect(d).toBeInstanceOf(JournaledDevice);
    await d.write(2 * MiB, new Uint8Array([9, 8, 7]));
    await d.close();
    expect(fs.existsSync(`${p}.guestkit-journal`)).toBe(false);
    const out = execFileSync('qemu-io', ['-f', 'qcow2', '-r', '-c', 'read -v 2M 3', p], { encoding: 'utf8' });
    expect(out).toMatch(/00200000:\s+09 08 07/);
  });

  it('qemuNbd: false refuses what only qemu-nbd serves (NeedsQemuNbd with its format), starting nothing', async () => {
    const vdi = path.join(dir, 'only-qemu.vdi');
    execFileSync('qemu-img', ['convert', '-q', '-f', 'qcow2', '-O', 'vdi', makeQcow2('for-vdi.qcow2'), vdi]);
    const rwVmdk = path.join(dir, 'rw.vmdk');
    execFileSync('qemu-img', ['create', '-q', '-f', 'vmdk', rwVmdk, '16M']);
    for (const [file, readOnly, format] of [[vdi, true, 'vdi'], [rwVmdk, false, 'vmdk']] as const) {
      const err = await openDrive({ file, readOnly, qemuNbd: false }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(NeedsQemuNbd);
      expect(err).toMatchObject({ file, format, code: 'ENOTSUP' });
      expect(qemuNbdFor(file)).toBe('');
    }
    // what guestkit reads itself opens as usual
    const q = await openDrive({ file: makeQcow2('native.qcow2'), readOnly: false, qemuNbd: false, journaled: false });
    expect(q).toBeInstanceOf(Qcow2Device);
    await q.close();
    expect(liveQemuNbdCount()).toBe(0);
  });

  it('raw: read-write, and read-only through an overlay', async () => {
    const p = path.join(dir, 'disk.img');
    fs.writeFileSync(p, Buffer.alloc(MiB, 0x11));
    const rw = await openDrive({ file: p, readOnly: false });
    expect(rw).toBeInstanceOf(JournaledDevice);
    await rw.write(0, new Uint8Array([0x22]));
    expect(fs.readFileSync(p)[0]).toBe(0x11); // not before a flush
    await rw.flush();
    expect(fs.readFileSync(p)[0]).toBe(0x22);
    await rw.write(1, new Uint8Array([0x33]));
    await rw.close();
    expect([...fs.readFileSync(p).subarray(0, 3)]).toEqual([0x22, 0x33, 0x11]);
    const direct = await openDrive({ file: p, readOnly: false, journaled: false });
    expect(direct).toBeInstanceOf(RawFileDevice);
    await direct.close();
    const before = sha(p);
    const ro = await openDrive({ file: p, readOnly: true });
    expect(ro).toBeInstanceOf(OverlayDevice);
    expect((ro as OverlayDevice).base.readOnly).toBe(true);
    await ro.write(0, new Uint8Array(4096));
    expect((await ro.read(0, 1))[0]).toBe(0);
    await ro.close();
    expect(sha(p)).toBe(before);
  });

  it('format=raw wins over the magic', async () => {
    const p = makeQcow2('asraw.qcow2');
    const d = await openDrive({ file: p, readOnly: true, format: 'raw' });
    expect((d as OverlayDevice).base).toBeInstanceOf(RawFileDevice);
    expect(Buffer.from(await d.read(0, 4)).toString('latin1')).toBe('QFI\xfb');
    await d.close();
  });

  it('one-line errors: missing, empty, unknown format, truncated qcow2, LUKS', async () => {
    const missing = path.join(dir, 'disk-missing.img');
    const e1 = await openDrive({ file: missing, readOnly: true }).catch((e) => e);
    expect(e1).toBeInstanceOf(ImageError);
    expect(e1.message).toBe(`${missing}: No such file or directory`);

    const empty = path.join(dir, 'empty.img');
    fs.writeFileSync(empty, '');
    await expect(openDrive({ file: empty, readOnly: true })).rejects.toThrow(`${empty}: is empty: not a disk image`);

    const e3 = await openDrive({ file: empty, readOnly: true, format: 'xyz' }).catch((e) => e);
    expect(e3).toBeInstanceOf(GuestkitError);
    expect(e3.code).toBe('EFORMAT');
    expect(e3.message).toBe("unknown format 'xyz' (expected raw, qcow2, vmdk, vhdx, vdi, vpc)");

    const cut = makeQcow2('cut.qcow2');
    execFileSync('truncate', ['-s', '100000', cut]);
    const e4 = await openDrive({ file: cut, readOnly: true }).catch((e) => e);
    expect(e4).toBeInstanceOf(ImageError);
    expect(e4.message).toMatch(new RegExp(`^${cut}: qcow2 image is truncated: `));
    expect(e4.message).not.toContain('\n');
    expect(qemuNbdFor(cut)).toBe('');

    const luks = path.join(dir, 'luks.img');
    fs.writeFileSync(luks, Buffer.concat([Buffer.from('LUKS\xba\xbe', 'latin1'), Buffer.alloc(1024)]));
    await expect(openDrive({ file: luks, readOnly: true })).rejects.toThrow(/luks\.img: is LUKS-encrypted/);
    expect(liveQemuNbdCount()).toBe(0);
  });

  it('NBD URIs', async () => {
    const sock = path.join(dir, 'mem.sock');
    const srv = spawn('nbdkit', ['-f', '--exit-with-parent', '-U', sock, 'memory', '8M'], { stdio: 'ignore' });
    servers.push(srv);
    for (let i = 0; i < 500 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 10));
    const uri = `nbd+unix:///?socket=${sock}`;
    const rw = await openDrive({ file: uri, readOnly: false });
    expect(rw).toBeInstanceOf(NbdDevice);
    await rw.write(0, new Uint8Array([7]));
    await rw.close();
    const ro = await openDrive({ file: uri, readOnly: true });
    expect(ro).toBeInstanceOf(OverlayDevice);
    await ro.write(0, new Uint8Array([8]));
    expect((await ro.read(0, 1))[0]).toBe(8);
    await ro.close();
    const again = await openDrive({ file: uri, readOnly: false, format: 'raw' });
    expect((await again.read(0, 1))[0]).toBe(7);
    await again.close();
    await expect(openDrive({ file: uri, readOnly: true, format: 'qcow2' })).rejects.toThrow(/format qcow2 over NBD is not supported/);
    srv.kill('SIGKILL');
  });
});
