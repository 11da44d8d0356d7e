/**
 * /etc/fstab → (mountable, mountpoint) pairs the way libguestfs builds them:
 * UUID=/LABEL=/PARTUUID=/PARTLABEL= and guest device names are resolved to
 * our device names, pseudo filesystems and removable media are dropped,
 * btrfs subvol= gives libguestfs's `btrfsvol:DEV/SUBVOL` mountable, swap
 * lines are kept (they belong to the OS's filesystems, not its mountpoints).
 * Unlike libguestfs, a line naming a device that does not exist is skipped
 * with a warning instead of being returned unresolved.
 */
import type { DeviceIndex } from '../device-index.js';
import type { GuestReader } from '../guest-reader.js';
import { shellUnquote } from './key-value.js';

export interface FstabLine {
  spec: string;
  file: string;
  vfstype: string;
  /** Mount options as written, split on ','. */
  options: string[];
  /** 1-based line number, for warnings. */
  line: number;
}

/** The entries of an fstab; malformed lines are reported through warn and skipped. */
export function parseFstab(text: string, warn: (m: string) => void): FstabLine[] {
  const out: FstabLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    if (fields.length < 3) {
      warn(`/etc/fstab:${i + 1}: cannot parse '${line}'`);
      return;
    }
    const [spec, file, vfstype, opts = ''] = fields;
    out.push({ spec, file, vfstype, options: opts === '' ? [] : opts.split(','), line: i + 1 });
  });
  return out;
}

/** "///usr//local//" → "/usr/local" (libguestfs's unix_canonical_path). */
export function canonicalPath(p: string): string {
  const parts = p.split('/').filter((c) => c !== '');
  return (p.startsWith('/') ? '/' : '') + parts.join('/');
}

const IGNORED_SPEC = /^\/dev\/(?:fd|cd)\d|^\/dev\/floppy$|^\/dev\/cdrom$|^\/dev\/iso9660\//;
const IGNORED_MOUNTPOINT = /^\/(?:dev|media|proc|selinux|sys)(?:\/|$)/;

/** What resolving needs: the root being inspected, the devices, and the reader (for partition GUIDs and warnings). */
export interface FstabContext {
  root: string;
  dev: DeviceIndex;
  r: GuestReader;
}

async function findPartition(ctx: FstabContext, query: 'part-get-gpt-guid' | 'part-get-name', wanted: string): Promise<string | undefined> {
  for (const part of ctx.dev.partitions) {
    try {
      const disk = (await ctx.r.call('part-to-dev', [part])) as string;
      const n = (await ctx.r.call('part-to-partnum', [part])) as number;
      const value = String(await ctx.r.call(query, [disk, n]));
      if (query === 'part-get-gpt-guid' ? value.toLowerCase() === wanted.toLowerCase() : value === wanted) return part;
    } catch {
      // MBR partitions have no GUID or name: not this one.
    }
  }
  return undefined;
}

/** The spec's device, null when the line is not about a block device (tmpfs, proc, …), undefined when it cannot be found. */
async function resolveSpec(spec: string, ctx: FstabContext): Promise<string | null | undefined> {
  const tagged = /^(UUID|LABEL|PARTUUID|PARTLABEL)=(.*)$/.exec(spec);
  if (tagged) {
    const value = shellUnquote(tagged[2]);
    switch (tagged[1]) {
      case 'UUID':
        return ctx.dev.byUuid(value);
      case 'LABEL':
        return ctx.dev.byLabel(value);
      case 'PARTUUID':
        return findPartition(ctx, 'part-get-gpt-guid', value);
      default:
        return findPartition(ctx, 'part-get-name', value);
    }
  }
  if (spec === '/dev/root') return ctx.root;
  if (spec.startsWith('/dev/')) return ctx.dev.resolve(spec);
  return null;
}

/** The subvolume named by subvol=, if any. */
function btrfsSubvol(options: string[]): string | undefined {
  for (const o of options) {
    const eq = o.indexOf('=');
    if (eq > 0 && o.slice(0, eq) === 'subvol') return o.slice(eq + 1);
  }
  return undefined;
}

/** The (mountable, mountpoint) pairs of the root's fstab, in file order, one '/' at most. */
export async function resolveFstab(lines: FstabLine[], ctx: FstabContext): Promise<[string, string][]> {
  const entries: [string, string][] = [];
  for (const l of lines) {
    if (IGNORED_SPEC.test(l.spec)) continue;
    const mp = canonicalPath(l.file);
    if (IGNORED_MOUNTPOINT.test(mp)) continue;
    let mountable = await resolveSpec(l.spec, ctx);
    if (mountable === null) continue;
    if (mountable === undefined) {
      ctx.r.warn(`/etc/fstab:${l.line}: ${l.spec} (${mp}) does not match any device: line ignored`);
      continue;
    }
    if (l.vfstype === 'btrfs') {
      const subvol = btrfsSubvol(l.options);
      if (subvol !== undefined && !mountable.startsWith('btrfsvol:')) mountable = `btrfsvol:${mountable}/${subvol}`;
    }
    entries.push([mountable, mp]);
  }
  return firstRootOnly(entries, ctx.r);
}

/** Several '/' lines: keep the first (libguestfs warns when they differ, RHEL-90168). */
function firstRootOnly(entries: [string, string][], r: GuestReader): [string, string][] {
  const roots = entries.filter(([, mp]) => mp === '/');
  if (roots.length <= 1) return entries;
  if (roots.some(([m]) => m !== roots[0][0])) {
    r.warn(`/etc/fstab: several different root filesystems (${roots.map(([m]) => m).join(', ')}): using the first`);
  }
  return [roots[0], ...entries.filter(([, mp]) => mp !== '/')];
}
