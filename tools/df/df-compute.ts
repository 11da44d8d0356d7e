/**
 * What virt-df computes: every filesystem on the handle's disks (swap and unknown
 * ones skipped), mounted read-only in turn, with its statvfs figures.
 */
import type { Guestfs } from '../../src/core/guestfs.js';

export interface DfRow {
  device: string;
  stat: Record<string, number>;
}

export async function dfRows(g: Guestfs, verbose: (msg: string) => void): Promise<DfRow[]> {
  const rows: DfRow[] = [];
  const fses = await g.listFilesystems();
  for (const [device, type] of Object.entries(fses)) {
    if (type === '' || type === 'swap' || type === 'unknown') continue;
    // A filesystem that cannot be mounted is left out silently, as virt-df does.
    try {
      await g.mountRo(device, '/');
      try {
        rows.push({ device, stat: (await g.statvfs('/')) as Record<string, number> });
      } finally {
        await g.umountAll();
      }
    } catch (e) {
      verbose(`${device}: ${(e as Error).message}`);
    }
  }
  return rows;
}

/**
 * The name virt-df shows for the guest: the image's file name (or the last part
 * of a URI), with one '+' for each further disk.
 */
export function displayName(files: string[]): string {
  const one = (f: string) => {
    if (/^nbd(\+unix)?:\/\//.test(f)) {
      const tail = f.slice(f.lastIndexOf('/') + 1);
      return tail.length > 0 ? tail : f;
    }
    return f.slice(f.lastIndexOf('/') + 1);
  };
  return one(files[0]!) + '+'.repeat(files.length - 1);
}
