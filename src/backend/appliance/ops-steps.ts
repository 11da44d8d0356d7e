/**
 * The appliance commands that are one agent script each, as steps (script +
 * parser, see agent-batch.ts): the operation sends its step alone, and a batch
 * (Guestfs.callMany) sends many in one request. Either way the guest runs the
 * same script and the host reads its output the same way, so a command's result
 * and errors do not depend on how it was sent.
 *
 * Named as their operations in ops.ts; arguments in the command's order, then
 * the optional arguments the command table passes (applianceOp's `withOpts`).
 */
import { byteOrder } from '../../util/byte-order.js';
import { splitBtrfsvol } from '../../core/mountable.js';
import { sq } from './appliance-backend.js';
import type { AgentStep } from './agent-batch.js';
import { devOrder, devScript, fromGuestDev, lines, nulList } from './ops-common.js';
import { lvsStep, pvsStep, vgsStep } from './ops-lvm.js';
import { lvmWriteSteps } from './ops-lvm-write.js';
import { readdirStep } from './ops-bulk.js';
import { chmodScript, chownScript } from './ops-files.js';
import { STAT_FORMAT, parseStat, parseExport, sdDevice } from './stat-parse.js';

/** A read-only step. */
const step = <T>(script: string, parse: (out: Buffer) => T): AgentStep<T> => ({ script, parse, readOnly: true });
const text = (out: Buffer) => out.toString('utf8');

// ---------------------------------------------------------------- devices

const listDevices = () => step('cd /sys/block && for d in vd*; do [ -e "$d" ] && echo "$d"; done; :',
  (out) => lines(text(out)).map((n) => fromGuestDev(`/dev/${n}`)).sort(devOrder));

const listPartitions = () => step('for p in /sys/block/vd*/vd*; do [ -e "$p/partition" ] && echo "${p##*/}"; done; :',
  (out) => lines(text(out)).map((n) => fromGuestDev(`/dev/${n}`)).sort(devOrder));

/** blkid of one mountable: its export fields (a btrfs subvolume has its device's type, label and UUID). */
function blkidOne(mountable: string): AgentStep<Record<string, string>> {
  const dev = splitBtrfsvol(mountable)?.device ?? mountable;
  return step(`${devScript(dev)}\nblkid -c /dev/null -o export "$d"; :`, (out) => parseExport(text(out)));
}

const vfsType = (dev: string) => ({ ...blkidOne(dev), parse: (out: Buffer) => parseExport(text(out)).TYPE ?? '' });
const vfsLabel = (dev: string) => ({ ...blkidOne(dev), parse: (out: Buffer) => parseExport(text(out)).LABEL ?? '' });
const vfsUuid = (dev: string) => ({ ...blkidOne(dev), parse: (out: Buffer) => parseExport(text(out)).UUID ?? '' });


// ---------------------------------------------------------------- reading

/** Lines that resolve `path` into $RP and check it is a directory. */
export function dirScript(path: string): string {
  return `rp ${sq(path)} || exit 1
[ -e "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
[ -d "$RP" ] || die ENOTDIR ${sq(`${path}: Not a directory`)}`;
}

