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
import { sq, type ApplianceBackend } from './appliance-backend.js';

// ---------------------------------------------------------------- names

/** /dev/sda1 → /dev/vda1 (other names unchanged). */
export function toGuestDev(dev: string): string {
  return dev.replace(/^\/dev\/sd([a-z]+)(\d*)$/, '/dev/vd$1$2');
}

/** /dev/vda1 → /dev/sda1; /dev/mapper/vg-lv → /dev/vg/lv. */
export function fromGuestDev(dev: string): string {
  const m = /^\/dev\/vd([a-z]+)(\d*)$/.exec(dev);
  if (m) return `/dev/sd${m[1]}${m[2]}`;
  const lv = /^\/dev\/mapper\/((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(dev);
  if (lv) return `/dev/${lv[1]!.replace(/--/g, '-')}/${lv[2]!.replace(/--/g, '-')}`;
  return dev;
}

/** Sort key: drive letters by length then alphabet, then partition number. */
function devOrder(a: string, b: string): number {
  const pa = /^\/dev\/sd([a-z]+)(\d*)$/.exec(a);
  const pb = /^\/dev\/sd([a-z]+)(\d*)$/.exec(b);
  if (pa && pb) {
    if (pa[1]!.length !== pb[1]!.length) return pa[1]!.length - pb[1]!.length;
    if (pa[1] !== pb[1]) return pa[1]! < pb[1]! ? -1 : 1;
    return Number(pa[2] || 0) - Number(pb[2] || 0);
  }
  if (pa) return -1;
  if (pb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Script lines that set $d to the guest device for `dev`, failing when it does not exist. */
function devScript(dev: string): string {
  const g = toGuestDev(dev);
  return [
    `d=${sq(g)}`,
    `case $d in /dev/vd*) ;; *) lvmup ;; esac`,
    `[ -b "$d" ] || die ENOENT ${sq(`${dev}: No such file or directory`)}`,
  ].join('\n');
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

function nulList(buf: Buffer): string[] {
  return buf
    .toString('utf8')
    .split('\0')
    .filter((s) => s !== '');
}

function parseExport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines(text)) {
    const eq = l.indexOf('=');
    if (eq > 0) out[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return out;
}

// ---------------------------------------------------------------- devices

async function listDevices(b: ApplianceBackend): Promise<string[]> {
  const out = await b.shText('cd /sys/block && for d in vd*; do [ -e "$d" ] && echo "$d"; done; :');
  return lines(out)
    .map((n) => fromGuestDev(`/dev/${n}`))
    .sort(devOrder);
}

async function listPartitions(b: ApplianceBackend): Promise<string[]> {
  const out = await b.shText('for p in /sys/block/vd*/vd*; do [ -e "$p/partition" ] && echo "${p##*/}"; done; :');
  return lines(out)
    .map((n) => fromGuestDev(`/dev/${n}`))
    .sort(devOrder);
}

interface BlkInfo {
  TYPE?: string;
  LABEL?: string;
  UUID?: string;
}

/** blkid of many devices in one call: device (guest name) → its fields. */
async function blkidAll(b: ApplianceBackend, guestDevs: string[]): Promise<Map<string, BlkInfo>> {
  const res = new Map<string, BlkInfo>();
  if (!guestDevs.length) return res;
  const out = await b.shText(`blkid -c /dev/null -o export ${guestDevs.map(sq).join(' ')}; :`);
  for (const block of out.split(/\n\s*\n/)) {
    const f = parseExport(block);
    if (f.DEVNAME) res.set(f.DEVNAME, f);
  }
  return res;
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
  const result: [string, string][] = [];
  let hasPv = false;
  for (const c of cands) {
    const t = info.get(c.dev)?.TYPE ?? '';
    if (t === 'LVM2_member') {
      hasPv = true;
      continue;
    }
    if (c.stub && !t) continue; // an extended partition
    result.push([fromGuestDev(c.dev), t || 'unknown']);
  }
  result.sort((x, y) => devOrder(x[0], y[0]));
  if (hasPv) {
    const lvs = lines(
      await b.shText(`lvmup; command -v lvm >/dev/null || exit 0
lvm lvs --noheadings --separator / -o vg_name,lv_name --config "$LVM_CONFIG" 2>/dev/null | while read -r x; do echo "/dev/$x"; done`),
    ).sort(byteOrder);
    const lvInfo = await blkidAll(b, lvs);
    for (const lv of lvs) result.push([lv, lvInfo.get(lv)?.TYPE || 'unknown']);
  }
  return Object.fromEntries(result);
}

async function blkidOne(b: ApplianceBackend, dev: string): Promise<BlkInfo> {
  const out = await b.shText(`${devScript(dev)}\nblkid -c /dev/null -o export "$d"; :`);
  return parseExport(out);
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
    res.push({ device: fromGuestDev(unescapeMount(dev)), mountpoint: p.slice('/sysroot'.length) || '/', path: p, type, options: opts.split(',') });
  }
  return res;
}

async function mount(b: ApplianceBackend, dev: string, mountpoint: string, readOnly = false, options = '', vfstype = ''): Promise<void> {
  const opts = [readOnly ? 'ro' : '', options].filter(Boolean).join(',');
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
    const ms = (await readMounts(b)).filter((m) => m.device === target);
    if (!ms.length) throw new ErrnoError('EINVAL', `${target}: not mounted`);
    await b.sh(ms.reverse().map((m) => `umount${flags} ${sq(m.path)}`).join(' && '));
    return;
  }
  await b.sh(`rp ${sq(target)} || exit 1
grep -q " $RP " /proc/mounts || die EINVAL ${sq(`${target}: not mounted`)}
umount${flags} "$RP"`);
}

async function umountAll(b: ApplianceBackend): Promise<void> {
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

/** Lines that resolve `path` into $RP and check it is a directory. */
function dirScript(path: string): string {
  return `rp ${sq(path)} || exit 1
[ -e "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
[ -d "$RP" ] || die ENOTDIR ${sq(`${path}: Not a directory`)}`;
}

async function ls(b: ApplianceBackend, dir: string): Promise<string[]> {
  const out = await b.sh(`${dirScript(dir)}\ncd "$RP" && find . -mindepth 1 -maxdepth 1 -print0`);
  return nulList(out)
    .map((s) => s.replace(/^\.\//, ''))
    .sort(byteOrder);
}

async function ll(b: ApplianceBackend, dir: string): Promise<string> {
  return b.shText(`${dirScript(dir)}\ncd "$RP" && ls -la`);
}

function fileScript(path: string): string {
  return `rp ${sq(path)} || exit 1
[ -e "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
[ -d "$RP" ] && die EISDIR ${sq(`${path}: Is a directory`)}
[ -f "$RP" ] || die EINVAL ${sq(`${path}: not a regular file`)}
[ -r "$RP" ] || die EACCES ${sq(`${path}: Permission denied`)}
printf '%s\\n' "$RP"`;
}

async function readFile(b: ApplianceBackend, path: string): Promise<Uint8Array> {
  if (path.includes('\n')) {
    // The agent passes the streamed file's name on one line: fall back to cat.
    return b.sh(`rp ${sq(path)} || exit 1\ncat "$RP"`);
  }
  return b.get(fileScript(path));
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
  await b.get(fileScript(path), counter);
  return n;
}

const STAT_FORMAT = '%d %i %f %h %u %g %t %T %s %o %b %X %Y %Z|%x|%y|%z';

function nsecOf(human: string): number {
  const m = /\.(\d{1,9})/.exec(human);
  return m ? Number(m[1]!.padEnd(9, '0')) : 0;
}

function parseStat(out: string): Record<string, number> {
  const [nums = '', ax = '', mx = '', cx = ''] = out.trim().split('|');
  const f = nums.split(' ');
  const n = (i: number) => Number(f[i]);
  const major = parseInt(f[6]!, 16);
  const minor = parseInt(f[7]!, 16);
  const rdev = (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) * 0x1000);
  return {
    st_dev: n(0), st_ino: n(1), st_mode: parseInt(f[2]!, 16), st_nlink: n(3), st_uid: n(4), st_gid: n(5),
    st_rdev: rdev, st_size: n(8), st_blksize: n(9), st_blocks: n(10),
    st_atime_sec: n(11), st_atime_nsec: nsecOf(ax), st_mtime_sec: n(12), st_mtime_nsec: nsecOf(mx),
    st_ctime_sec: n(13), st_ctime_nsec: nsecOf(cx),
    st_spare1: 0, st_spare2: 0, st_spare3: 0, st_spare4: 0, st_spare5: 0, st_spare6: 0,
  };
}

async function stat(b: ApplianceBackend, path: string, follow: boolean): Promise<Record<string, number>> {
  const out = await b.shText(`rp ${sq(path)} ${follow ? 1 : 0} || exit 1
[ -e "$RP" ] || [ -L "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
stat ${follow ? '-L ' : ''}-c ${sq(STAT_FORMAT)} "$RP"`);
  return parseStat(out);
}

async function test(b: ApplianceBackend, path: string, expr: string, follow: boolean): Promise<boolean> {
  const out = await b.shText(`rp ${sq(path)} ${follow ? 1 : 0} || exit 1\nif ${expr}; then echo 1; else echo 0; fi`);
  return out.trim() === '1';
}

async function readlink(b: ApplianceBackend, path: string): Promise<string> {
  const out = await b.shText(`rp ${sq(path)} 0 || exit 1
[ -L "$RP" ] || die EINVAL ${sq(`${path}: Invalid argument`)}
readlink "$RP"`);
  return out.replace(/\n$/, '');
}

async function find(b: ApplianceBackend, dir: string): Promise<string[]> {
  const out = await b.sh(`${dirScript(dir)}\ncd "$RP" && find . -mindepth 1 -print0`);
  return nulList(out)
    .map((s) => s.replace(/^\.\//, ''))
    .sort(byteOrder);
}

const CHECKSUMS: Record<string, string> = { md5: 'md5sum', sha1: 'sha1sum', sha256: 'sha256sum', sha512: 'sha512sum' };

async function checksum(b: ApplianceBackend, csumtype: string, path: string): Promise<string> {
  const prog = CHECKSUMS[csumtype.toLowerCase()];
  if (!prog) throw new ErrnoError('EINVAL', `${csumtype}: unknown checksum type (supported: ${Object.keys(CHECKSUMS).join(', ')})`);
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

function parentScript(path: string, follow: 0 | 1): string {
  return `rp ${sq(path)} ${follow} || exit 1
p=\${RP%/*}
[ -d "\${p:-/}" ] || die ENOENT ${sq(`${path}: No such file or directory`)}`;
}

async function write(b: ApplianceBackend, path: string, content: Uint8Array | string, append = false): Promise<void> {
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  await b.sh(`${parentScript(path, 1)}
[ -d "$RP" ] && die EISDIR ${sq(`${path}: Is a directory`)}
cat ${append ? '>>' : '>'} "$RP"`, { stdin: data });
}

async function mkdir(b: ApplianceBackend, path: string, parents = false): Promise<void> {
  if (parents) {
    await b.sh(`rp ${sq(path)} || exit 1\nmkdir -p "$RP"`);
    return;
  }
  await b.sh(`${parentScript(path, 0)}\nmkdir "$RP"`);
}

async function rm(b: ApplianceBackend, path: string, opts: { force?: boolean; recursive?: boolean } = {}): Promise<void> {
  if (opts.recursive) {
    await b.sh(`rp ${sq(path)} 0 || exit 1\nrm -rf "$RP"`);
    return;
  }
  await b.sh(`rp ${sq(path)} 0 || exit 1
if [ ! -e "$RP" ] && [ ! -L "$RP" ]; then
  ${opts.force ? 'exit 0' : `die ENOENT ${sq(`${path}: No such file or directory`)}`}
fi
[ -d "$RP" ] && [ ! -L "$RP" ] && die EISDIR ${sq(`${path}: Is a directory`)}
rm -f "$RP"`);
}

async function rmdir(b: ApplianceBackend, path: string): Promise<void> {
  await b.sh(`rp ${sq(path)} 0 || exit 1\nrmdir "$RP"`);
}

async function touch(b: ApplianceBackend, path: string): Promise<void> {
  await b.sh(`${parentScript(path, 1)}\ntouch "$RP"`);
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
export const applianceOps = {
  listDevices,
  listPartitions,
  listFilesystems,
  vfsType: async (b: ApplianceBackend, dev: string) => (await blkidOne(b, dev)).TYPE ?? '',
  vfsLabel: async (b: ApplianceBackend, dev: string) => (await blkidOne(b, dev)).LABEL ?? '',
  vfsUuid: async (b: ApplianceBackend, dev: string) => (await blkidOne(b, dev)).UUID ?? '',
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
  ls,
  ll,
  cat,
  readFile,
  download,
  statns: (b: ApplianceBackend, path: string) => stat(b, path, true),
  lstatns: (b: ApplianceBackend, path: string) => stat(b, path, false),
  isFile: (b: ApplianceBackend, path: string, followsymlinks = false) =>
    test(b, path, followsymlinks ? '[ -f "$RP" ]' : '[ ! -L "$RP" ] && [ -f "$RP" ]', followsymlinks),
  isDir: (b: ApplianceBackend, path: string, followsymlinks = false) =>
    test(b, path, followsymlinks ? '[ -d "$RP" ]' : '[ ! -L "$RP" ] && [ -d "$RP" ]', followsymlinks),
  isSymlink: (b: ApplianceBackend, path: string) => test(b, path, '[ -L "$RP" ]', false),
  exists: (b: ApplianceBackend, path: string) => test(b, path, '[ -e "$RP" ]', true),
  readlink,
  find,
  checksum,
  statvfs,
  write: (b: ApplianceBackend, path: string, content: Uint8Array | string) => write(b, path, content, false),
  writeAppend: (b: ApplianceBackend, path: string, content: Uint8Array | string) => write(b, path, content, true),
  touch,
  mkdir: (b: ApplianceBackend, path: string) => mkdir(b, path, false),
  mkdirP: (b: ApplianceBackend, path: string) => mkdir(b, path, true),
  rm: (b: ApplianceBackend, path: string) => rm(b, path),
  rmF: (b: ApplianceBackend, path: string) => rm(b, path, { force: true }),
  rmRf: (b: ApplianceBackend, path: string) => rm(b, path, { recursive: true }),
  rmdir,
  sync,
  command,
  sh: shCmd,
};

export type ApplianceOps = typeof applianceOps;
