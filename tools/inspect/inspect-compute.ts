/**
 * What `guestkit inspect` reports: for every root inspect-os finds, the facts,
 * mountpoints, filesystems (type, label, UUID), drive mappings and applications,
 * gathered through the command table (so either backend serves it).
 */
import type { Guestfs } from '../../src/core/guestfs.js';
import { mountOrder, mountOs } from '../../src/inspect/mount-inspected.js';
import { inspectedFilesystem, inspectedRoot } from '../../src/inspect/session.js';
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

export async function computeInspection(g: Guestfs, opts: { applications: boolean }): Promise<OsReport[]> {
  const roots = (await g.call('inspect-os', [])) as string[];
  const reports: OsReport[] = [];
  for (const root of roots) {
    const facts = inspectedRoot(g, root);
    // Type, label and UUID as inspect-os read them (the same vfs-* answers virt-inspector asks for again).
    const filesystems: FilesystemReport[] = [...facts.filesystems].sort().map((dev) => {
      const fs = inspectedFilesystem(g, dev);
      return { dev, type: fs?.type || undefined, label: fs?.label || undefined, uuid: fs?.uuid || undefined };
    });
    const driveMappings = Object.entries(facts.driveMappings)
      .sort(([a], [b]) => a.toLowerCase().localeCompare(b.toLowerCase()));
    const report: OsReport = { facts, mountpoints: mountOrder(facts.mountpoints), filesystems, driveMappings };
    if (opts.applications) {
      // As virt-inspector: mount the OS read-only (failures ignored), list, unmount.
      await mountOs(g, facts, true);
      report.applications = (await g.call('inspect-list-applications2', [root])) as unknown as Application2[];
      await g.call('umount-all', []);
    }
    reports.push(report);
  }
  return reports;
}
