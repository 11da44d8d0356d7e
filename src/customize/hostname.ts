/**
 * --hostname, in the files virt-customize changes for each distro family
 * (/etc/hostname, /etc/hosts on Debian, /etc/machine-info on Red Hat,
 * /etc/sysconfig/network on old Red Hat, /etc/HOSTNAME on SUSE), plus
 * /etc/hostname on other Linux distros and the SYSTEM hive on Windows, which
 * virt-customize leaves alone.
 */
import type { Guestfs } from '../core/guestfs.js';
import { DEBIAN_FAMILY, readTextIfFile, REDHAT_FAMILY, SUSE_FAMILY, type CustomizeContext } from './context.js';
import { editHive, windowsSystem } from './hive-edit.js';

/** KEY=value replaced (or added) in a small KEY=value file. */
async function replaceKeyLine(g: Guestfs, file: string, key: string, value: string): Promise<void> {
  const old = await readTextIfFile(g, file);
  let content: string;
  if (old === undefined) content = `${key}=${value}\n`;
  else {
    const lines = old.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    content = [...lines.filter((l) => !l.startsWith(`${key}=`)), `${key}=${value}`].join('\n') + '\n';
  }
  await g.write(file, content);
}

/** The host names on each /etc/hosts line (not the address, not comments) rewritten. */
export function replaceHostInHosts(hosts: string, oldHost: string | undefined, newHost: string): string {
  const split = (h: string) => {
    const i = h.indexOf('.');
    return i < 0 ? [h, ''] : [h.slice(0, i), h.slice(i + 1)];
  };
  const [oldShort] = oldHost === undefined ? [undefined] : split(oldHost);
  const [newShort, newDomain] = split(newHost);
  return hosts.split('\n').map((line) => {
    const hash = line.indexOf('#');
    const body = hash < 0 ? line : line.slice(0, hash);
    const comment = hash < 0 ? '' : line.slice(hash);
    let n = 0;
    const replaced = body.replace(/\S+/g, (tok) => {
      if (n++ === 0) return tok; // the address
      if (oldHost !== undefined && tok === oldHost) return newHost;
      if (oldShort !== undefined && tok === oldShort) return newShort!;
      if (tok === 'unassigned-hostname') return newShort!;
      if (tok === 'unassigned-hostname.unassigned-domain' && newDomain !== '') return newHost;
      return tok;
    });
    return replaced + comment;
  }).join('\n');
}

/** Sets the hostname; false when this kind of guest has no known place for it. */
export async function setHostname(ctx: CustomizeContext, hostname: string): Promise<boolean> {
  const { g, facts } = ctx;
  const { type, distro, majorVersion: major } = facts;
  if (type === 'windows') {
    const { hive, controlSet } = windowsSystem(facts);
    // The NetBIOS name is at most 15 characters, upper case.
    const netbios = hostname.split('.')[0]!.slice(0, 15).toUpperCase();
    await editHive(g, hive, [
      { key: [controlSet, 'Control', 'ComputerName', 'ComputerName'], values: { ComputerName: { type: 'sz', value: netbios } } },
      { key: [controlSet, 'Services', 'Tcpip', 'Parameters'], values: { Hostname: { type: 'sz', value: hostname.split('.')[0]! }, 'NV Hostname': { type: 'sz', value: hostname.split('.')[0]! } } },
    ]);
    return true;
  }
  if (type !== 'linux') return false;
  const etcHostname = () => g.write('/etc/hostname', `${hostname}\n`);
  if ((distro === 'fedora' && major >= 18) || (REDHAT_FAMILY.includes(distro) && distro !== 'fedora' && major >= 7)) {
    await etcHostname();
    await replaceKeyLine(g, '/etc/machine-info', 'PRETTY_HOSTNAME', hostname);
    return true;
  }
  if (DEBIAN_FAMILY.includes(distro)) {
    const old = (await readTextIfFile(g, '/etc/hostname'))?.split('\n')[0];
    await etcHostname();
    const hosts = await readTextIfFile(g, '/etc/hosts');
    if (hosts !== undefined) {
      const updated = replaceHostInHosts(hosts, old, hostname);
      if (updated !== hosts) await g.write('/etc/hosts', updated);
    }
    return true;
  }
  if (REDHAT_FAMILY.includes(distro)) {
    await replaceKeyLine(g, '/etc/sysconfig/network', 'HOSTNAME', hostname);
    return true;
  }
  if (SUSE_FAMILY.includes(distro)) {
    await g.write('/etc/HOSTNAME', hostname);
    return true;
  }
  // Other Linux distros (Arch, Alpine, ...): /etc/hostname is where systemd and busybox look.
  if (await g.isDir('/etc', { followsymlinks: true })) {
    await etcHostname();
    return true;
  }
  return false;
}
