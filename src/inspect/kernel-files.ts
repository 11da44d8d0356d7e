/**
 * Which kernel and initramfs virt-get-kernel takes from a Linux guest: the
 * /boot/vmlinuz-* with the highest version (/boot/vmlinux-* when there is no
 * compressed one), and the highest-versioned initramfs of the first family
 * present (initramfs-*, else initrd-*, else Debian's initrd.img-*), versions
 * compared as libguestfs does: runs of digits by value, other runs as text.
 */
import type { Guestfs } from '../core/guestfs.js';
import { ErrnoError } from '../errors/index.js';

type Token = number | string;

function versionTokens(s: string): Token[] {
  return (s.match(/\d+|\D+/g) ?? []).map((t) => (/^\d/.test(t) ? Number(t) : t));
}

/** <0, 0, >0 as a sorts before, with or after b by version. */
export function compareVersion(a: string, b: string): number {
  const x = versionTokens(a), y = versionTokens(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]!, q = y[i]!;
    if (p === q) continue;
    if (typeof p === 'number' && typeof q === 'number') return p - q;
    return String(p) < String(q) ? -1 : 1;
  }
  return x.length - y.length;
}

/** The names in /boot starting with the first of `prefixes` that has any, as /boot paths. */
function family(names: string[], prefixes: string[]): string[] {
  for (const p of prefixes) {
    const found = names.filter((n) => n.startsWith(p) && n.length > p.length).map((n) => `/boot/${n}`);
    if (found.length) return found;
  }
  return [];
}

const newest = (paths: string[]): string | undefined => [...paths].sort(compareVersion).at(-1);

/** The guest paths to fetch: the kernel, then the initramfs when there is one. `root` names the OS in the error. */
export async function pickKernelFiles(g: Guestfs, root: string): Promise<string[]> {
  const names = (await g.call('is-dir', ['/boot'], { followsymlinks: true })) ? ((await g.call('ls', ['/boot'])) as string[]) : [];
  const kernel = newest(family(names, ['vmlinuz-', 'vmlinux-']));
  if (kernel === undefined) throw new ErrnoError('ENOENT', `no kernel found in ${root}`);
  const initrd = newest(family(names, ['initramfs-', 'initrd-', 'initrd.img-']));
  return initrd === undefined ? [kernel] : [kernel, initrd];
}

/** The host name a guest file is saved under: its base name, cut at the first '-' (--unversioned-names), after PREFIX- (--prefix). */
export function kernelDestName(guestPath: string, o: { unversioned?: boolean; prefix?: string }): string {
  let name = guestPath.slice(guestPath.lastIndexOf('/') + 1);
  if (o.unversioned && name.includes('-')) name = name.slice(0, name.indexOf('-'));
  return o.prefix !== undefined ? `${o.prefix}-${name}` : name;
}
