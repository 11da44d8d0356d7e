/**
 * The Linux detector and application lists on the Linux fixture images, on each
 * backend in GUESTKIT_TEST_BACKENDS (default: wasm, and the appliance when qemu is installed), checked fact by fact against
 * what the real virt-inspector reported for the same images (test/golden/inspect/*.xml).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { buildDeviceIndex, type DeviceIndex } from '../src/inspect/device-index.js';
import { guestReader, type GuestReader } from '../src/inspect/guest-reader.js';
import { listLinuxApplications } from '../src/inspect/linux/applications.js';
import { inspectLinuxRoot } from '../src/inspect/linux/linux-root.js';
import { unknownFacts, type Application2, type OsFacts } from '../src/inspect/types.js';
import { fixture, GOLDEN } from './helpers/fixtures.js';
import { TEST_BACKENDS } from './helpers/backends.js';

/** The few parts of virt-inspector's XML the checks need (its output is regular: one element per line, text escaped). */
function golden(name: string) {
  const xml = readFileSync(join(GOLDEN, 'inspect', `${name}.xml`), 'utf8');
  const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  const text = (block: string, tag: string) => {
    const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(block);
    return m ? unescape(m[1]) : undefined;
  };
  const os = /<operatingsystem>([\s\S]*?)<applications>|<operatingsystem>([\s\S]*?)<\/operatingsystem>/.exec(xml)!;
  const head = os[1] ?? os[2];
  const mountpoints = [...head.matchAll(/<mountpoint dev="([^"]+)">([^<]+)<\/mountpoint>/g)].map((m) => [unescape(m[2]), m[1]]);
  const filesystems = [...head.matchAll(/<filesystem dev="([^"]+)">([\s\S]*?)<\/filesystem>/g)].map((m) => ({
    dev: m[1], type: text(m[2], 'type'), label: text(m[2], 'label'), uuid: text(m[2], 'uuid'),
  }));
  const applications = [...xml.matchAll(/<application>([\s\S]*?)<\/application>/g)].map((m) => {
    const a = m[1];
    return {
      name: text(a, 'name'), epoch: Number(text(a, 'epoch') ?? 0), version: text(a, 'version') ?? '', release: text(a, 'release') ?? '',
      arch: text(a, 'arch') ?? '', url: text(a, 'url') ?? '', source: text(a, 'source_package') ?? '', summary: text(a, 'summary') ?? '',
      description: text(a, 'description') ?? '', publisher: text(a, 'publisher') ?? '',
    };
  });
  return {
    root: text(head, 'root')!, type: text(head, 'name'), arch: text(head, 'arch'), distro: text(head, 'distro'),
    productName: text(head, 'product_name'), productVariant: text(head, 'product_variant') ?? 'unknown',
    majorVersion: Number(text(head, 'major_version')), minorVersion: Number(text(head, 'minor_version')),
    packageFormat: text(head, 'package_format'), packageManagement: text(head, 'package_management'), hostname: text(head, 'hostname'),
    osinfo: text(head, 'osinfo'), mountpoints, filesystems, applications,
  };
}

function appView(a: Application2) {
  return {
    name: a.app2_name, epoch: a.app2_epoch, version: a.app2_version, release: a.app2_release, arch: a.app2_arch, url: a.app2_url,
    source: a.app2_source_package, summary: a.app2_summary, description: a.app2_description, publisher: a.app2_publisher,
  };
}

const CASES: [image: string, goldenName: string, root: string][] = [
  ['fedora.img', 'fedora', '/dev/fedora/root'],
  ['debian-efi.img', 'debian-efi', '/dev/sda2'],
  ['alpine.img', 'alpine', '/dev/sda1'],
];

/** The appliance boots a VM under TCG and answers each call over virtio-serial: give it time. */
const SLOW = 300_000;
const BACKENDS = TEST_BACKENDS;

for (const backend of BACKENDS) for (const [image, goldenName, root] of CASES) {
  describe(`Linux inspection of ${image} (${backend} backend)`, () => {
    let want: ReturnType<typeof golden>;
    let g: Guestfs;
    let r: GuestReader;
    let dev: DeviceIndex;
    const warnings: string[] = [];
    const facts: OsFacts = unknownFacts(root);
    let isRoot: boolean;
    beforeAll(async () => {
      want = golden(goldenName);
      g = new Guestfs({ backend });
      g.addDrive(fixture(image), { readonly: true });
      await g.launch();
      const call = (n: string, a: unknown[], o?: Record<string, unknown>) => g.call(n, a, o);
      dev = await buildDeviceIndex(call);
      r = guestReader(call, (m) => warnings.push(m));
      await g.mountRo(root, '/');
      isRoot = await inspectLinuxRoot(r, dev, facts);
      await g.umountAll();
    }, SLOW);
    afterAll(() => g?.close());

    it('finds the root virt-inspector found, with no warnings', () => {
      expect(isRoot).toBe(true);
      expect(facts.root).toBe(want.root);
      expect(warnings).toEqual([]);
    });

    it('reports the same OS facts as virt-inspector', () => {
      expect({
        type: facts.type, arch: facts.arch, distro: facts.distro, productName: facts.productName, productVariant: facts.productVariant,
        majorVersion: facts.majorVersion, minorVersion: facts.minorVersion, packageFormat: facts.packageFormat,
        packageManagement: facts.packageManagement, hostname: facts.hostname, osinfo: facts.osinfo,
      }).toEqual({
        type: want.type, arch: want.arch, distro: want.distro, productName: want.productName, productVariant: want.productVariant,
        majorVersion: want.majorVersion, minorVersion: want.minorVersion, packageFormat: want.packageFormat,
        packageManagement: want.packageManagement, hostname: want.hostname, osinfo: want.osinfo,
      });
      expect([facts.format, facts.isLive]).toEqual(['installed', false]);
    });

    it('reports the same mountpoints and filesystems (with type, label, UUID)', () => {
      const mountpoints = Object.entries(facts.mountpoints).map(([mp, d]) => [mp, d]);
      expect(mountpoints.sort()).toEqual([...want.mountpoints].sort());
      const filesystems = facts.filesystems.map((d) => {
        const info = dev.filesystems.find((f) => f.device === d)!;
        return { dev: d, type: info.type, label: info.label || undefined, uuid: info.uuid || undefined };
      });
      const byDev = (a: { dev: string }, b: { dev: string }) => a.dev.localeCompare(b.dev);
      expect(filesystems.sort(byDev)).toEqual([...want.filesystems].sort(byDev));
    });

    it('lists the same applications, in the same order, with the same fields', async () => {
      const mounts = Object.entries(facts.mountpoints).sort((a, b) => a[0].length - b[0].length);
      for (const [mp, d] of mounts) await g.mountRo(d, mp);
      const apps = await listLinuxApplications(r, facts);
      await g.umountAll();
      expect(apps.map(appView)).toEqual(want.applications);
      expect(want.applications.length).toBeGreaterThan(3);
    }, SLOW);
  });
}
