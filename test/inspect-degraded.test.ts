/**
 * Inspection on a damaged guest: an odd file costs only its own fact (reported
 * under -v), and the rest is still reported. Also the btrfs guest on the appliance.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { GOLDEN, copyFixture, fixture, scratch, sha256 } from './helpers/fixtures.js';

describe('inspection of a damaged guest', () => {
  let tmp: ReturnType<typeof scratch>;
  let img: string;
  beforeAll(async () => {
    tmp = scratch();
    img = copyFixture('alpine.img', tmp.dir);
    // Garbage package database, an fstab line naming a disk that is not there, no os-release.
    const r = await runCli(['fish', '-a', img, '-i',
      'write', '/lib/apk/db/installed', '\\xff\\xfe\\x00garbage\\nP\\nV:', ':',
      'write-append', '/etc/fstab', '/dev/vdz9 /data ext4 defaults 0 2\\n', ':',
      'rm', '/etc/os-release'], { timeoutMs: 60000 });
    expect(r.err).toBe('');
  });
  afterAll(() => tmp.cleanup());

  it('still finds the OS, leaves the broken facts unknown and says why under -v', async () => {
    const before = sha256(img);
    const r = await runCli(['inspect', '-v', '--json', '-a', img], { timeoutMs: 60000 });
    expect(r.status).toBe(0);
    const os = (JSON.parse(r.out) as { operatingsystems: Record<string, unknown>[] }).operatingsystems[0]!;
    expect(os.root).toBe('/dev/sda1');
    expect(os.name).toBe('linux');
    expect(os.hostname).toBe('alpine-guest');
    // The missing disk's line is dropped; / is still there.
    expect(os.mountpoints).toEqual([{ dev: '/dev/sda1', mountpoint: '/' }]);
    expect(r.err).toMatch(/vdz9/);
    expect(sha256(img)).toBe(before);
  });
});

describe('inspection on the appliance backend (btrfs root)', () => {
  it('guestkit inspect --backend=appliance prints what virt-inspector prints', async () => {
    const r = await runCli(['inspect', '--backend=appliance', '-a', fixture('archlinux.img')], { timeoutMs: 240000 });
    expect(r.err).toBe('');
    expect(r.out).toBe(readFileSync(join(GOLDEN, 'inspect', 'archlinux.xml'), 'utf8'));
  }, 250000);
});
