/**
 * Appliance operations for extended attributes, POSIX ACLs, file capabilities
 * and ext2 inode flags, through attr's getfattr/setfattr, acl's getfacl/setfacl,
 * libcap's getcap/setcap and e2fsprogs' lsattr/chattr in the appliance. A tool
 * that is missing there is a one-line ENOTSUP naming it.
 */
import { ErrnoError } from '../../errors/index.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { existingPath } from './ops-file-make.js';

const need = (prog: string, what: string) =>
  `command -v ${prog} >/dev/null || die ENOTSUP '${what}: not supported by the appliance backend (no ${prog} in the appliance)'`;

/** Turns a tool's "...: No such attribute" and friends into the errno libguestfs reports. */
const XATTR_ERRORS = `case $err in
  *'No such attribute'*|*'No data available'*) die ENODATA "$E: No data available" ;;
  *'Operation not supported'*) die ENOTSUP "$E: Operation not supported" ;;
  *'Numerical result out of range'*) die ERANGE "$E: Numerical result out of range" ;;
  *) die EIO "$E: $err" ;;
esac`;

/** Runs a setfattr COMMAND; its failure becomes LABEL: strerror, with the errno. */
function runXattr(label: string, command: string): string {
  return `E=${sq(label)}
err=$(${command} 2>&1 >/dev/null) || { err=\${err##*: }
${XATTR_ERRORS}
}`;
}

