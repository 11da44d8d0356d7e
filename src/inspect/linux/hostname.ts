/**
 * A Linux guest's hostname, from the places libguestfs looks in order:
 * /etc/HOSTNAME (old Debian and SUSE), /etc/hostname, then HOSTNAME= in
 * /etc/sysconfig/network (Red Hat before F18/RHEL 7).
 */
import type { GuestReader } from '../guest-reader.js';
import { readSmallLines } from './guest-path.js';
import { parseKeyValues, shellUnquote } from './key-value.js';

/** The first line that is neither empty nor a comment. */
export function hostnameFromLines(lines: string[]): string | undefined {
  return lines.find((l) => l !== '' && !l.startsWith('#'));
}

export async function linuxHostname(r: GuestReader): Promise<string | undefined> {
  for (const file of ['/etc/HOSTNAME', '/etc/hostname']) {
    const lines = await readSmallLines(r, file);
    const name = lines && hostnameFromLines(lines);
    if (name) return name;
  }
  if (!(await r.isFile('/etc/sysconfig/network'))) return undefined;
  const lines = await readSmallLines(r, '/etc/sysconfig/network');
  if (!lines) return undefined;
  let name: string | undefined;
  for (const [key, value] of parseKeyValues(lines.map((l) => l.trim()), shellUnquote)) {
    if (key === 'HOSTNAME') name = value;
  }
  return name;
}
