/**
 * Command implementations for the appliance backend. Each is a shell script run
 * by the agent (appliance/agent.sh), whose helpers it may use: die ERRNO MSG,
 * rp PATH [FOLLOW] (guest path → appliance path under /sysroot, symlinks
 * resolved as in a chroot), needfs TYPE, lvmup.
 *
 * Devices: the guest kernel names the drives /dev/vda, /dev/vdb, ...; callers
 * see /dev/sda, /dev/sdb, ... as libguestfs shows them. Guest paths are always
 * passed single-quoted.
 */
import { Writable } from 'node:stream';
import { byteOrder } from '../../util/byte-order.js';
import { ErrnoError } from '../../errors/index.js';
import { replyError, sq, type ApplianceBackend } from './appliance-backend.js';
import { devOrder, devScript, fromGuestDev, lines, nulList } from './ops-common.js';
import { diskOps } from './ops-disks.js';
import { fileOps } from './ops-files.js';
import { fileContentOps } from './ops-file-content.js';
import { fileMakeOps } from './ops-file-make.js';
import { xattrOps } from './ops-xattr.js';
import { lvmOps } from './ops-lvm.js';
import { btrfsAdminOps } from './ops-btrfs-admin.js';
import { xfsOps } from './ops-xfs.js';
import { mdLuksOps } from './ops-md-luks.js';
import { blockToolOps } from './ops-block-tools.js';
import { ldmOps } from './ops-ldm.js';
import { btrfsOps } from './ops-btrfs.js';
import { splitBtrfsvol } from '../../core/mountable.js';
import { infoOps } from './ops-info.js';
import { lvmWriteOps } from './ops-lvm-write.js';
import { blockdevOps } from './ops-blockdev.js';
import { tarOps } from './ops-tar.js';
import { fsAdminOps } from './ops-fs-admin.js';
import { ntfsOps } from './ops-ntfs.js';
import { fsExtraOps } from './ops-fs-extra.js';
import { fileTypeOps } from './ops-file-type.js';
import { inotifyOps } from './ops-inotify.js';
import { runStep, type AgentStep } from './agent-batch.js';
import { applianceSteps, fileScript, dirScript, parentScript, touchScript, writeScript, type ApplianceStepName } from './ops-steps.js';
import { parseExport } from './stat-parse.js';

// ---------------------------------------------------------------- devices

interface BlkInfo {
  TYPE?: string;
  LABEL?: string;
  UUID?: string;
}

/** blkid of many devices in one call: device (guest name) → its fields. */
async function blkidAll(b: ApplianceBackend, guestDevs: string[]): Promise<Map<string, BlkInfo & { text: string }>> {
  const res = new Map<string, BlkInfo & { text: string }>();
  if (!guestDevs.length) return res;
  return blkidBlocks(await b.shText(`blkid -c /dev/null -o export ${guestDevs.map(sq).join(' ')}; :`));
}

/** `blkid -o export` output for several devices: device → its fields (and its block of the output, in `text`). */
function blkidBlocks(out: string): Map<string, BlkInfo & { text: string }> {
  const res = new Map<string, BlkInfo & { text: string }>();
  for (const block of out.split(/\n\s*\n/)) {
    const f = parseExport(block);
    if (f.DEVNAME) res.set(f.DEVNAME, { ...f, text: `${block.trim()}\n` });
  }
  return res;
}

/**
 * What `blkid -o export` printed for each device, kept as the reply of the
 * vfs-type/-label/-uuid step for it (b.readReplies): inspection asks these
 * next, and nothing has changed since (a device blkid found nothing on gets an
 * empty reply, as its own blkid would give).
 */
function keepBlkidReplies(b: ApplianceBackend, devs: string[], info: Map<string, { text: string }>): void {
  for (const d of devs) b.readReplies.set(applianceSteps.vfsType(fromGuestDev(d)).script, Buffer.from(info.get(d)?.text ?? ''));
}

