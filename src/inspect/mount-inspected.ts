/**
 * -i: inspect the disks and mount the one OS found at its mountpoints, shortest
 * mountpoint first (so /boot lands on top of /), read-only unless writing was asked.
 */
import type { Guestfs } from '../core/guestfs.js';
import { GuestkitError } from '../errors/index.js';
import type { OsFacts } from './types.js';
import { inspectedRoot } from './session.js';

export interface MountInspectedOptions {
  readOnly: boolean;
  /** Receives progress and degraded-fact warnings (shown under -v). */
  verbose?: (msg: string) => void;
  /** Receives "some filesystems could not be mounted" (always shown, as libguestfs does). */
  warn?: (msg: string) => void;
}

/** Mountpoints of an OS in mount order: shortest first, then by name. */
export function mountOrder(mountpoints: Record<string, string>): [string, string][] {
  return Object.entries(mountpoints).sort(([a], [b]) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
}

export interface MountFailure {
  mountpoint: string;
  device: string;
  error: unknown;
}

/**
 * Mounts an inspected OS's filesystems in mount order and returns the ones that
 * failed (the caller decides what a failure means: -i needs '/', virt-inspector's
 * application listing ignores them all).
 */
export async function mountOs(g: Guestfs, os: OsFacts, readOnly: boolean): Promise<MountFailure[]> {
  const failures: MountFailure[] = [];
  for (const [mountpoint, device] of mountOrder(os.mountpoints)) {
    try {
      if (readOnly) await g.mountRo(device, mountpoint);
      else await g.mount(device, mountpoint);
    } catch (error) {
      failures.push({ mountpoint, device, error });
    }
  }
  return failures;
}

export async function inspectAndMount(g: Guestfs, opts: MountInspectedOptions): Promise<OsFacts> {
  const roots = (await g.call('inspect-os', [])) as string[];
  if (roots.length === 0) {
    throw new GuestkitError('ENOENT', 'no operating system was found on the disk: without -i, mount filesystems by hand with -m DEVICE[:MOUNTPOINT] (list them with: guestkit fish -a DISK run : list-filesystems)');
  }
  const facts = roots.map((r) => inspectedRoot(g, r));
  if (roots.length > 1) {
    const list = facts.map((f) => `${f.root} (${f.type}${f.distro !== 'unknown' ? ` ${f.distro}` : ''}${f.productName !== 'unknown' ? `, ${f.productName}` : ''})`).join('; ');
    throw new GuestkitError('EINVAL', `multi-boot operating systems are not supported by -i: found ${roots.length}: ${list}; use -m DEVICE[:MOUNTPOINT] instead`);
  }
  const os = facts[0]!;
  opts.verbose?.(`inspection found ${os.root}: ${os.type} ${os.distro} ${os.majorVersion}.${os.minorVersion}`);
  const failures = await mountOs(g, os, opts.readOnly);
  const root = failures.find((f) => f.mountpoint === '/');
  if (root) throw root.error;
  for (const f of failures) opts.verbose?.(`cannot mount ${f.device} on ${f.mountpoint}: ${(f.error as Error).message}`);
  if (failures.length > 0) opts.warn?.('some filesystems could not be mounted (ignored)');
  return os;
}
