/**
 * virt-sysprep's operations (guestfs-tools 1.50: those of 1.48 plus
 * lvm-system-devices), sorted by name as --list-operations prints them. Globs,
 * guards and the order of removals are those of guestfs-tools'
 * sysprep/sysprep_operation_*.ml.
 */
import { ErrnoError, GuestkitError } from '../errors/index.js';
import { globExpand, globExpandAll } from '../customize/guest-files.js';
import { DEBIAN_DISTROS, guardHolds, REDHAT_DISTROS, type SysprepContext, type SysprepOperation } from './operation.js';
import { dropLines, ignoringGuestErrors, removeAll, removeMatchingFiles, rmRfOnlyFiles, valuesOf } from './file-actions.js';
import { LOGFILE_GLOBS } from './logfile-globs.js';
import { userAccountOperation } from './user-account.js';
import { customizeOperation, scriptOperation } from './customize-operation.js';

const UNIX_LIKE = ['linux', 'hurd', 'minix', 'freebsd', 'netbsd', 'openbsd'];

async function backupFiles(ctx: SysprepContext): Promise<void> {
  const tops = UNIX_LIKE.includes(ctx.facts.type) ? ['/etc', '/root', '/srv', '/tmp', '/var'] : ['/'];
  await removeMatchingFiles(ctx.g, tops, ['*.bak', '*~']);
}

async function blkidTab(ctx: SysprepContext): Promise<void> {
  if (ctx.facts.type === 'windows') return;
  const files = ['/var/run/blkid.tab', '/var/run/blkid.tab.old', '/etc/blkid/blkid.tab', '/etc/blkid/blkid.tab.old',
    '/etc/blkid.tab', '/etc/blkid.tab.old', '/dev/.blkid.tab', '/dev/.blkid.tab.old'];
  const links = await valuesOf(ctx.g, files.map((f) => ({ name: 'is-symlink', args: [f] })));
  await removeAll(ctx.g, files.filter((_, i) => links[i] !== true).map((path) => ({ name: 'rm' as const, path, quiet: true })));
}

/** rm each match (in one batch, failures ignored); a removed one means the CA store must be rebuilt. */
async function removeCerts(ctx: SysprepContext, paths: readonly string[]): Promise<void> {
  const results = await ctx.g.callMany(paths.map((p) => ({ name: 'rm', args: [p] })));
  for (const r of results) {
    if (r.ok) ctx.effects.updateSystemCaStore = true;
    else if (!(r.error instanceof GuestkitError)) throw r.error;
  }
}

async function caCertificates(ctx: SysprepContext): Promise<void> {
  if (ctx.facts.type === 'windows') return;
  const globs = ['/etc/pki/CA/certs/*.crt', '/etc/pki/CA/crl/*.crt', '/etc/pki/CA/newcerts/*.crt', '/etc/pki/CA/private/*.key',
    '/etc/pki/tls/private/*.key', '/etc/pki/tls/certs/*.crt'];
  const except = new Set(['/etc/pki/tls/certs/ca-bundle.crt', '/etc/pki/tls/certs/ca-bundle.trust.crt']);
  const found = new Set<string>();
  for (const list of await globExpandAll(ctx.g, globs)) for (const p of list) if (!except.has(p)) found.add(p);
  await removeCerts(ctx, [...found].sort()); // a set, iterated in order, as virt-sysprep's StringSet
}

async function cronSpool(ctx: SysprepContext): Promise<void> {
  const { g } = ctx;
  const isSeq = (p: string) => p.split('/').pop() === '.SEQ';
  const reset = async (f: string) => {
    if (await g.isFile(f)) await g.write(f, '00000\n'); // in place, so the file keeps its attributes
  };
  await rmRfOnlyFiles(g, '/var/spool/cron/', isSeq);
  await reset('/var/spool/cron/atjobs/.SEQ');
  for (const p of await globExpand(g, '/var/spool/atjobs/*')) await g.rm(p);
  await reset('/var/spool/atjobs/.SEQ');
  for (const p of await globExpand(g, '/var/spool/atspool/*')) await g.rm(p);
  await rmRfOnlyFiles(g, '/var/spool/at/', isSeq);
  await reset('/var/spool/at/.SEQ');
}