async function listFilesystems(b: ApplianceBackend): Promise<Record<string, string>> {
  // Candidates: partitions (minus extended ones: 2-sector stubs), whole drives
  // without partitions, and LVM logical volumes.
  const out = await b.shText(`
for d in /sys/block/vd*; do
  [ -e "$d" ] || continue
  n=\${d##*/} parts=0
  for p in "$d"/vd*; do
    [ -e "$p/partition" ] || continue
    parts=1
    read -r s < "$p/size"
    echo "P \${p##*/} $s"
  done
  [ $parts = 0 ] && echo "D $n"
done
:`);
  const cands: { dev: string; stub: boolean }[] = [];
  for (const l of lines(out)) {
    const [kind, name, size] = l.split(' ');
    cands.push({ dev: `/dev/${name}`, stub: kind === 'P' && Number(size) <= 2 });
  }
  const info = await blkidAll(b, cands.map((c) => c.dev));
  const probed = cands.filter((c) => info.get(c.dev)?.TYPE !== 'btrfs').map((c) => c.dev);
  const result: [string, string][] = [];
  let hasPv = false;
  for (const c of cands) {
    const t = info.get(c.dev)?.TYPE ?? '';
    if (t === 'LVM2_member') {
      hasPv = true;
      continue;
    }
    if (c.stub && !t) continue; // an extended partition
    if (t === 'btrfs') {
      // One btrfs device is many mountables: the device (its default subvolume) and each other subvolume.
      for (const m of await btrfsOps.btrfsListEntries(b, fromGuestDev(c.dev))) result.push([m, 'btrfs']);
      continue;
    }
    result.push([fromGuestDev(c.dev), t || 'unknown']);
  }
  // libguestfs's order: whole disks first, then partitions (then LVs, below).
  // A btrfs device's subvolumes stay right after it, in subvolume order.
  const deviceOf = (m: string) => splitBtrfsvol(m)?.device ?? m;
  const isPart = (d: string) => (/\d$/.test(deviceOf(d)) ? 1 : 0);
  result.sort((x, y) => isPart(x[0]) - isPart(y[0]) || devOrder(deviceOf(x[0]), deviceOf(y[0])));
  if (hasPv) {
    // Activation, the LV list (the lvs step's own report, kept as its reply) and their blkid in one request
    // (each round trip costs under TCG).
    const lvsStep = applianceSteps.lvs();
    const out = await b.shText(`r=$( (
${lvsStep.script}
) )
printf '%s\\n' "$r"
echo --
lvs=$(printf '%s\\n' "$r" | sed -n 's/^ *\\([^|]*\\)|\\(.*\\)$/\\/dev\\/\\1\\/\\2/p')
[ -n "$lvs" ] && blkid -c /dev/null -o export $lvs; :`);
    const sep = out.indexOf('\n--\n');
    const report = sep < 0 ? '' : out.slice(0, sep + 1);
    const lvs = lvsStep.parse(Buffer.from(report));
    const lvInfo = blkidBlocks(sep < 0 ? '' : out.slice(sep + 4));
    for (const lv of lvs) result.push([lv, lvInfo.get(lv)?.TYPE || 'unknown']);
    b.readReplies.set(lvsStep.script, Buffer.from(report));
    keepBlkidReplies(b, lvs, lvInfo);
  }
  // Last: the requests above that activate LVM or list btrfs subvolumes empty b.readReplies.
  keepBlkidReplies(b, probed, info);
  return Object.fromEntries(result);
}

async function blockdevGetsize64(b: ApplianceBackend, dev: string): Promise<number> {
  const out = await b.shText(`${devScript(dev)}\nblockdev --getsize64 "$d"`);
  return Number(out.trim());
}

/** pread-device: count bytes at a byte offset of a device (fewer at its end); arguments already checked. */
async function preadDevice(b: ApplianceBackend, dev: string, count: number, offset: number): Promise<Uint8Array> {
  if (count === 0) return new Uint8Array(0);
  // At or past the end pread(2) returns nothing; dd would fail to skip there.
  return b.sh(`${devScript(dev)}
[ ${Math.trunc(offset)} -ge "$(blockdev --getsize64 "$d")" ] && exit 0
dd if="$d" bs=65536 skip=${Math.trunc(offset)} count=${Math.trunc(count)} iflag=skip_bytes,count_bytes,fullblock 2>/dev/null`);
}

