/**
 * Appliance operations that change files: modes, owners, links, copies, moves
 * and uploads. Scripts resolve guest paths with the agent's `rp` (symlinks
 * followed as in a chroot) and fail with `die ERRNO message` naming the path
 * the caller gave, not the appliance's.
 */
import { ErrnoError } from '../../errors/index.js';
import { readHostChunks } from '../../util/host-chunks.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';

/** Lines that resolve `path` into $RP (following symlinks unless follow is 0) and require it to exist. */
function existing(path: string, follow: 0 | 1 = 1, into = 'RP'): string {
  return `rp ${sq(path)} ${follow} || exit 1
[ -e "$RP" ] || [ -L "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
${into === 'RP' ? '' : `${into}=$RP`}`;
}

/** Lines that resolve a path to create into $RP: its parent must be a directory, the name must be free. */
function creatable(path: string): string {
  return `rp ${sq(path)} 0 || exit 1
p=\${RP%/*}
[ -d "\${p:-/}" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
if [ -e "$RP" ] || [ -L "$RP" ]; then die EEXIST ${sq(`${path}: File exists`)}; fi`;
}

/** chmod's script, or undefined for a mode refused before anything runs. */
export function chmodScript(mode: number, path: string): string | undefined {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) return undefined;
  return `${existing(path)}\nchmod ${mode.toString(8)} "$RP"`;
}

async function chmod(b: ApplianceBackend, mode: number, path: string): Promise<void> {
  const script = chmodScript(mode, path);
  if (script === undefined) throw new ErrnoError('EINVAL', `${mode}: invalid mode`);
  await b.sh(script);
}

/** chown's script, or undefined for ids refused before anything runs. */
export function chownScript(owner: number, group: number, path: string): string | undefined {
  if ([owner, group].some((x) => !Number.isInteger(x) || x < -1)) return undefined;
  // -1 leaves that id unchanged (chown(2)); chown(1) takes an empty field for it.
  const spec = `${owner === -1 ? '' : owner}:${group === -1 ? '' : group}`;
  return spec === ':' ? existing(path) : `${existing(path)}\nchown ${spec} "$RP"`;
}

async function chown(b: ApplianceBackend, owner: number, group: number, path: string): Promise<void> {
  const script = chownScript(owner, group, path);
  if (script === undefined) throw new ErrnoError('EINVAL', `${owner}:${group}: invalid owner or group`);
  await b.sh(script);
}

async function lnS(b: ApplianceBackend, target: string, linkname: string): Promise<void> {
  await b.sh(`${creatable(linkname)}\nln -s ${sq(target)} "$RP"`);
}

async function ln(b: ApplianceBackend, target: string, linkname: string): Promise<void> {
  // link(2) does not follow a symlink given as the target.
  await b.sh(`${existing(target, 0, 'T')}
[ -d "$T" ] && [ ! -L "$T" ] && die EPERM ${sq(`${target}: Operation not permitted`)}
${creatable(linkname)}
ln "$T" "$RP"`);
}

async function cp(b: ApplianceBackend, src: string, dest: string): Promise<void> {
  await b.sh(`${existing(src, 1, 'S')}
[ -d "$S" ] && die EISDIR ${sq(`${src}: Is a directory`)}
rp ${sq(dest)} 1 || exit 1
p=\${RP%/*}
[ -d "\${p:-/}" ] || die ENOENT ${sq(`${dest}: No such file or directory`)}
cp "$S" "$RP"`);
}

async function mv(b: ApplianceBackend, src: string, dest: string): Promise<void> {
  await b.sh(`${existing(src, 0, 'S')}
rp ${sq(dest)} 1 || exit 1
p=\${RP%/*}
[ -d "\${p:-/}" ] || die ENOENT ${sq(`${dest}: No such file or directory`)}
mv "$S" "$RP"`);
}

/** Bytes per agent request when streaming a host file in: the agent buffers each in its tmpfs. */
export const UPLOAD_CHUNK = 8 << 20;

async function upload(b: ApplianceBackend, local: string, remote: string): Promise<void> {
  await readHostChunks(local, UPLOAD_CHUNK, async (chunk, offset) => {
    await b.sh(`rp ${sq(remote)} 1 || exit 1
p=\${RP%/*}
[ -d "\${p:-/}" ] || die ENOENT ${sq(`${remote}: No such file or directory`)}
[ -d "$RP" ] && die EISDIR ${sq(`${remote}: Is a directory`)}
cat ${offset === 0 ? '>' : '>>'} "$RP"`, { stdin: chunk });
  });
}

/** scrub-file: zeroes over the file's own blocks (dd conv=notrunc), fsync'd, then the file is removed. */
async function scrubFile(b: ApplianceBackend, path: string): Promise<void> {
  await b.sh(`${existing(path)}
[ -f "$RP" ] || die EINVAL ${sq(`${path}: not a regular file`)}
n=$(stat -c %s "$RP") || exit 1
head -c "$n" /dev/zero | dd of="$RP" conv=notrunc,fsync 2>/dev/null || die EIO ${sq(`${path}: cannot overwrite`)}
rm -f "$RP"`);
}

export const fileOps = { chmod, chown, lnS, ln, cp, mv, upload, scrubFile };
