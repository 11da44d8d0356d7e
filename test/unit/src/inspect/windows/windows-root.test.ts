/**
 * Windows inspection end to end on the wasm backend: fixtures/out/windows.img
 * (fixtures/make-inspect-windows.sh) mounted read-only at '/', every fact
 * checked against what the real virt-inspector reported for the same image
 * (test/golden/inspect/windows.xml; see NOTES-windows.md for what it omits).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../../../../../src/index.js';
import { fixture, GOLDEN, sha256 } from '../../../../helpers/fixtures.js';
import { buildDeviceIndex, type DeviceIndex } from '../../../../../src/inspect/device-index.js';
import { guestReader, type GuestReader } from '../../../../../src/inspect/guest-reader.js';
import { unknownFacts, type OsFacts } from '../../../../../src/inspect/types.js';
import { listWindowsApplications } from '../../../../../src/inspect/windows/applications.js';
import { inspectWindowsRoot } from '../../../../../src/inspect/windows/windows-root.js';

const IMG = fixture('windows.img');
const XML = readFileSync(join(GOLDEN, 'inspect', 'windows.xml'), 'utf8');

/** The text of the first <tag> in the golden XML (entities decoded). */
function golden(tag: string, xml = XML): string {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  if (!m) throw new Error(`golden has no <${tag}>`);
  return m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

function goldenApps(): Record<string, string>[] {
  const block = /<applications>([\s\S]*)<\/applications>/.exec(XML)![1]!;
  return [...block.matchAll(/<application>([\s\S]*?)<\/application>/g)].map((m) => {
    const app: Record<string, string> = {};
    for (const f of m[1]!.matchAll(/<(\w+)>([^<]*)<\/\1>/g)) app[f[1]!] = f[2]!;
    return app;
  });
}

const HAVE_QEMU = spawnSync('qemu-system-x86_64', ['--version']).status === 0;

describe.each([
  { backend: 'wasm' as const, run: true },
  // The appliance reads NTFS with the guest kernel and has no part-* commands: the same facts must come out.
  { backend: 'appliance' as const, run: HAVE_QEMU },
])('Windows root on windows.img ($backend backend)', ({ backend, run }) => {
  if (!run) {
    it.skip('needs qemu-system-x86_64');
    return;
  }
  let g: Guestfs;
  let r: GuestReader;
  let index: DeviceIndex;
  let facts: OsFacts;
  const warnings: string[] = [];
  const before = sha256(IMG); // fails when the fixture is missing: run 'npm run fixtures'

  beforeAll(async () => {
    g = new Guestfs({ backend });
    g.addDrive(IMG, { readonly: true });
    await g.launch();
    const call = (n: string, a: unknown[], o?: Record<string, unknown>) => g.call(n, a, o);
    index = await buildDeviceIndex(call);
    await g.mountRo('/dev/sda1', '/');
    r = guestReader(call, (m) => warnings.push(m));
    facts = unknownFacts('/dev/sda1');
    expect(await inspectWindowsRoot(r, index, facts)).toBe(true);
  }, 180_000);
  afterAll(async () => {
    await g?.close();
  });

  it('reports the facts virt-inspector reports', () => {
    expect(golden('root')).toBe(facts.root);
    expect(facts.type).toBe(golden('name'));
    expect(facts.distro).toBe(golden('distro'));
    expect(facts.arch).toBe(golden('arch'));
    expect(facts.productName).toBe(golden('product_name'));
    expect(facts.productVariant).toBe(golden('product_variant'));
    expect(facts.majorVersion).toBe(Number(golden('major_version')));
    expect(facts.minorVersion).toBe(Number(golden('minor_version')));
    expect(facts.windowsSystemroot).toBe(golden('windows_systemroot'));
    expect(facts.windowsCurrentControlSet).toBe(golden('windows_current_control_set'));
    expect(facts.hostname).toBe(golden('hostname'));
    expect(facts.osinfo).toBe(golden('osinfo'));
    const mappings = Object.fromEntries([...XML.matchAll(/<drive_mapping name="(\w)">([^<]*)</g)].map((m) => [m[1], m[2]]));
    expect(facts.driveMappings).toEqual(mappings);
    const mountpoints = Object.fromEntries([...XML.matchAll(/<mountpoint dev="([^"]*)">([^<]*)</g)].map((m) => [m[2], m[1]]));
    expect(facts.mountpoints).toEqual(mountpoints);
    expect(facts.filesystems).toEqual([...XML.matchAll(/<filesystem dev="([^"]*)">/g)].map((m) => m[1]));
  });

  it('reports what virt-inspector 1.48 leaves out: build, hive paths, format, packaging', () => {
    // CurrentBuildNumber; libguestfs >= 1.50 reports it as inspect-get-build-id.
    expect(facts.buildId).toBe('19045');
    expect(facts.windowsSoftwareHive).toBe('/Windows/System32/config/SOFTWARE');
    expect(facts.windowsSystemHive).toBe('/Windows/System32/config/SYSTEM');
    expect(facts.format).toBe('installed');
    expect(facts.packageFormat).toBe('unknown');
    expect(facts.packageManagement).toBe('unknown');
    expect(facts.isLive).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('lists the applications virt-inspector lists, in its order, with its fields', async () => {
    const apps = await listWindowsApplications(r, facts);
    const fields: Record<string, keyof (typeof apps)[number]> = {
      name: 'app2_name', display_name: 'app2_display_name', version: 'app2_version', install_path: 'app2_install_path',
      publisher: 'app2_publisher', url: 'app2_url', description: 'app2_description',
    };
    const ours = apps.map((a) => {
      const o: Record<string, string> = {};
      for (const [xml, key] of Object.entries(fields)) if (a[key] !== '') o[xml] = String(a[key]);
      return o;
    });
    expect(ours).toEqual(goldenApps());
    // Fields virt-inspector does not print stay empty for Windows.
    for (const a of apps) expect([a.app2_epoch, a.app2_release, a.app2_arch, a.app2_summary, a.app2_spare1]).toEqual([0, '', '', '', '']);
  });

  it('finds the MBR disk signature with pread-device', async () => {
    expect(Array.from(await g.preadDevice('/dev/sda', 4, 440))).toEqual([0x55, 0x1e, 0xed, 0x5e]);
    expect(await g.caseSensitivePath('/windows/system32/CONFIG/software')).toBe('/Windows/System32/config/SOFTWARE');
    // As libguestfs: the last component may be missing (kept as given), the others may not.
    expect(await g.caseSensitivePath('/WINDOWS/system32/New File.txt')).toBe('/Windows/System32/New File.txt');
    expect(await g.caseSensitivePath('/')).toBe('/');
    await expect(g.caseSensitivePath('/nope/x')).rejects.toThrow(/nope: not found/);
    await expect(g.caseSensitivePath('/windows/system32/cmd.exe/x')).rejects.toThrow(/Not a directory/);
  });

  it('pread-device reads short at the end of a device, nothing past it, and rejects bad counts', async () => {
    const size = 8 * 1024 * 1024;
    expect((await g.preadDevice('/dev/sda', 100, size - 8)).length).toBe(8);
    expect((await g.preadDevice('/dev/sda', 100, size)).length).toBe(0);
    expect(new TextDecoder().decode((await g.preadDevice('/dev/sda1', 8, 3)))).toBe('NTFS    ');
    await expect(g.preadDevice('/dev/sda', -1, 0)).rejects.toThrow(/count is negative/);
    await expect(g.preadDevice('/dev/sda', 4, -1)).rejects.toThrow(/offset is negative/);
    await expect(g.preadDevice('/dev/sda', 4 * 1024 * 1024, 0)).rejects.toThrow(/count is too large/);
    await expect(g.preadDevice('/dev/sdz', 4, 0)).rejects.toThrow();
  });

  it('left the image untouched', () => {
    expect(sha256(IMG)).toBe(before);
  });
});

describe('not a Windows root', () => {
  it('returns false and leaves the facts alone on a Linux filesystem', async () => {
    const g = new Guestfs({ backend: 'wasm' });
    g.addDrive(fixture('ext4.img'), { readonly: true });
    await g.launch();
    try {
      await g.mountRo('/dev/sda', '/');
      const call = (n: string, a: unknown[], o?: Record<string, unknown>) => g.call(n, a, o);
      const facts = unknownFacts('/dev/sda');
      expect(await inspectWindowsRoot(guestReader(call), await buildDeviceIndex(call), facts)).toBe(false);
      expect(facts).toEqual(unknownFacts('/dev/sda'));
    } finally {
      await g.close();
    }
  });
});
