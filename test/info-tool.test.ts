/**
 * guestkit info against its peers: the image part equals `qemu-img info`, --map
 * equals `qemu-img map` (qcow2) and `nbdinfo --map` (NBD URIs, raw files), the guest part
 * equals what libguestfs lists (golden from guestfish).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { fixture, GOLDEN } from './helpers/fixtures.js';
import { buildQcow2Images, qemuImg, qemuMap, type TypedExtent } from './helpers/qcow2-images.js';

let dir: string;
let images: Record<string, string>;
let server: ChildProcess | undefined;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-info-test-'));
  images = buildQcow2Images(dir);
});
afterAll(() => {
  server?.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
});

async function info(...args: string[]): Promise<string> {
  const r = await runCli(['info', ...args]);
  expect(r.err).toBe('');
  expect(r.status).toBe(0);
  return r.out;
}

describe('guestkit info', () => {
  for (const name of ['v2', 'v3zero', 'compressed', 'extL2', 'chainMid1', 'chainTop']) {
    it(`${name}: the image part is qemu-img info's, --map is qemu-img map's`, async () => {
      const image = images[name]!;
      expect(await info(image)).toContain(qemuImg('info', image));
      const j = JSON.parse(await info('--json', '--map', image)) as { map: Array<{ offset: number; length: number; type: string }>; 'virtual-size': number };
      const qemu = JSON.parse(qemuImg('info', '--output=json', image)) as Record<string, unknown>;
      for (const key of ['virtual-size', 'actual-size', 'cluster-size', 'format', 'backing-filename', 'backing-filename-format', 'full-backing-filename', 'format-specific', 'dirty-flag']) {
        expect([key, (j as Record<string, unknown>)[key]]).toEqual([key, qemu[key]]);
      }
      expect(j.map.map((e): TypedExtent => ({ start: e.offset, length: e.length, type: e.type as TypedExtent['type'] }))).toEqual(qemuMap(image));
    });
  }

  it('debian.qcow2: qemu-img info, then the partitions and filesystems libguestfs lists', async () => {
    const out = await info(fixture('debian.qcow2'));
    expect(out.startsWith(qemuImg('info', fixture('debian.qcow2')))).toBe(true);
    // guestfish: part-get-parttype, list-partitions, blockdev-getsize64 of each, list-filesystems.
    const g = fs.readFileSync(path.join(GOLDEN, 'info', 'debian-guestfish.out'), 'utf8').trim().split('\n');
    const j = JSON.parse(await info('--json', fixture('debian.qcow2')));
    expect(j['partition-table']).toBe(g[0]);
    expect(j.partitions).toEqual([
      { device: g[1], size: Number(g[3]) },
      { device: g[2], size: Number(g[4]) },
    ]);
    expect(j.filesystems.map((f: { device: string; type: string }) => `${f.device}: ${f.type}`)).toEqual(g.slice(5));
    expect(out).toContain('partition table: gpt\npartitions:\n    /dev/sda1: 8 MiB (8388608 bytes)\n    /dev/sda2: 24 MiB (25165824 bytes)\nfilesystems:\n    /dev/sda1: ext2\n    /dev/sda2: ext4\n');
  });

  it("a raw file: format raw, --map (holes from the filesystem's extent map) equals nbdinfo --map of qemu-nbd", async () => {
    const raw = fixture('gpt.img');
    expect(await info(raw)).toContain(qemuImg('info', '-f', 'raw', raw));
    const out = await info('--map', raw);
    const nbdinfo = execFileSync('nbdinfo', ['--map', '--', '[', 'qemu-nbd', '-r', '-f', 'raw', raw, ']'], { encoding: 'utf8' });
    expect(nbdinfo).toContain('hole,zero'); // the fixture is sparse: the test would prove nothing otherwise
    expect(out.endsWith('\n\n' + nbdinfo)).toBe(true);
  });

  it('an NBD URI: --map equals nbdinfo --map', async () => {
    const sock = path.join(dir, 'nbd.sock');
    server = spawn('qemu-nbd', ['-r', '-f', 'qcow2', '--persistent', '--shared=4', `--socket=${sock}`, fixture('debian.qcow2')], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    const uri = `nbd+unix:///?socket=${sock}`;
    const out = await info('--map', uri);
    const nbdinfo = execFileSync('nbdinfo', ['--map', uri], { encoding: 'utf8' });
    expect(out.endsWith('\n\n' + nbdinfo)).toBe(true);
    expect(out).toContain(`image: ${uri}\nfile format: raw\nvirtual size: 34 MiB (35651584 bytes)\ndisk size: unavailable\n`);
    expect(out).toContain('/dev/sda2: ext4');
  });

  it('bad input: one line naming the disk, exit 1', async () => {
    const missing = path.join(dir, 'missing.qcow2');
    const r = await runCli(['info', missing]);
    expect(r.err).toBe(`guestkit info: error: ${missing}: No such file or directory\n`);
    expect(r.status).toBe(1);
    const t = await runCli(['info', fixture('truncated.qcow2')]);
    expect(t.err).toMatch(/^guestkit info: error: \S*truncated\.qcow2: qcow2 image is truncated[^\n]*\n$/);
    expect(t.status).toBe(1);
  });
});
