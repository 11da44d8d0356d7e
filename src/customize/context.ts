/** What every customize operation receives: the mounted guest, its facts, and where messages go. */
import type { Guestfs } from '../core/guestfs.js';
import type { OsFacts } from '../inspect/types.js';

export interface CustomizeReporter {
  /** A progress line ("[   1.2] Setting the hostname: web1"). */
  message(text: string): void;
  /** "guestkit customize: warning: ..." */
  warning(text: string): void;
  /** "guestkit customize: ..." (e.g. a generated password: always shown). */
  info(text: string): void;
}

export interface CustomizeContext extends CustomizeReporter {
  g: Guestfs;
  facts: OsFacts;
}

export const REDHAT_FAMILY = ['fedora', 'rhel', 'centos', 'scientificlinux', 'oraclelinux', 'rocky', 'redhat-based', 'openeuler', 'kylin', 'neokylin', 'anolis'];
export const DEBIAN_FAMILY = ['debian', 'ubuntu', 'kalilinux'];
export const SUSE_FAMILY = ['opensuse', 'sles', 'suse-based'];

/** Reads a guest text file, or undefined when it is not a regular file. */
export async function readTextIfFile(g: Guestfs, path: string): Promise<string | undefined> {
  if (!(await g.isFile(path, { followsymlinks: true }))) return undefined;
  return Buffer.from(await g.readFile(path)).toString('utf8');
}
