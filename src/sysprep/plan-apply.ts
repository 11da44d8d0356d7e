/**
 * The planned sysprep's choices and its apply phase: which runs can be planned
 * (decided from the selected operations and the options, before anything
 * runs), which filesystems the plan writes to, and the planned writes applied
 * in one batch on a handle that writes them (Guestfs.callMany: on the
 * appliance, the removals go out as one agent request).
 */
import type { Guestfs } from '../core/guestfs.js';
import { GuestkitError, formatError } from '../errors/index.js';
import type { SysprepOperation, SysprepSettings } from './operation.js';
import { stepPath, type PlannedStep } from './plan.js';

/**
 * The operations whose guest calls the plan models (reads, and writes among
 * rm/rm-f/rm-rf/write/write-append/touch/truncate/mkdir/chmod/chown, plus the CA
 * store's sh at the very end). customize only with no option of its own (the
 * random seed, the machine id, the SELinux relabel flag); script only without
 * --script. fs-uuids sets UUIDs of filesystems the appliance writes: not planned.
 */
const PLANNED_OPERATIONS: ReadonlySet<string> = new Set([
  'abrt-data', 'backup-files', 'bash-history', 'blkid-tab', 'ca-certificates', 'crash-data', 'cron-spool', 'customize',
  'dhcp-client-state', 'dhcp-server-state', 'dovecot-data', 'firewall-rules', 'flag-reconfiguration', 'ipa-client',
  'kerberos-data', 'kerberos-hostkeytab', 'logfiles', 'lvm-system-devices', 'lvm-uuids', 'machine-id', 'mail-spool',
  'net-hostname', 'net-hwaddr', 'net-nmconn', 'pacct-log', 'package-manager-cache', 'pam-data', 'passwd-backups',
  'puppet-data-log', 'rh-subscription-manager', 'rhn-systemid', 'rpm-db', 'samba-db-log', 'script', 'smolt-uuid',
  'ssh-hostkeys', 'ssh-userdir', 'sssd-db-log', 'tmp-files', 'udev-persistent-net', 'user-account', 'utmp', 'yum-uuid',
]);

/** Why these operations and options cannot be planned, or undefined when they can. */
export function planRefusal(ops: readonly SysprepOperation[], settings: SysprepSettings, mountOptions: string): string | undefined {
  if (mountOptions !== '') return '--mount-options mounts in the appliance';
  for (const op of ops) {
    if (!PLANNED_OPERATIONS.has(op.name)) return `the ${op.name} operation is not planned`;
    if (op.name === 'customize' && settings.customize.ops.length > 0) return 'customize options are not planned';
    if (op.name === 'script' && settings.scripts.length > 0) return '--script programs are not planned';
  }
  return undefined;
}

/** Of an OS's mountpoints (mountpoint → device), those a plan writes under: the deepest mountpoint holding each written path ('/' always). */
export function mountpointsWritten(mountpoints: Record<string, string>, steps: readonly PlannedStep[]): Set<string> {
  const mps = Object.keys(mountpoints);
  const out = new Set<string>(['/']);
  const holding = (p: string) => mps.filter((mp) => mp === '/' || p === mp || p.startsWith(`${mp}/`)).sort((a, b) => b.length - a.length)[0];
  for (const s of steps) {
    const p = stepPath(s);
    if (p === 'all') return new Set(mps);
    const mp = holding(p);
    if (mp) out.add(mp);
  }
  // a mountpoint inside another (/boot/efi in /boot) needs that one mounted first
  for (const mp of [...out]) for (const outer of mps) if (mp.startsWith(`${outer}/`)) out.add(outer);
  return out;
}

/** The planned writes, in order, in one batch; the first failure stops the rest and is raised as "OPERATION: error". */
export async function applyPlan(g: Guestfs, steps: readonly PlannedStep[]): Promise<void> {
  const results = await g.callMany(steps.map((s) => ({ name: s.name, args: s.args, optargs: s.optargs, fatal: true })));
  results.forEach((r, i) => {
    if (r.ok) return;
    const code = r.error instanceof GuestkitError ? r.error.code : 'EIO';
    throw new GuestkitError(code, `${steps[i]!.op}: ${formatError(r.error)}`, { cause: r.error });
  });
}
