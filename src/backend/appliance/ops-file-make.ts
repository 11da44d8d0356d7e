/**
 * Appliance operations for making and changing files: modes, special files,
 * rename, recursive copies, sizes, times and symlink owners. Modes arrive with
 * the umask already applied by the command.
 */
import { sq, type ApplianceBackend } from './appliance-backend.js';

/** Lines that resolve PATH into $RP (following symlinks unless follow is 0) and require it to exist. */
export function existingPath(path: string, follow: 0 | 1 = 1): string {
  return `rp ${sq(path)} ${follow} || exit 1
[ -e "$RP" ] || [ -L "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}`;
}

/** Lines that resolve a name to create into $RP: its parent must be a directory, the name must be free. */
function newName(path: string): string {
  return `rp ${sq(path)} 0 || exit 1
p=\${RP%/*}
[ -d "\${p:-/}" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
if [ -e "$RP" ] || [ -L "$RP" ]; then die EEXIST ${sq(`${path}: File exists`)}; fi`;
}

const octal = (n: number) => (n & 0o7777).toString(8);

async function mkdirMode(b: ApplianceBackend, path: string, mode: number): Promise<void> {
  await b.sh(`${newName(path)}\nmkdir -m ${octal(mode)} "$RP"`);
}

async function mknod(b: ApplianceBackend, mode: number, major: number, minor: number, path: string): Promise<void> {
  const type = { 0o010000: 'p', 0o020000: 'c', 0o060000: 'b', 0: 'f', 0o100000: 'f' }[mode & 0o170000];
  if (!type) {
    await b.sh(`die EINVAL ${sq(`${path}: Invalid argument`)}`);
    return;
  }
  if (type === 'f') {
    // mknod(2) of a regular file: an empty file with those permissions.
    await b.sh(`${newName(path)}\n: > "$RP" && chmod ${octal(mode)} "$RP"`);
    return;
  }
  const nums = type === 'p' ? '' : ` ${Math.trunc(major)} ${Math.trunc(minor)}`;
  await b.sh(`${newName(path)}\nmknod -m ${octal(mode)} "$RP" ${type}${nums}`);
}

async function rename(b: ApplianceBackend, from: string, to: string): Promise<void> {
  await b.sh(`${existingPath(from, 0)}
S=$RP
rp ${sq(to)} 0 || exit 1
p=\${RP%/*}
[ -d "\${p:-/}" ] || die ENOENT ${sq(`${to}: No such file or directory`)}
if [ -d "$RP" ] && [ ! -L "$RP" ]; then
  [ -d "$S" ] && [ ! -L "$S" ] || die EISDIR ${sq(`${to}: Is a directory`)}
  rmdir "$RP" 2>/dev/null || die ENOTEMPTY ${sq(`${to}: Directory not empty`)}
fi
mv -f -T "$S" "$RP"`);
}

async function copyTree(b: ApplianceBackend, src: string, dest: string, flags: string): Promise<void> {
  await b.sh(`${existingPath(src)}
S=$RP
rp ${sq(dest)} 1 || exit 1
p=\${RP%/*}
[ -d "\${p:-/}" ] || die ENOENT ${sq(`${dest}: No such file or directory`)}
cp ${flags} "$S" "$RP"`);
}

async function truncateSize(b: ApplianceBackend, path: string, size: number): Promise<void> {
  await b.sh(`${existingPath(path)}
[ -d "$RP" ] && die EISDIR ${sq(`${path}: Is a directory`)}
truncate -s ${Math.trunc(size)} "$RP"`);
}

async function fallocate64(b: ApplianceBackend, path: string, len: number): Promise<void> {
  await b.sh(`rp ${sq(path)} 1 || exit 1
p=\${RP%/*}
[ -d "\${p:-/}" ] || die ENOENT ${sq(`open: ${path}: No such file or directory`)}
[ -d "$RP" ] && die EISDIR ${sq(`open: ${path}: Is a directory`)}
: > "$RP" || exit 1
${len > 0 ? `fallocate -l ${Math.trunc(len)} "$RP"` : ':'}`);
}

/** One time for coreutils touch -d: "@SEC.NSEC", or now. */
function touchDate(sec: number, nsec: number): string {
  return nsec === -1 ? 'now' : `@${Math.trunc(sec)}.${String(Math.trunc(nsec)).padStart(9, '0')}`;
}

async function utimens(b: ApplianceBackend, path: string, as: number, ans: number, ms: number, mns: number): Promise<void> {
  for (const n of [ans, mns]) {
    if (n < -2 || n > 999_999_999) {
      await b.sh(`die EINVAL ${sq(`utimensat: ${path}: Invalid argument`)}`);
      return;
    }
  }
  // busybox touch has no nanoseconds: the appliance carries coreutils' touch for this.
  const steps = [ans !== -2 ? `/usr/bin/touch -h -c -a -d ${sq(touchDate(as, ans))} "$RP"` : '', mns !== -2 ? `/usr/bin/touch -h -c -m -d ${sq(touchDate(ms, mns))} "$RP"` : ''];
  await b.sh(`[ -x /usr/bin/touch ] || die ENOTSUP 'utimens: coreutils touch is not in the appliance'
${existingPath(path, 0)}
${steps.filter(Boolean).join('\n') || ':'}`);
}

async function lchown(b: ApplianceBackend, owner: number, group: number, path: string): Promise<void> {
  const spec = `${owner === -1 ? '' : owner}:${group === -1 ? '' : group}`;
  await b.sh(`${existingPath(path, 0)}\n${spec === ':' ? ':' : `chown -h ${spec} "$RP"`}`);
}

export const fileMakeOps = {
  mkdirMode,
  mknod,
  rename,
  cpA: (b: ApplianceBackend, src: string, dest: string) => copyTree(b, src, dest, '-a'),
  cpR: (b: ApplianceBackend, src: string, dest: string) => copyTree(b, src, dest, '-rP'),
  truncateSize,
  fallocate64,
  utimens,
  lchown,
};
