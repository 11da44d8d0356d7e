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
  let failed = false;
  for (const [mountpoint, device] of mountOrder(os.mountpoints)) {
    try {
      if (opts.readOnly) await g.mountRo(device, mountpoint);
      else await g.mount(device, mountpoint);
    } catch (e) {
      if (mountpoint === '/') throw e;
      failed = true;
      opts.verbose?.(`cannot mount ${device} on ${mountpoint}: ${(e as Error).message}`);
    }
  }
  if (failed) opts.warn?.('some filesystems could not be mounted (ignored)');
  return os;
}