// ---------------------------------------------------------------- mounts

interface MountEntry {
  device: string;
  /** Guest mountpoint ("/" for /sysroot). */
  mountpoint: string;
  /** Appliance path. */
  path: string;
  type: string;
  options: string[];
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

async function readMounts(b: ApplianceBackend): Promise<MountEntry[]> {
  const out = await b.shText('cat /proc/mounts');
  const res: MountEntry[] = [];
  for (const l of lines(out)) {
    const [dev = '', mp = '', type = '', opts = ''] = l.split(' ');
    const p = unescapeMount(mp);
    if (p !== '/sysroot' && !p.startsWith('/sysroot/')) continue;
    // The bind mounts made for `command` are not the user's.
    // Device names as the kernel has them (/dev/mapper/VG-LV for LVs, as libguestfs reports), sd for vd.
    res.push({ device: unescapeMount(dev).replace(/^\/dev\/vd(?=[a-z])/, '/dev/sd'), mountpoint: p.slice('/sysroot'.length) || '/', path: p, type, options: opts.split(',') });
  }
  return res;
}

async function mount(b: ApplianceBackend, mountable: string, mountpoint: string, readOnly = false, options = '', vfstype = ''): Promise<void> {
  const vol = splitBtrfsvol(mountable);
  const dev = vol?.device ?? mountable;
  const opts = [readOnly ? 'ro' : '', options, vol ? `subvol=${vol.subvol}` : ''].filter(Boolean).join(',');
  await b.sh(`${devScript(dev)}
rp ${sq(mountpoint)} || exit 1
m=$RP
[ -d "$m" ] || die ENOENT ${sq(`${mountpoint}: No such file or directory`)}
t=${sq(vfstype)}
[ -n "$t" ] || t=$(blkid -c /dev/null -o value -s TYPE "$d")
[ -n "$t" ] && needfs "$t"
o=${sq(opts)}
case $t in
  ntfs)
    # No ntfs3 in this kernel: ntfs-3g through FUSE.
    needmod fuse
    command -v ntfs-3g >/dev/null || die ENOTSUP 'ntfs: ntfs-3g is not in the appliance'
    ntfs-3g \${o:+-o "$o"} "$d" "$m" ;;
  LVM2_member|swap|crypto_LUKS)
    die EINVAL ${sq(`${dev}: cannot mount a`)}" $t device" ;;
  '')
    mount \${o:+-o "$o"} "$d" "$m" ;;
  *)
    mount \${o:+-o "$o"} -t "$t" "$d" "$m" ;;
esac`);
}

async function umount(b: ApplianceBackend, target: string, force = false, lazy = false): Promise<void> {
  const flags = `${force ? ' -f' : ''}${lazy ? ' -l' : ''}`;
  if (target.startsWith('/dev/')) {
    // Mounts list LVs by their kernel name, /dev/mapper/VG-LV; accept /dev/VG/LV too.
    const lv = /^\/dev\/([^/]+)\/([^/]+)$/.exec(target);
    const dm = (x: string) => x.replace(/-/g, '--');
    const names = lv && lv[1] !== 'mapper' ? [target, `/dev/mapper/${dm(lv[1]!)}-${dm(lv[2]!)}`] : [target];
    const ms = (await readMounts(b)).filter((m) => names.includes(m.device));
    if (!ms.length) throw new ErrnoError('EINVAL', `${target}: not mounted`);
    await b.sh(ms.reverse().map((m) => `umount${flags} ${sq(m.path)}`).join(' && '));
    return;
  }
  await b.sh(`rp ${sq(target)} || exit 1
grep -q " $RP " /proc/mounts || die EINVAL ${sq(`${target}: not mounted`)}
umount${flags} "$RP"`);
}

/**
 * umount-all's usual case in one request: the /sysroot mounts, last mounted
 * first. A mountpoint /proc/mounts shows escaped (a space as \040) exits 3:
 * the host then unescapes the names itself.
 */
const UMOUNT_ALL = `set -f
m=
while read -r _d p _r; do
  case $p in /sysroot|/sysroot/*) case $p in *\\\\*) exit 3 ;; esac; m="$p $m" ;; esac
done < /proc/mounts
[ -z "$m" ] && exit 0
sync || exit 1
for p in $m; do umount "$p" || exit 1; done`;

async function umountAll(b: ApplianceBackend): Promise<void> {
  const r = await b.raw('sh', UMOUNT_ALL);
  if (r.rc === 0) return;
  if (r.rc !== 3) throw replyError(r);
  const ms = await readMounts(b);
  if (!ms.length) return;
  await b.sh(['sync', ...ms.reverse().map((m) => `umount ${sq(m.path)}`)].join(' && '));
}

async function mounts(b: ApplianceBackend): Promise<string[]> {
  return (await readMounts(b)).map((m) => m.device);
}

async function mountpoints(b: ApplianceBackend): Promise<Record<string, string>> {
  return Object.fromEntries((await readMounts(b)).map((m) => [m.device, m.mountpoint]));
}

// ---------------------------------------------------------------- reading

/**
 * GNU ls -lan, as libguestfs's ll prints it (numeric owners: the appliance knows no
 * guest users). A non-directory is listed by its appliance path, as libguestfs does.
 */
async function ll(b: ApplianceBackend, dir: string): Promise<string> {
  return b.shText(`rp ${sq(dir)} 0 || exit 1
[ -e "$RP" ] || [ -L "$RP" ] || die ENOENT ${sq(`${dir}: No such file or directory`)}
if [ -d "$RP" ] && [ ! -L "$RP" ]; then cd "$RP" && /usr/bin/ls -lan; else /usr/bin/ls -lan "$RP"; fi`);
}

async function readFile(b: ApplianceBackend, path: string): Promise<Uint8Array> {
  if (path.includes('\n')) {
    // The agent passes the streamed file's name on one line: fall back to cat.
    return b.sh(`rp ${sq(path)} || exit 1\ncat "$RP"`);
  }
  return b.get(`${fileScript(path)}\nprintf '%s\\n' "$RP"`);
}

async function cat(b: ApplianceBackend, path: string): Promise<string> {
  return Buffer.from(await readFile(b, path)).toString('utf8');
}

/** Streams a guest file into `sink` (not ended here). Returns the byte count. */
async function download(b: ApplianceBackend, path: string, sink: Writable): Promise<number> {
  let n = 0;
  const counter = new Writable({
    write(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (sink.write(chunk)) cb();
      else sink.once('drain', () => cb());
    },
  });
  await b.get(`${fileScript(path)}\nprintf '%s\\n' "$RP"`, counter);
  return n;
}

/**
 * A directory's entries with their types, symlinks followed as in a chroot:
 * 'd' directory, 'f' regular file, 'o' anything else (dangling links included).
 * A missing or unreadable directory lists as empty. One round trip for what
 * would otherwise be one is-dir/is-file call per entry (augeas's glob expansion).
 */
async function lsTypes(b: ApplianceBackend, dir: string): Promise<Map<string, 'd' | 'f' | 'o'>> {
  const out = await b.sh(`rp ${sq(dir)} 1 2>/dev/null || exit 0
[ -d "$RP" ] || exit 0
D=$RP
for f in "$D"/* "$D"/.*; do
  n=\${f##*/}
  case $n in .|..) continue ;; esac
  [ -e "$f" ] || [ -L "$f" ] || continue
  t=$f
  if [ -L "$f" ]; then rp ${sq(dir.replace(/\/+$/, ''))}"/$n" 1 2>/dev/null && t=$RP || t=; fi
  if [ -n "$t" ] && [ -d "$t" ]; then c=d; elif [ -n "$t" ] && [ -f "$t" ]; then c=f; else c=o; fi
  printf '%s %s\\000' "$c" "$n"
done`);
  const res = new Map<string, 'd' | 'f' | 'o'>();
  for (const e of nulList(out)) res.set(e.slice(2), e[0] as 'd' | 'f' | 'o');
  return res;
}

/** Every path below dir, with dir's own text cut off the front, as libguestfs's find returns them. */
async function find(b: ApplianceBackend, dir: string): Promise<string[]> {
  const out = await b.sh(`${dirScript(dir)}\ncd "$RP" && find . -mindepth 1 -print0`);
  return nulList(out)
    .map((s) => {
      const rel = s.replace(/^\.\//, '');
      return (dir.endsWith('/') ? `${dir}${rel}` : `${dir}/${rel}`).slice(dir.length);
    })
    .sort(byteOrder);
}

// crc, sha224 and sha384 are coreutils' programs (busybox has none of them); cksum prints "CRC SIZE".
const CHECKSUMS: Record<string, string> = {
  crc: '/usr/bin/cksum', md5: 'md5sum', sha1: 'sha1sum', sha224: '/usr/bin/sha224sum', sha256: 'sha256sum', sha384: '/usr/bin/sha384sum', sha512: 'sha512sum',
};

async function checksum(b: ApplianceBackend, csumtype: string, path: string): Promise<string> {
  const prog = CHECKSUMS[csumtype.toLowerCase()];
  if (!prog) throw new ErrnoError('EINVAL', `unknown checksum type, expecting crc|md5|sha1|sha224|sha256|sha384|sha512`);
  const out = await b.shText(`rp ${sq(path)} || exit 1
[ -f "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
${prog} < "$RP"`);
  return out.split(/\s/)[0]!;
}

function swapWords(x: bigint): bigint {
  return ((x & 0xffffffffn) << 32n) | (x >> 32n);
}

const ST_FLAGS: Record<string, number> = { ro: 1, nosuid: 2, nodev: 4, noexec: 8, sync: 16, mand: 64, noatime: 1024, nodiratime: 2048, relatime: 4096 };

async function statvfs(b: ApplianceBackend, path: string): Promise<Record<string, number | string>> {
  const out = await b.shText(`rp ${sq(path)} || exit 1
[ -e "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
stat -f -c '%s %S %b %f %a %c %d %i %l' "$RP"
printf '%s\\n' "$RP"`);
  const [first = '', where = ''] = lines(out);
  const f = first.split(' ');
  // The mount the path is on: the longest mountpoint that prefixes it.
  const ms = await readMounts(b);
  let best: MountEntry | undefined;
  for (const m of ms) if ((where === m.path || where.startsWith(m.path + '/')) && (!best || m.path.length > best.path.length)) best = m;
  let flag = 0;
  for (const o of best?.options ?? []) flag |= ST_FLAGS[o] ?? 0;
  return {
    bsize: Number(f[0]), frsize: Number(f[1]), blocks: Number(f[2]), bfree: Number(f[3]), bavail: Number(f[4]),
    files: Number(f[5]), ffree: Number(f[6]), favail: Number(f[6]),
    // busybox prints f_fsid with its two 32-bit words swapped against the kernel's u64.
    fsid: swapWords(BigInt(`0x${f[7] || '0'}`)).toString(), flag, namemax: Number(f[8]),
  };
}

// ---------------------------------------------------------------- writing

async function write(b: ApplianceBackend, path: string, content: Uint8Array | string, append = false): Promise<void> {
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  await b.sh(`${writeScript(path)}\ncat ${append ? '>>' : '>'} "$RP"`, { stdin: data });
}

async function mkdir(b: ApplianceBackend, path: string, parents = false): Promise<void> {
  if (parents) {
    await b.sh(`rp ${sq(path)} || exit 1\nmkdir -p "$RP"`);
    return;
  }
  await b.sh(`${parentScript(path, 0)}\nmkdir "$RP"`);
}

async function rmdir(b: ApplianceBackend, path: string): Promise<void> {
  await b.sh(`rp ${sq(path)} 0 || exit 1\nrmdir "$RP"`);
}

async function touch(b: ApplianceBackend, path: string): Promise<void> {
  await b.sh(touchScript(path));
}

async function sync(b: ApplianceBackend): Promise<void> {
  await b.sh('sync');
}

// ---------------------------------------------------------------- commands

/**
 * Runs a program of the guest (chroot into /sysroot, with /dev, /proc and /sys
 * bound inside as libguestfs does). Returns its standard output.
 */
async function command(b: ApplianceBackend, argv: string[]): Promise<string> {
  if (!argv.length) throw new ErrnoError('EINVAL', 'command: empty argument list');
  return b.shText(`grep -q ' /sysroot ' /proc/mounts || die EINVAL 'command: no filesystem is mounted on /'
bound=
for x in dev proc sys; do
  if [ -d /sysroot/$x ] && mount --bind /$x /sysroot/$x 2>/dev/null; then bound="/sysroot/$x $bound"; fi
done
chroot /sysroot ${argv.map(sq).join(' ')}
rc=$?
for x in $bound; do umount -l "$x"; done
exit $rc`);
}

async function shCmd(b: ApplianceBackend, cmd: string): Promise<string> {
  return command(b, ['/bin/sh', '-c', cmd]);
}

// ---------------------------------------------------------------- table

/**
 * The implementations, one per command, with the command's argument order.
 * Return values are what the command table's `ret` kinds expect.
 */
/** An operation that is one step (ops-steps.ts), sent alone. */
function stepOp<N extends ApplianceStepName>(name: N) {
  const build = applianceSteps[name] as (...a: Parameters<(typeof applianceSteps)[N]>) => AgentStep<StepValue<N>>;
  return (b: ApplianceBackend, ...args: Parameters<(typeof applianceSteps)[N]>): Promise<StepValue<N>> => runStep(b, build(...args));
}

type StepValue<N extends ApplianceStepName> = ReturnType<(typeof applianceSteps)[N]> extends AgentStep<infer T> ? T : never;

export const applianceOps = {
  listDevices: stepOp('listDevices'),
  listPartitions: stepOp('listPartitions'),
  listFilesystems,
  vfsType: stepOp('vfsType'),
  vfsLabel: stepOp('vfsLabel'),
  vfsUuid: stepOp('vfsUuid'),
  blockdevGetsize64,
  preadDevice,
  mount: (b: ApplianceBackend, dev: string, mountpoint: string) => mount(b, dev, mountpoint, false),
  mountRo: (b: ApplianceBackend, dev: string, mountpoint: string) => mount(b, dev, mountpoint, true),
  /** mount-options / mount-vfs style: explicit options and filesystem type. */
  mountOptions: (b: ApplianceBackend, options: string, dev: string, mountpoint: string) => mount(b, dev, mountpoint, false, options),
  mountVfs: (b: ApplianceBackend, options: string, vfstype: string, dev: string, mountpoint: string) => mount(b, dev, mountpoint, false, options, vfstype),
  umount,
  umountAll,
  mounts,
  mountpoints,
  ls: stepOp('ls'),
  ll,
  cat,
  readFile,
  download,
  statns: stepOp('statns'),
  lstatns: stepOp('lstatns'),
  isFile: stepOp('isFile'),
  isDir: stepOp('isDir'),
  isSymlink: stepOp('isSymlink'),
  exists: stepOp('exists'),
  readlink: stepOp('readlink'),
  find,
  lsTypes,
  checksum,
  statvfs,
  write: (b: ApplianceBackend, path: string, content: Uint8Array | string) => write(b, path, content, false),
  writeAppend: (b: ApplianceBackend, path: string, content: Uint8Array | string) => write(b, path, content, true),
  touch,
  mkdir: (b: ApplianceBackend, path: string) => mkdir(b, path, false),
  mkdirP: (b: ApplianceBackend, path: string) => mkdir(b, path, true),
  rm: stepOp('rm'),
  rmF: stepOp('rmF'),
  rmRf: stepOp('rmRf'),
  rmdir,
  sync,
  command,
  sh: shCmd,
  ...fileOps,
  ...fileContentOps,
  ...fileMakeOps,
  ...xattrOps,
  ...diskOps,
  ...lvmOps,
  ...btrfsOps,
  ...btrfsAdminOps,
  ...xfsOps,
  ...mdLuksOps,
  ...blockToolOps,
  ...ldmOps,
  ...tarOps,
  ...infoOps,
  ...lvmWriteOps,
  ...blockdevOps,
  ...fsAdminOps,
  ...ntfsOps,
  ...fsExtraOps,
  ...fileTypeOps,
  ...inotifyOps,
};

export type ApplianceOps = typeof applianceOps;
