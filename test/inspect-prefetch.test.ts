/**
 * Inspection's questions asked ahead (GuestReader.prefetch, used by inspect-os
 * and the application lists): the facts, the filesystems and the warnings are
 * those of the plain question-by-question run, on Linux and Windows guests
 * (wasm backend: the same command results as the appliance's, in process); the
 * real run after the speculation asks (almost) nothing on its own, and the
 * questions go out in a few batches.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import type { CallItem } from '../src/api/types.js';
import { inspectOs, listApplications } from '../src/inspect/inspect-os.js';
import { fixture } from './helpers/fixtures.js';

const handles: Guestfs[] = [];
afterAll(async () => {
  for (const g of handles) await g.close();
});

async function open(image: string): Promise<Guestfs> {
  const g = new Guestfs({ backend: 'wasm' });
  handles.push(g);
  g.addDrive(fixture(image), { readonly: true });
  await g.launch();
  return g;
}

describe.each(['fedora-xfs.img', 'ubuntu.img', 'windows.img', 'archlinux.img'])('inspection with prefetch: %s', (image) => {
  it('finds the same roots, facts, applications and warnings as asking one question at a time, in a few batches', async () => {
    const g = await open(image);
    const plainWarnings: string[] = [];
    let plainCalls = 0;
    const plainCall = (n: string, a: unknown[], o?: Record<string, unknown>) => {
      plainCalls++;
      return g.call(n, a, o);
    };
    const plain = await inspectOs(plainCall, (m) => plainWarnings.push(m));

    let single = 0;
    const batches: number[] = [];
    const countingCall = (n: string, a: unknown[], o?: Record<string, unknown>) => {
      single++;
      return g.call(n, a, o);
    };
    const callMany = (calls: readonly CallItem[]) => {
      batches.push(calls.length);
      return g.callMany(calls);
    };
    const warnings: string[] = [];
    const fetched = await inspectOs(countingCall, (m) => warnings.push(m), callMany);

    expect(fetched.roots).toEqual(plain.roots);
    expect(fetched.devices.filesystems).toEqual(plain.devices.filesystems);
    expect(warnings).toEqual(plainWarnings);
    expect(plain.roots.length).toBe(1);
    // Per filesystem: list/mount/unmount calls, and the few questions speculation could not reach.
    expect(single).toBeLessThan(10 + 4 * plain.devices.filesystems.length);
    // Windows reads its hives (too big to read ahead) and partition bytes alone: the gain is smaller there.
    expect(single + batches.length).toBeLessThan(plainCalls * 0.75);

    // The application list of the root, mounted as inspection mounts it.
    const root = plain.roots[0]!;
    for (const [mp, dev] of Object.entries(root.mountpoints).sort(([a], [b]) => a.length - b.length)) {
      await g.call('mount-ro', [dev, mp]).catch(() => undefined);
    }
    const appWarnings: string[] = [], plainAppWarnings: string[] = [];
    const apps = await listApplications(plainCall, root, (m) => appWarnings.push(m), (calls) => g.callMany(calls));
    const plainApps = await listApplications(plainCall, root, (m) => plainAppWarnings.push(m));
    expect(apps).toEqual(plainApps);
    expect(appWarnings).toEqual(plainAppWarnings);
    await g.call('umount-all', []);
  }, 60_000);
});