/** getfattr's dump lines (-e hex): NAME=0xHEX, values exact whatever bytes they hold. */
function parseDump(text: string): { attrname: string; attrval: Buffer }[] {
  const res: { attrname: string; attrval: Buffer }[] = [];
  for (const l of text.split('\n')) {
    const m = /^([^=#][^=]*)=0x([0-9a-f]*)$/.exec(l);
    if (m) res.push({ attrname: m[1]!, attrval: Buffer.from(m[2]!, 'hex') });
  }
  return res;
}

async function getxattr(b: ApplianceBackend, path: string, name: string, follow: boolean): Promise<Uint8Array> {
  const out = await b.shText(`${need('getfattr', 'extended attributes')}
${existingPath(path, follow ? 1 : 0)}
getfattr ${follow ? '' : '-h '}--absolute-names -n ${sq(name)} -e hex -- "$RP" 2>/tmp/.xerr || {
  err=$(cat /tmp/.xerr); err=\${err##*: }; E=getxattr
  ${XATTR_ERRORS}
}`);
  return parseDump(out)[0]?.attrval ?? new Uint8Array(0);
}

async function getxattrs(b: ApplianceBackend, path: string): Promise<{ attrname: string; attrval: string }[]> {
  const out = await b.shText(`${need('getfattr', 'extended attributes')}
${existingPath(path, 1)}
getfattr --absolute-names -d -m - -e hex -- "$RP" 2>/dev/null; :`);
  return parseDump(out).map((x) => ({ attrname: x.attrname, attrval: x.attrval.toString('latin1') }));
}

async function setxattr(b: ApplianceBackend, name: string, value: Uint8Array, path: string, follow: boolean): Promise<void> {
  await b.sh(`${need('setfattr', 'extended attributes')}
${existingPath(path, follow ? 1 : 0)}
${runXattr('setxattr', `setfattr ${follow ? '' : '-h '}-n ${sq(name)} -v 0x${Buffer.from(value).toString('hex')} -- "$RP"`)}`);
}

async function removexattr(b: ApplianceBackend, name: string, path: string, follow: boolean): Promise<void> {
  await b.sh(`${need('setfattr', 'extended attributes')}
${existingPath(path, follow ? 1 : 0)}
${runXattr('removexattr', `setfattr ${follow ? '' : '-h '}-x ${sq(name)} -- "$RP"`)}`);
}

async function aclGetFile(b: ApplianceBackend, path: string, type: string): Promise<string> {
  const out = await b.shText(`${need('getfacl', 'acl')}
${existingPath(path)}
getfacl -c -E -n -p ${type === 'default' ? '-d ' : ''}-- "$RP"`);
  // getfacl ends the listing with an empty line; acl_to_text does not.
  return out.replace(/\n+$/, '\n').replace(/^\n$/, '');
}

async function aclSetFile(b: ApplianceBackend, path: string, type: string, acl: string): Promise<void> {
  const spec = acl.split(/[\n,]/).map((s) => s.trim()).filter(Boolean).join(',');
  // acl_set_file(3) refuses an ACL with named entries and no mask; setfacl would add one.
  const entries = spec.split(',');
  const named = entries.some((e) => /^(u|user|g|group):[^:]+:/.test(e));
  const mask = entries.some((e) => /^(m|mask):/.test(e));
  if (named && !mask) throw new ErrnoError('EINVAL', `${path}: Invalid argument`);
  await b.sh(`${need('setfacl', 'acl')}
${existingPath(path)}
${type === 'default' ? '[ -d "$RP" ] || die EACCES ' + sq(`${path}: Permission denied`) + '\n' : ''}setfacl ${type === 'default' ? '-d ' : ''}--set ${sq(spec)} -- "$RP"`);
}

async function aclDeleteDefFile(b: ApplianceBackend, dir: string): Promise<void> {
  await b.sh(`${need('setfacl', 'acl')}
${existingPath(dir)}
setfacl -k -- "$RP"`);
}

async function capGetFile(b: ApplianceBackend, path: string): Promise<string> {
  const out = await b.shText(`${need('getcap', 'linuxcaps')}
${existingPath(path)}
getcap -- "$RP"`);
  // "PATH CAPS" (libcap ≥ 2.41); no output when the file has none.
  const line = out.split('\n')[0] ?? '';
  const sp = line.lastIndexOf(' ');
  return sp < 0 ? '' : line.slice(sp + 1);
}

async function capSetFile(b: ApplianceBackend, path: string, cap: string): Promise<void> {
  await b.sh(`${need('setcap', 'linuxcaps')}
${existingPath(path)}
setcap ${sq(cap)} "$RP"`);
}

async function getE2attrs(b: ApplianceBackend, path: string): Promise<string> {
  const out = await b.shText(`${need('lsattr', 'get-e2attrs')}
${existingPath(path)}
lsattr -d -- "$RP"`);
  // The flags sorted, as libguestfs returns them ("ai", not lsattr's "ia").
  return [...(out.split(' ')[0] ?? '').replace(/-/g, '')].sort().join('');
}

/** Why chattr must not get these flags: letters only, once each, none of chattr's own option letters (as libguestfs checks). */
function e2attrsProblem(attrs: string): string | undefined {
  const seen = new Set<string>();
  for (const c of attrs) {
    if (!/[a-zA-Z]/.test(c) || 'RVfv'.includes(c)) return `bad file attribute '${c}'`;
    if (seen.has(c)) return `file attribute '${c}' given more than once`;
    seen.add(c);
  }
  return undefined;
}

async function setE2attrs(b: ApplianceBackend, path: string, attrs: string, clear = false): Promise<void> {
  if (!attrs) return;
  const problem = e2attrsProblem(attrs);
  if (problem) throw new ErrnoError('EINVAL', problem);
  await b.sh(`${need('chattr', 'set-e2attrs')}
${existingPath(path)}
chattr ${clear ? '-' : '+'}${attrs} -- "$RP"`);
}

async function getE2generation(b: ApplianceBackend, path: string): Promise<number> {
  const out = await b.shText(`${need('lsattr', 'get-e2generation')}
${existingPath(path)}
lsattr -v -d -- "$RP"`);
  return Number(out.trim().split(/\s+/)[0]);
}

async function setE2generation(b: ApplianceBackend, path: string, generation: number): Promise<void> {
  await b.sh(`${need('chattr', 'set-e2generation')}
${existingPath(path)}
chattr -v ${Math.trunc(generation)} -- "$RP"`);
}

export const xattrOps = {
  getxattr: (b: ApplianceBackend, path: string, name: string) => getxattr(b, path, name, true),
  lgetxattr: (b: ApplianceBackend, path: string, name: string) => getxattr(b, path, name, false),
  getxattrs,
  setxattr: (b: ApplianceBackend, name: string, value: Uint8Array, path: string) => setxattr(b, name, value, path, true),
  lsetxattr: (b: ApplianceBackend, name: string, value: Uint8Array, path: string) => setxattr(b, name, value, path, false),
  removexattr: (b: ApplianceBackend, name: string, path: string) => removexattr(b, name, path, true),
  lremovexattr: (b: ApplianceBackend, name: string, path: string) => removexattr(b, name, path, false),
  aclGetFile,
  aclSetFile,
  aclDeleteDefFile,
  capGetFile,
  capSetFile,
  getE2attrs,
  setE2attrs,
  getE2generation,
  setE2generation,
};
