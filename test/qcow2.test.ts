/**
 * The native qcow2 reader against qemu: every byte Qcow2Device reads equals
 * `qemu-img convert -O raw` (compared with cmp), its allocation map equals
 * `qemu-img map`, and lying or cut-short images fail with one-line ImageErrors.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestkitError, ImageError } from '../src/errors/index.js';
import { openDrive } from '../src/block/open-drive.js';
import { OverlayDevice } from '../src/block/overlay.js';
import { Qcow2Device } from '../src/block/qcow2/qcow2-device.js';
import type { BlockDevice } from '../src/block/block-device.js';
import { NbdDevice } from '../src/block/nbd/client.js';
import { buildQcow2Images, mergeExtents, MiB, qemuImg, qemuMap, qemuRaw, type TypedExtent } from './helpers/qcow2-images.js';
import { FIXTURES } from './helpers/fixtures.js';
import { runCli } from './helpers/cli.js';

let dir: string;
let images: Record<string, string>;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-qcow2-test-'));
  images = buildQcow2Images(dir);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes everything `dev` reads to `out`, in odd-sized chunks that straddle clusters. */
async function dumpDevice(dev: BlockDevice, out: string): Promise<void> {
  const fd = fs.openSync(out, 'w');
  try {
    const chunk = MiB + 4097;
    for (let at = 0; at < dev.size; at += chunk) fs.writeSync(fd, await dev.read(at, Math.min(chunk, dev.size - at)));
  } finally {
    fs.closeSync(fd);
  }
}

function cmp(a: string, b: string): void {
  const r = spawnSync('cmp', [a, b], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}

async function ourMap(dev: BlockDevice): Promise<TypedExtent[]> {
  return mergeExtents((await dev.extents(0, dev.size)).map((e) => ({ start: e.offset, length: e.length, type: e.hole ? 'hole' : e.zero ? 'zero' : 'data' })));
}

const CASES = ['v2', 'v3zero', 'c512', 'c2m', 'compressed', 'extL2', 'chainMid1', 'chainMid2', 'chainTop'];

describe('Qcow2Device reads what qemu reads', () => {
  for (const name of CASES) {
    it(`${name}: bytes (cmp with qemu-img convert) and map (qemu-img map)`, async () => {
      const image = images[name]!;
      const dev = await Qcow2Device.open(image);
      try {
        expect(dev.size).toBe(JSON.parse(qemuImg('info', '--output=json', image))['virtual-size']);
        const ours = path.join(dir, `${name}.ours.raw`);
        await dumpDevice(dev, ours);
        cmp(qemuRaw(image, path.join(dir, `${name}.qemu.raw`)), ours);
        expect(await ourMap(dev)).toEqual(qemuMap(image));
      } finally {
        await dev.close();
      }
    });
  }

  it('unaligned small reads across cluster, subcluster and backing edges match', async () => {
    const dev = await Qcow2Device.open(images.extL2!);
    const ref = fs.readFileSync(qemuRaw(images.extL2!, path.join(dir, 'extl2.ref.raw')));
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 300; i++) {
      const off = rand(dev.size - 1);
      const len = Math.min(1 + rand(200_000), dev.size - off);
      expect(Buffer.from(await dev.read(off, len)).equals(ref.subarray(off, off + len))).toBe(true);
    }
    await dev.close();
  });

  it('reports the backing chain, nearest first, with formats', async () => {
    const dev = await Qcow2Device.open(images.chainTop!);
    expect(dev.backingChain()).toEqual([
      { file: path.join(dir, 'sub/chain-mid2.qcow2'), format: 'qcow2' },
      { file: images.chainMid1, format: 'qcow2' },
      { file: path.join(dir, 'chain-base.raw'), format: 'raw' },
    ]);
    expect(dev.header.backingFormat).toBeUndefined();
    await dev.close();
  });

  it('the debian fixture reads the same as qemu-img convert', async () => {
    const image = path.join(FIXTURES, 'debian.qcow2');
    const dev = await Qcow2Device.open(image);
    const ours = path.join(dir, 'debian.ours.raw');
    await dumpDevice(dev, ours);
    await dev.close();
    cmp(qemuRaw(image, path.join(dir, 'debian.qemu.raw')), ours);
  });
});

describe('openDrive and qcow2', () => {
  it('read-only qcow2 is read natively; writes stay in the overlay; writable qcow2 still uses qemu-nbd', async () => {
    const ro = await openDrive({ file: images.v3zero!, readOnly: true });
    expect((ro as OverlayDevice).base).toBeInstanceOf(Qcow2Device);
    await ro.write(0, new Uint8Array([1, 2]));
    expect([...(await ro.read(0, 3))]).toEqual([1, 2, 0x44]);
    await ro.close();
    const before = fs.readFileSync(images.v3zero!);
    const rw = await openDrive({ file: images.v3zero!, readOnly: false });
    expect(rw).toBeInstanceOf(NbdDevice);
    await rw.close();
    expect(fs.readFileSync(images.v3zero!).equals(before)).toBe(true);
  });

  it('guestkit cat on debian.qcow2 runs without qemu-nbd on PATH', async () => {
    const bin = path.join(dir, 'bin-no-qemu');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const r = await runCli(['cat', '-a', path.join(FIXTURES, 'debian.qcow2'), '-m', '/dev/sda2', '/etc/hostname'], { env: { PATH: bin } });
    expect(r.err).toBe('');
    expect(r.out).toBe('debian-guest\n');
    expect(r.status).toBe(0);
  });

  it('zstd: served by qemu-nbd when installed, else a one-line error', async () => {
    const z = path.join(dir, 'zstd.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'compression_type=zstd', z, '1M');
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -c -P 0x3c 0 64k', z], { stdio: 'ignore' });
    await expect(Qcow2Device.open(z)).rejects.toThrow(`${z}: zstd-compressed qcow2 needs qemu-nbd (install qemu-utils)`);
    const d = await openDrive({ file: z, readOnly: true });
    expect((d as OverlayDevice).base).toBeInstanceOf(NbdDevice);
    expect((await d.read(65535, 2))[0]).toBe(0x3c);
    await d.close();
    const bin = path.join(dir, 'bin-zstd');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const r = await runCli(['cat', '-a', z, '-m', '/dev/sda', '/x'], { env: { PATH: bin } });
    expect(r.err.trim()).toBe(`guestkit cat: error: ${z}: zstd-compressed qcow2 needs qemu-nbd (install qemu-utils)`);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.status).not.toBe(0);
  });
});
