/**
 * The appliance's tools image (tools-image.ts): the initramfs keeps only what
 * booting needs (≤ 12 MB), the programs come from a read-only image the guest
 * mounts on /usr. A missing, truncated or replaced image is rebuilt at the next
 * lookup; one the guest cannot mount although its size and time are the
 * recorded ones fails the launch in one line naming it, and the cached
 * appliance is built again at the next launch. No qemu is left behind.
 *
 * Builds into a private cache directory (a few seconds: mke2fs and ldd).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApplianceBackend } from '../src/backend/appliance/appliance-backend.js';
import { buildAppliance } from '../src/backend/appliance/build.js';
import { liveChildCount } from '../src/backend/appliance/children.js';
import { toolsImageWanted, writeToolsRecord } from '../src/backend/appliance/tools-image.js';

const IMG = path.resolve('fixtures/out/ext4.img');
const haveQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0 && fs.existsSync(IMG);

describe.skipIf(!haveQemu || !toolsImageWanted())('appliance tools image', () => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-tools-image-test-'));
  afterAll(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  it('the initramfs is at most 12 MB; a missing or truncated tools image is rebuilt', () => {
    const a = buildAppliance({ cacheDir });
    expect(a.built).toBe(true);
    expect(fs.statSync(a.initrd).size).toBeLessThanOrEqual(12_000_000);
    expect(fs.statSync(a.tools!).size).toBeGreaterThan(fs.statSync(a.initrd).size);
    expect(buildAppliance({ cacheDir }).built).toBe(false);

    fs.rmSync(a.tools!);
    const again = buildAppliance({ cacheDir });
    expect(again.built).toBe(true);
    expect(fs.existsSync(again.tools!)).toBe(true);

    fs.truncateSync(again.tools!, 1 << 20);
    const third = buildAppliance({ cacheDir });
    expect(third.built).toBe(true);
    expect(fs.statSync(third.tools!).size).toBeGreaterThan(1 << 20);
  }, 60_000);

  it('an image the guest cannot mount fails the launch naming it; the next launch builds it again and works', async () => {
    const a = buildAppliance({ cacheDir });
    // Zero the superblock, then record the image as it is: damage the size and time check cannot see.
    const fd = fs.openSync(a.tools!, 'r+');
    fs.writeSync(fd, Buffer.alloc(65536), 0, 65536, 0);
    fs.closeSync(fd);
    writeToolsRecord(a.dir);
    expect(buildAppliance({ cacheDir }).built).toBe(false);

    const b = new ApplianceBackend({ cacheDir, vmState: false });
    const err = await b.launch([{ file: IMG, readonly: true }]).then(() => null, (e: Error) => e);
    await b.shutdown();
    expect(err?.message).toMatch(/^the appliance's tools image could not be mounted: .*tools\.img\): it is built again at the next launch$/);
    expect(err?.message).not.toMatch(/\n/);
    expect(liveChildCount()).toBe(0);

    const c = new ApplianceBackend({ cacheDir, vmState: false });
    try {
      await c.launch([{ file: IMG, readonly: true }]);
      expect(c.appliance!.built).toBe(true);
      // A program from the image, on the user's drive, which is still /dev/vda (the tools disk is /dev/sda).
      expect((await c.shText('blkid -c /dev/null -o value -s TYPE /dev/vda; ls -d /sys/block/vd*')).trim()).toBe('ext4\n/sys/block/vda');
    } finally {
      await c.shutdown();
    }
    expect(liveChildCount()).toBe(0);
  }, 120_000);
});