async function ipaClient(ctx: SysprepContext): Promise<void> {
  if (ctx.facts.type !== 'linux') return;
  const { g } = ctx;
  // The globs name disjoint files: all are expanded first, then removed in one batch.
  const globs = ['/etc/ipa/ca.crt', '/etc/ipa/default.conf', '/var/lib/ipa-client/sysrestore/*', '/var/lib/ipa-client/pki/*'];
  const found = (await globExpandAll(g, globs)).flat();
  await removeAll(g, found.map((path) => ({ name: 'rm' as const, path, quiet: true })));
  await removeCerts(ctx, ['/etc/pki/ca-trust/source/anchors/ipa-ca.crt', '/usr/local/share/ca-certificates/ipa-ca.crt', '/etc/pki/ca-trust/source/ipa.p11-kit']);
}

async function machineId(ctx: SysprepContext): Promise<void> {
  if (ctx.facts.type === 'windows') return;
  for (const p of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    if (await ctx.g.isFile(p)) await ctx.g.truncate(p);
  }
}

const isRedhat = (ctx: SysprepContext) => guardHolds('redhat', ctx.facts);

async function pacctLog(ctx: SysprepContext): Promise<void> {
  if (ctx.facts.type !== 'linux') return;
  const dir = REDHAT_DISTROS.includes(ctx.facts.distro) ? '/var/account' : DEBIAN_DISTROS.includes(ctx.facts.distro) ? '/var/log/account' : undefined;
  if (!dir) return;
  for (const p of await globExpand(ctx.g, `${dir}/pacct*`)) await ignoringGuestErrors(() => ctx.g.rm(p));
  await ignoringGuestErrors(() => ctx.g.touch(`${dir}/pacct`));
}

async function packageManagerCache(ctx: SysprepContext): Promise<void> {
  const dirs: Record<string, () => Promise<string[]>> = {
    apt: async () => ['/var/cache/apt/archives/'],
    dnf: async () => ['/var/cache/dnf/'],
    yum: async () => ['/var/cache/yum/'],
    zypper: () => globExpand(ctx.g, '/var/cache/zypp*'),
  };
  const list = dirs[ctx.facts.packageManagement];
  if (list) for (const d of await list()) await rmRfOnlyFiles(ctx.g, d);
}

async function tmpFiles(ctx: SysprepContext): Promise<void> {
  if (ctx.facts.type === 'windows') return;
  const { g } = ctx;
  for (const dir of ['/tmp', '/var/tmp']) {
    for (const p of await globExpand(g, `${dir}/*`)) await g.rmRf(p);
    // glob's '*' skips dot files: a listing catches them
    await ignoringGuestErrors(async () => {
      for (const name of (await g.ls(dir)) as string[]) await g.rmRf(`${dir}/${name}`);
    });
  }
}

async function fsUuids(ctx: SysprepContext): Promise<void> {
  const { g } = ctx;
  const fses = (await g.listFilesystems()) as Record<string, string>;
  for (const [dev, type] of Object.entries(fses)) {
    if (type === 'unknown' || dev.includes(':')) continue; // btrfs subvolumes share their volume's UUID
    try {
      await g.setUuid(dev, crypto.randomUUID());
    } catch (e) {
      ctx.warning(`cannot set random UUID on filesystem ${dev} type ${type}: ${(e as Error).message}`);
    }
  }
}

async function lvmUuids(ctx: SysprepContext): Promise<void> {
  if (ctx.facts.type !== 'linux') return;
  const { g } = ctx;
  const [pvs, vgs] = (await valuesOf(g, [{ name: 'pvs', args: [] }, { name: 'vgs', args: [] }])) as string[][];
  const hasPvs = pvs!.length > 0;
  const hasVgs = vgs!.length > 0;
  if (!hasPvs && !hasVgs) return;
  // lvm in the appliance changes UUIDs of inactive VGs only; in process nothing is activated.
  // In order, in one batch; a failure stops the rest.
  const activated = g.capabilities.runsGuestPrograms;
  await valuesOf(g, [
    ...(activated ? [{ name: 'vg-activate-all', args: [false] }] : []),
    ...(hasPvs ? [{ name: 'pvchange-uuid-all', args: [] }] : []),
    ...(hasVgs ? [{ name: 'vgchange-uuid-all', args: [] }] : []),
    ...(activated ? [{ name: 'vg-activate-all', args: [true] }] : []),
  ]);
}

