/**
 * The smaller per-guest operations: --timezone, --ssh-inject, --append-line,
 * and what virt-customize does on every run (a fresh random seed, a machine id
 * for an empty /etc/machine-id, an SELinux relabel scheduled where needed).
 */
import { randomBytes } from 'node:crypto';
import { ErrnoError } from '../errors/index.js';
import type { Guestfs } from '../core/guestfs.js';
import { DEBIAN_FAMILY, readTextIfFile, REDHAT_FAMILY, SUSE_FAMILY, type CustomizeContext } from './context.js';
import { lnSf } from './guest-files.js';

const S_IFMT = 0o170000, S_IFREG = 0o100000;

/** /etc/localtime → /usr/share/zoneinfo/TZ (Linux); false elsewhere. */
export async function setTimezone(ctx: CustomizeContext, tz: string): Promise<boolean> {
  if (ctx.facts.type !== 'linux') return false;
  const target = `/usr/share/zoneinfo/${tz}`;
  if (!(await ctx.g.exists(target))) throw new ErrnoError('ENOENT', `timezone '${tz}' does not exist, use a location like 'Europe/London'`);
  await lnSf(ctx.g, target, '/etc/localtime');
  return true;
}

/** Appends the key to USER's ~/.ssh/authorized_keys, creating both with the user's ownership. */
export async function sshInject(ctx: CustomizeContext, user: string, key: string): Promise<void> {
  const { g } = ctx;
  const passwd = await readTextIfFile(g, '/etc/passwd');
  const entry = passwd?.split('\n').map((l) => l.split(':')).find((f) => f[0] === user && f.length >= 7);
  if (!entry) throw new ErrnoError('ENOENT', `ssh-inject: the user ${user} does not exist on the guest`);
  const uid = Number(entry[2]), gid = Number(entry[3]), home = entry[5]!;
  if (!home.startsWith('/')) throw new ErrnoError('EINVAL', `ssh-inject: the home directory of ${user} ('${home}') is not an absolute path`);
  const sshDir = `${home.replace(/\/+$/, '')}/.ssh`;
  if (!(await g.exists(sshDir))) {
    await g.mkdir(sshDir);
    await g.chmod(0o700, sshDir);
    await g.chown(uid, gid, sshDir);
  }
  const authKeys = `${sshDir}/authorized_keys`;
  if (!(await g.exists(authKeys))) {
    await g.touch(authKeys);
    await g.chmod(0o600, authKeys);
    await g.chown(uid, gid, authKeys);
  }
  await g.writeAppend(authKeys, key);
}

/**
 * --append-line: the file's own line ending (the first \r\n, \n or \r in its first
 * 8 KiB; else the guest's default), with a line ending added first when the
 * file does not end with one. A missing file is created with the line.
 */
export async function appendLine(ctx: CustomizeContext, path: string, line: string): Promise<void> {
  const { g } = ctx;
  const defaultNewline = ctx.facts.type === 'windows' ? '\r\n' : '\n';
  if (!(await g.exists(path))) {
    await g.write(path, line + defaultNewline);
    return;
  }
  const st = (await g.statns(path)) as Record<string, number>;
  if ((st.st_mode! & S_IFMT) !== S_IFREG) throw new ErrnoError('EINVAL', `append_line: ${path} is not a file`);
  const content = Buffer.from(await g.readFile(path)).toString('latin1');
  const head = content.slice(0, 8192);
  const newline = head.includes('\r\n') ? '\r\n' : head.includes('\n') ? '\n' : head.includes('\r') ? '\r' : defaultNewline;
  const size = content.length;
  const last = size === 0 ? newline : size >= newline.length ? content.slice(size - newline.length) : content;
  const text = (last === newline ? '' : newline) + line + newline;
  await g.writeAppend(path, new Uint8Array(Buffer.from(text, 'latin1')));
}

const SEED_FILES = ['/var/lib/random-seed', '/var/lib/systemd/random-seed', '/var/lib/urandom/random-seed', '/var/lib/misc/random-seed', '/etc/random-seed'];

async function writeSeed(g: Guestfs, file: string, exists: boolean): Promise<void> {
  if (exists) {
    const size = ((await g.statns(file)) as Record<string, number>).st_size!;
    // Usually 512 bytes, sometimes 8 while the guest was being built: [512, 8192].
    await g.write(file, randomBytes(Math.min(Math.max(size, 512), 8192)));
  } else {
    await g.write(file, randomBytes(512));
    await g.chown(0, 0, file);
    await g.chmod(0o600, file);
  }
}

/** A fresh random seed where the guest keeps one (or where its distro would); false if none. */
export async function setRandomSeed(ctx: CustomizeContext): Promise<boolean> {
  const { g, facts } = ctx;
  if (facts.type !== 'linux') return false;
  let created = false;
  // Writing one seed changes no other path's type: every test in one batch first.
  const tests = await g.callMany(SEED_FILES.map((f) => ({ name: 'is-file', args: [f], fatal: true })));
  for (const [i, f] of SEED_FILES.entries()) {
    const r = tests[i]!;
    if (!r.ok) throw r.error;
    if (r.value === true) {
      await writeSeed(g, f, true);
      created = true;
    }
  }
  if (created) return true;
  const d = facts.distro;
  const file = REDHAT_FAMILY.includes(d) && !['openeuler', 'kylin', 'neokylin', 'anolis'].includes(d) ? '/var/lib/random-seed'
    : DEBIAN_FAMILY.includes(d) ? '/var/lib/urandom/random-seed'
    : SUSE_FAMILY.includes(d) ? '/var/lib/misc/random-seed'
    : d === 'cirros' ? '/etc/random-seed' : undefined;
  if (!file || !(await g.isDir(file.slice(0, file.lastIndexOf('/'))))) return false;
  await writeSeed(g, file, false);
  return true;
}

/** An empty /etc/machine-id gets a random id (systemd's format) so package scripts that need one work. */
export async function setMachineIdIfEmpty(ctx: CustomizeContext): Promise<boolean> {
  const { g } = ctx;
  const file = '/etc/machine-id';
  let st: Record<string, number>;
  try {
    st = (await g.lstatns(file)) as Record<string, number>;
  } catch {
    return false;
  }
  if ((st.st_mode! & S_IFMT) !== S_IFREG || st.st_size !== 0) return false;
  await g.write(file, `${randomBytes(16).toString('hex')}\n`);
  return true;
}

/** SELinux guests: without setfiles here, schedule a relabel at the next boot (/.autorelabel). */
export async function scheduleSelinuxRelabel(ctx: CustomizeContext): Promise<boolean> {
  const { g } = ctx;
  if (!(await g.isFile('/usr/sbin/load_policy', { followsymlinks: true })) || !(await g.isFile('/etc/selinux/config', { followsymlinks: true }))) return false;
  await g.touch('/.autorelabel');
  return true;
}
