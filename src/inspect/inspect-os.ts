/**
 * inspect-os: finds the operating systems on the handle's disks. Each candidate
 * filesystem is mounted read-only at '/' in turn and offered to the detectors;
 * nothing is ever written (every mount is read-only and everything is unmounted
 * again, as libguestfs's inspect-os does).
 */
import type { CallFn, CallManyFn } from './guest-reader.js';
import { guestReader } from './guest-reader.js';
import { buildDeviceIndex, type DeviceIndex } from './device-index.js';
import { unknownFacts, type Application2, type OsFacts } from './types.js';
import { inspectLinuxRoot } from './linux/linux-root.js';
import { listLinuxApplications } from './linux/applications.js';
import { inspectWindowsRoot } from './windows/windows-root.js';
import { listWindowsApplications } from './windows/applications.js';
import type { GuestReader } from './guest-reader.js';

interface Detector {
  detect(r: GuestReader, dev: DeviceIndex, facts: OsFacts): Promise<boolean>;
  applications(r: GuestReader, facts: OsFacts): Promise<Application2[]>;
}

const DETECTORS: Record<string, Detector> = {
  linux: { detect: inspectLinuxRoot, applications: listLinuxApplications },
  windows: { detect: inspectWindowsRoot, applications: listWindowsApplications },
};

/** Filesystem types that can never be an OS root. */
const NOT_ROOTS = new Set(['', 'unknown', 'swap', 'LVM2_member', 'crypto_LUKS', 'linux_raid_member', 'iso9660']);

/** Inspects every filesystem; returns the roots found (in list-filesystems order) and the device index it read. */
export async function inspectOs(call: CallFn, warn: (m: string) => void, callMany?: CallManyFn): Promise<{ roots: OsFacts[]; devices: DeviceIndex }> {
  await call('umount-all', []);
  const dev = await buildDeviceIndex(call, callMany);
  const roots: OsFacts[] = [];
  for (const fs of dev.filesystems) {
    if (NOT_ROOTS.has(fs.type)) continue;
    try {
      await call('mount-ro', [fs.device, '/']);
    } catch (e) {
      warn(`inspect-os: ${fs.device}: cannot mount (${(e as Error).message}): skipped`);
      continue;
    }
    try {
      const r = guestReader(call, warn, callMany);
      const detect = async (reader: GuestReader): Promise<OsFacts | undefined> => {
        for (const detector of Object.values(DETECTORS)) {
          const facts = unknownFacts(fs.device);
          if (await detector.detect(reader, dev, facts)) return facts;
        }
        return undefined;
      };
      // The detectors' questions, asked ahead in a few batches; then the real run.
      await r.prefetch(detect);
      const facts = await detect(r);
      if (facts) roots.push(facts);
    } finally {
      await call('umount-all', []);
    }
  }
  return { roots, devices: dev };
}

/** The applications of an inspected OS; the caller has mounted its filesystems. */
export async function listApplications(call: CallFn, facts: OsFacts, warn: (m: string) => void, callMany?: CallManyFn): Promise<Application2[]> {
  const detector = DETECTORS[facts.type];
  if (!detector) return [];
  const r = guestReader(call, warn, callMany);
  await r.prefetch((reader) => detector.applications(reader, facts));
  return detector.applications(r, facts);
}