export const OPERATIONS: readonly SysprepOperation[] = [
  { name: 'abrt-data', enabledByDefault: true, heading: 'Remove the crash data generated by ABRT', globs: { when: 'not-windows', rmRf: ['/var/spool/abrt/*'] } },
  { name: 'backup-files', enabledByDefault: true, heading: 'Remove editor backup files from the guest', onFilesystems: backupFiles },
  {
    name: 'bash-history', enabledByDefault: true, heading: 'Remove the bash history in the guest',
    globs: { when: 'not-windows', rmQuiet: ['/home/*/.bash_history', '/root/.bash_history'] },
  },
  { name: 'blkid-tab', enabledByDefault: true, heading: 'Remove blkid tab in the guest', onFilesystems: blkidTab },
  { name: 'ca-certificates', enabledByDefault: false, heading: 'Remove CA certificates in the guest', onFilesystems: caCertificates },
  { name: 'crash-data', enabledByDefault: true, heading: 'Remove the crash data generated by kexec-tools', globs: { when: 'linux', rmRf: ['/var/crash/*', '/var/log/dump/*'] } },
  { name: 'cron-spool', enabledByDefault: true, heading: 'Remove user at-jobs and cron-jobs', onFilesystems: cronSpool },
  customizeOperation,
  { name: 'dhcp-client-state', enabledByDefault: true, heading: 'Remove DHCP client leases', globs: { when: 'linux', rmRf: ['/var/lib/dhclient/*', '/var/lib/dhcp/*'] } },
  { name: 'dhcp-server-state', enabledByDefault: true, heading: 'Remove DHCP server leases', globs: { when: 'any', rmRf: ['/var/lib/dhcpd/*'] } },
  { name: 'dovecot-data', enabledByDefault: true, heading: 'Remove Dovecot (mail server) data', globs: { when: 'not-windows', rmQuiet: ['/var/lib/dovecot/*'] } },
  {
    name: 'firewall-rules', enabledByDefault: false, heading: 'Remove the firewall rules',
    globs: { when: 'not-windows', rmQuiet: ['/etc/sysconfig/iptables', '/etc/firewalld/services/*', '/etc/firewalld/zones/*'] },
  },
  {
    name: 'flag-reconfiguration', enabledByDefault: false, heading: 'Flag the system for reconfiguration',
    onFilesystems: async (ctx) => {
      if (ctx.facts.type !== 'windows') await ctx.g.touch('/.unconfigured');
    },
  },
  { name: 'fs-uuids', enabledByDefault: false, heading: 'Change filesystem UUIDs', onDevices: fsUuids, applianceCommands: ['set-uuid'] },
  { name: 'ipa-client', enabledByDefault: true, heading: 'Remove the IPA files', onFilesystems: ipaClient },
  {
    name: 'kerberos-data', enabledByDefault: false, heading: 'Remove Kerberos data in the guest',
    globs: { when: 'not-windows', rmQuiet: ['/var/kerberos/krb5kdc/*'], except: ['/var/kerberos/krb5kdc/kadm5.acl', '/var/kerberos/krb5kdc/kdc.conf'] },
  },
  { name: 'kerberos-hostkeytab', enabledByDefault: true, heading: 'Remove the Kerberos host keytab file in the guest', globs: { when: 'not-windows', rmQuiet: ['/etc/krb5.keytab'] } },
  { name: 'logfiles', enabledByDefault: true, heading: 'Remove many log files from the guest', globs: { when: 'linux', rmRf: LOGFILE_GLOBS } },
  {
    name: 'lvm-system-devices', enabledByDefault: true, heading: 'Remove LVM2 system.devices file',
    // LVM may scan only the devices whose WWIDs this file lists: a clone's WWIDs differ
    globs: { when: 'linux', rmF: ['/etc/lvm/devices/system.devices'] },
  },
  {
    name: 'lvm-uuids', enabledByDefault: true, heading: 'Change LVM2 PV and VG UUIDs', onDevices: lvmUuids,
    applianceCommandsWithLvm: ['pvchange-uuid-all', 'vgchange-uuid-all'],
  },
  { name: 'machine-id', enabledByDefault: true, heading: 'Remove the local machine ID', onFilesystems: machineId },
  { name: 'mail-spool', enabledByDefault: true, heading: 'Remove email from the local mail spool directory', globs: { when: 'any', rmRf: ['/var/spool/mail/*', '/var/mail/*'] } },
  {
    name: 'net-hostname', enabledByDefault: true, heading: 'Remove HOSTNAME and DHCP_HOSTNAME in network interface configuration',
    onFilesystems: async (ctx) => {
      if (isRedhat(ctx)) await dropLines(ctx.g, '/etc/sysconfig/network-scripts/ifcfg-*', (l) => l.startsWith('HOSTNAME=') || l.startsWith('DHCP_HOSTNAME='));
    },
  },
  {
    name: 'net-hwaddr', enabledByDefault: true, heading: 'Remove HWADDR (hard-coded MAC address) configuration',
    onFilesystems: async (ctx) => {
      if (isRedhat(ctx)) await dropLines(ctx.g, '/etc/sysconfig/network-scripts/ifcfg-*', (l) => l.startsWith('HWADDR='));
    },
  },
  {
    name: 'net-nmconn', enabledByDefault: true, heading: 'Remove system-local NetworkManager connection profiles (keyfiles)',
    onFilesystems: async (ctx) => {
      if (isRedhat(ctx)) for (const p of await globExpand(ctx.g, '/etc/NetworkManager/system-connections/*.nmconnection')) await ctx.g.rmF(p);
    },
  },
  { name: 'pacct-log', enabledByDefault: true, heading: 'Remove the process accounting log files', onFilesystems: pacctLog },
  { name: 'package-manager-cache', enabledByDefault: true, heading: 'Remove package manager cache', onFilesystems: packageManagerCache },
  {
    name: 'pam-data', enabledByDefault: true, heading: 'Remove the PAM data in the guest',
    globs: { when: 'not-windows', rmQuiet: ['/var/run/console/*', '/var/run/faillock/*', '/var/run/sepermit/*'] },
  },
  {
    name: 'passwd-backups', enabledByDefault: true, heading: 'Remove /etc/passwd- and similar backup files',
    globs: { when: 'linux', rmF: ['/etc/group-', '/etc/gshadow-', '/etc/passwd-', '/etc/shadow-', '/etc/subgid-', '/etc/subuid-'] },
  },
  {
    name: 'puppet-data-log', enabledByDefault: true, heading: 'Remove the data and log files of puppet',
    globs: { when: 'not-windows', rmQuiet: ['/var/log/puppet/*', '/var/lib/puppet/*/*', '/var/lib/puppet/*/*/*'] },
  },
  { name: 'rh-subscription-manager', enabledByDefault: true, heading: 'Remove the RH subscription manager files', globs: { when: 'rhel', rmRf: ['/etc/pki/consumer/*', '/etc/pki/entitlement/*'] } },
  { name: 'rhn-systemid', enabledByDefault: true, heading: 'Remove the RHN system ID', globs: { when: 'rhel', rmQuiet: ['/etc/sysconfig/rhn/systemid', '/etc/sysconfig/rhn/osad-auth.conf'] } },
  { name: 'rpm-db', enabledByDefault: true, heading: 'Remove host-specific RPM database files', globs: { when: 'rpm', rmQuiet: ['/var/lib/rpm/__db.*'] } },
  {
    name: 'samba-db-log', enabledByDefault: true, heading: 'Remove the database and log files of Samba',
    globs: { when: 'not-windows', rmQuiet: ['/var/log/samba/old/*', '/var/log/samba/*', '/var/lib/samba/*/*', '/var/lib/samba/*'] },
  },
  scriptOperation,
  { name: 'smolt-uuid', enabledByDefault: true, heading: 'Remove the Smolt hardware UUID', globs: { when: 'linux', rmQuiet: ['/etc/sysconfig/hw-uuid', '/etc/smolt/uuid', '/etc/smolt/hw-uuid'] } },
  { name: 'ssh-hostkeys', enabledByDefault: true, heading: 'Remove the SSH host keys in the guest', globs: { when: 'not-windows', rmStrict: ['/etc/ssh/*_host_*'] } },
  { name: 'ssh-userdir', enabledByDefault: true, heading: 'Remove ".ssh" directories in the guest', globs: { when: 'not-windows', rmRf: ['/home/*/.ssh', '/root/.ssh'] } },
  { name: 'sssd-db-log', enabledByDefault: true, heading: 'Remove the database and log files of sssd', globs: { when: 'not-windows', rmQuiet: ['/var/log/sssd/*', '/var/lib/sss/db/*'] } },
  { name: 'tmp-files', enabledByDefault: true, heading: 'Remove temporary files', onFilesystems: tmpFiles },
  { name: 'udev-persistent-net', enabledByDefault: true, heading: 'Remove udev persistent net rules', globs: { when: 'linux', rmQuiet: ['/etc/udev/rules.d/70-persistent-net.rules'] } },
  userAccountOperation,
  { name: 'utmp', enabledByDefault: true, heading: 'Remove the utmp file', globs: { when: 'not-windows', rmQuiet: ['/var/run/utmp'] } },
  {
    name: 'yum-uuid', enabledByDefault: true, heading: 'Remove the yum UUID',
    onFilesystems: async (ctx) => {
      if (ctx.facts.packageManagement === 'yum') await ignoringGuestErrors(() => ctx.g.rm('/var/lib/yum/uuid'));
    },
  },
];

export function findOperation(name: string): SysprepOperation | undefined {
  return OPERATIONS.find((op) => op.name === name);
}
