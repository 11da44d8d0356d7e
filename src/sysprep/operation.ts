/**
 * One virt-sysprep operation as data: its name, whether a plain run does it,
 * its one-line heading (--list-operations), and what it does. Most operations
 * only delete files matching globs; those are described by their globs (see
 * file-actions.ts) rather than by code.
 */
import type { Guestfs } from '../core/guestfs.js';
import type { OsFacts } from '../inspect/types.js';
import type { CustomizeReporter } from '../customize/context.js';
import type { ParsedOps } from '../customize/ops.js';
import type { UserAccountChoice } from './user-account.js';

/** What the command line gives the operations that take arguments. */
export interface SysprepSettings {
  /** The customize operation's options, in command-line order. */
  customize: ParsedOps;
  /** --remove-user-accounts / --keep-user-accounts. */
  users: UserAccountChoice;
  /** --script: programs to run against the guest's files (in the appliance, the guest's root their current directory). */
  scripts: string[];
}

/** What an operation may ask the run to do after the filesystem operations. */
export interface SideEffects {
  /** A CA certificate was removed: the guest's CA store must be rebuilt. */
  updateSystemCaStore: boolean;
}

export interface SysprepContext extends CustomizeReporter {
  g: Guestfs;
  facts: OsFacts;
  effects: SideEffects;
  settings: SysprepSettings;
  /** What a --script program printed, passed on to guestkit's stdout. */
  output(text: string): void;
}

/** Which guests a glob-only operation applies to (virt-sysprep's checks on inspect-get-type/-distro). */
export type Guard =
  | 'any'
  | 'linux'
  | 'not-windows'
  | 'redhat' // fedora, rhel, centos, scientificlinux, oraclelinux, redhat-based
  | 'rhel'
  | 'rpm'; // package format rpm

/** Deletions by glob, in the order listed (each list is glob-expanded in turn). */
export interface GlobRemovals {
  when: Guard;
  /** rm-rf every match. */
  rmRf?: readonly string[];
  /** rm every match; a failure (a directory, say) is ignored. */
  rmQuiet?: readonly string[];
  /** rm every match; a failure stops the run. */
  rmStrict?: readonly string[];
  /** rm-f each literal path. */
  rmF?: readonly string[];
  /** Matches never removed. */
  except?: readonly string[];
}

export interface SysprepOperation {
  name: string;
  enabledByDefault: boolean;
  heading: string;
  /** Run order before the name (virt-sysprep's `order`: customize is 99, so it runs last). */
  order?: number;
  /** Deletions by glob; run before `onFilesystems` when both are present. */
  globs?: GlobRemovals;
  /** Work on the mounted guest. */
  onFilesystems?: (ctx: SysprepContext) => Promise<void>;
  /** Work on the block devices, after everything is unmounted. */
  onDevices?: (ctx: SysprepContext) => Promise<void>;
  /** Commands (fish names) it calls that only the appliance may have, for the backend choice. */
  applianceCommands?: readonly string[];
  /** The same, called only when the drives hold LVM physical volumes. */
  applianceCommandsWithLvm?: readonly string[];
}

/** sysprep's own distro lists (narrower than customize's families in src/customize/context.ts). */
export const REDHAT_DISTROS = ['fedora', 'rhel', 'centos', 'scientificlinux', 'oraclelinux', 'redhat-based'];
export const DEBIAN_DISTROS = ['debian', 'ubuntu', 'kalilinux'];

/** Whether a guarded operation applies to this guest. */
export function guardHolds(guard: Guard, facts: OsFacts): boolean {
  switch (guard) {
    case 'any': return true;
    case 'linux': return facts.type === 'linux';
    case 'not-windows': return facts.type !== 'windows';
    case 'redhat': return facts.type === 'linux' && REDHAT_DISTROS.includes(facts.distro);
    case 'rhel': return facts.type === 'linux' && facts.distro === 'rhel';
    case 'rpm': return facts.packageFormat === 'rpm';
  }
}
