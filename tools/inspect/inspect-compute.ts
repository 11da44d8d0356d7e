/**
 * What `guestkit inspect` reports: for every root inspect-os finds, the facts,
 * mountpoints, filesystems (type, label, UUID), drive mappings and applications,
 * gathered through the command table (so either backend serves it).
 */
import type { Guestfs } from '../../src/core/guestfs.js';
import { mountOrder } from '../../src/inspect/mount-inspected.js';
import { inspectedRoot } from '../../src/inspect/session.js';
import type { Application2, OsFacts } from '../../src/inspect/types.js';

export interface FilesystemReport {
  dev: string;
  type?: string;
  label?: string;
  uuid?: string;
}

export interface OsReport {
  facts: OsFacts;
  /** Sorted as virt-inspector prints them: mountpoint length, then name. */
  mountpoints: [string, string][];
  /** Sorted by device name. */
  filesystems: FilesystemReport[];
  /** Sorted by letter, case-insensitively. */
  driveMappings: [string, string][];
  applications?: Application2[];
}

async function quietString(p: Promise<unknown>): Promise<string> {
  try {
    return String(await p);
  } catch {
    return '';
  }
}

export async function computeInspection(g: Guestfs, opts: { applications: boolean }): Promise<OsReport[]> {
  const roots = (await g.call('inspect-os', [])) as string[];
  const reports: OsReport[] = [];
  for (const root of roots) {
    const facts = inspectedRoot(g, root);
    const filesystems: FilesystemReport[] = [];
    for (const dev of [...facts.filesystems].sort()) {
      const type = await quietString(g.call('vfs-type', [dev]));
      const label = await quietString(g.call('vfs-label', [dev]));
      const uuid = await quietString(g.call('vfs-uuid', [dev]));
      filesystems.push({ dev, type: type || undefined, label: label || undefined, uuid: uuid || undefined });
    }
    const driveMappings = Object.entries(facts.driveMappings)
      .sort(([a], [b]) => a.toLowerCase().localeCompare(b.toLowerCase()));
    const report: OsReport = { facts, mountpoints: mountOrder(facts.mountpoints), filesystems, driveMappings };
    if (opts.applications) {
      // As virt-inspector: mount the OS read-only (failures ignored), list, unmount.
      for (const [mountpoint, device] of report.mountpoints) {
        await g.call('mount-ro', [device, mountpoint]).catch(() => undefined);
      }
      report.applications = (await g.call('inspect-list-applications2', [root])) as unknown as Application2[];
      await g.call('umount-all', []);
    }
    reports.push(report);
  }
  return reports;
}