const ls = (dir: string) => step(`${dirScript(dir)}\ncd "$RP" && find . -mindepth 1 -maxdepth 1 -print0`,
  (out) => nulList(out).map((s) => s.replace(/^\.\//, '')).sort(byteOrder));

/** Lines that resolve `path` into $RP and check it is a readable regular file. */
export function fileScript(path: string): string {
  return `rp ${sq(path)} || exit 1
[ -e "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
[ -d "$RP" ] && die EISDIR ${sq(`${path}: Is a directory`)}
[ -f "$RP" ] || die EINVAL ${sq(`${path}: not a regular file`)}
[ -r "$RP" ] || die EACCES ${sq(`${path}: Permission denied`)}`;
}

/**
 * read-file in a batch: the checks of the streamed read-file (ops.ts), then the
 * bytes through the step's captured output rather than a `get` stream.
 */
const readFile = (path: string) => step<Uint8Array>(`${fileScript(path)}\ncat "$RP"`, (out) => out);

function stat(path: string, follow: boolean): AgentStep<Record<string, number>> {
  return step(`rp ${sq(path)} ${follow ? 1 : 0} || exit 1
[ -e "$RP" ] || [ -L "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
stat ${follow ? '-L ' : ''}-c ${sq(STAT_FORMAT)} "$RP"
while read -r maj name; do [ "$name" = virtblk ] && echo "$maj"; done < /proc/devices
:`, (out) => {
    const [st = '', virtblk = ''] = lines(text(out));
    const res = parseStat(st);
    res.st_dev = sdDevice(res.st_dev!, Number(virtblk));
    return res;
  });
}

function test(path: string, expr: string, follow: boolean): AgentStep<boolean> {
  return step(`rp ${sq(path)} ${follow ? 1 : 0} || exit 1\nif ${expr}; then echo 1; else echo 0; fi`, (out) => text(out).trim() === '1');
}

const readlink = (path: string) => step(`rp ${sq(path)} 0 || exit 1
[ -L "$RP" ] || die EINVAL ${sq(`${path}: Invalid argument`)}
readlink "$RP"`, (out) => text(out).replace(/\n$/, ''));

// ---------------------------------------------------------------- writing

/** Lines that resolve a path to write into $RP (symlinks followed unless follow is 0): its parent must be a directory. */
export function parentScript(path: string, follow: 0 | 1): string {
  return `rp ${sq(path)} ${follow} || exit 1
p=\${RP%/*}
[ -d "\${p:-/}" ] || die ENOENT ${sq(`${path}: No such file or directory`)}`;
}

/** write / write-append: the checks before the file is opened. */
export function writeScript(path: string): string {
  return `${parentScript(path, 1)}
[ -d "$RP" ] && die EISDIR ${sq(`${path}: Is a directory`)}`;
}

/** touch as the daemon does it: open (creating), set the times on the open file, close (inotify sees CREATE, OPEN, ATTRIB, CLOSE_WRITE). */
export function touchScript(path: string): string {
  return `${parentScript(path, 1)}\nexec 4>>"$RP" && touch -c "$RP" && exec 4>&-`;
}

/** Contents up to this size travel inside a batch's script; a larger write goes alone, its bytes on the agent's stdin. */
const INLINE_WRITE_BYTES = 64 * 1024;

/** write / write-append in a batch: the same checks, the bytes carried in the script (base64) as a step has no stdin. */
function write(path: string, content: Uint8Array | string, append: boolean): AgentStep<void> | undefined {
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (data.length > INLINE_WRITE_BYTES) return undefined;
  return { script: `${writeScript(path)}\nprintf %s ${sq(data.toString('base64'))} | base64 -d ${append ? '>>' : '>'} "$RP"`, parse: () => undefined };
}

/** A step of a command whose script ops-files.ts builds (undefined: the arguments are refused before any script runs). */
const scripted = (script: string | undefined): AgentStep<void> | undefined => (script === undefined ? undefined : { script, parse: () => undefined });

// ---------------------------------------------------------------- removing

function rm(path: string, opts: { force?: boolean; recursive?: boolean } = {}): AgentStep<void> {
  if (opts.recursive) return { script: `rp ${sq(path)} 0 || exit 1\nrm -rf "$RP"`, parse: () => undefined };
  return { script: `rp ${sq(path)} 0 || exit 1
if [ ! -e "$RP" ] && [ ! -L "$RP" ]; then
  ${opts.force ? 'exit 0' : `die ENOENT ${sq(`${path}: No such file or directory`)}`}
fi
[ -d "$RP" ] && [ ! -L "$RP" ] && die EISDIR ${sq(`${path}: Is a directory`)}
rm -f "$RP"`, parse: () => undefined };
}

/** Step builders by operation name (ops.ts's names). */
export const applianceSteps = {
  listDevices,
  listPartitions,
  vfsType,
  vfsLabel,
  vfsUuid,
  lvs: lvsStep,
  pvs: pvsStep,
  vgs: vgsStep,
  ...lvmWriteSteps,
  ls,
  readFile,
  statns: (path: string) => stat(path, true),
  lstatns: (path: string) => stat(path, false),
  isFile: (path: string, followsymlinks = false) =>
    test(path, followsymlinks ? '[ -f "$RP" ]' : '[ ! -L "$RP" ] && [ -f "$RP" ]', followsymlinks),
  isDir: (path: string, followsymlinks = false) =>
    test(path, followsymlinks ? '[ -d "$RP" ]' : '[ ! -L "$RP" ] && [ -d "$RP" ]', followsymlinks),
  isSymlink: (path: string) => test(path, '[ -L "$RP" ]', false),
  exists: (path: string) => test(path, '[ -e "$RP" ]', true),
  readlink,
  readdir: readdirStep,
  rm: (path: string) => rm(path),
  rmF: (path: string) => rm(path, { force: true }),
  rmRf: (path: string) => rm(path, { recursive: true }),
  write: (path: string, content: Uint8Array | string) => write(path, content, false),
  writeAppend: (path: string, content: Uint8Array | string) => write(path, content, true),
  touch: (path: string) => scripted(touchScript(path)),
  chmod: (mode: number, path: string) => scripted(chmodScript(mode, path)),
  chown: (owner: number, group: number, path: string) => scripted(chownScript(owner, group, path)),
};

export type ApplianceStepName = keyof typeof applianceSteps;
