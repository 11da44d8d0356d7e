/**
 * Filesystem administration in the appliance: checking (e2fsck, fsck), resizing
 * (resize2fs), tuning (tune2fs), labels and UUIDs, swap (mkswap, swapon/off) and
 * zerofree, each through the e2fsprogs/util-linux program libguestfs's daemon runs,
 * with the same flags.
 */
import { ErrnoError } from '../../errors/index.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { devScript, lines, toGuestDev } from './ops-common.js';
import { guestDirScript } from './ops-fs-extra.js';
import { xfsOps } from './ops-xfs.js';

const LONG = { timeoutMs: 3_600_000 };
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Runs PROG ARGS... on the device; PROG's own message is the error when it fails. */
async function run(b: ApplianceBackend, dev: string, prog: string, args: string[], opts: { unmounted?: boolean } = {}): Promise<string> {
  return b.shText(`${devScript(dev)}
[ -x ${prog} ] || die ENOTSUP ${sq(`${prog.split('/').pop()} is not in the appliance`)}
${opts.unmounted ? `grep -q "^$d " /proc/mounts && die EBUSY ${sq(`${dev}: Device or resource busy (mounted)`)}` : ''}
${prog} ${args.map(sq).join(' ')} "$d" </dev/null >/tmp/.out 2>/tmp/.err || { cat /tmp/.err /tmp/.out >&2; exit 1; }
cat /tmp/.out`, LONG);
}

async function fsType(b: ApplianceBackend, dev: string): Promise<string> {
  const out = await b.shText(`${devScript(dev)}\n/usr/sbin/blkid -c /dev/null -o value -s TYPE "$d"; :`);
  return out.trim();
}

function checkUuid(uuid: string): void {
  if (!UUID_RE.test(uuid)) throw new ErrnoError('EINVAL', `${uuid}: not a valid UUID`);
}

// ---------------------------------------------------------------- checking

export interface E2fsckOptions {
  correct?: boolean;
  forceall?: boolean;
}

/** e2fsck -f, with -p (correct: fix what is safe) or -y (forceall: answer yes to everything), not both. */
async function e2fsck(b: ApplianceBackend, dev: string, o: E2fsckOptions = {}): Promise<void> {
  if (o.correct && o.forceall) throw new ErrnoError('EINVAL', 'only one of the options \'correct\', \'forceall\' may be specified');
  const args = ['-f'];
  if (o.correct) args.push('-p');
  if (o.forceall) args.push('-y');
  // libguestfs's daemon accepts exit status 1 (errors corrected) as success.
  await b.sh(`${devScript(dev)}
[ -x /usr/sbin/e2fsck ] || die ENOTSUP 'e2fsck is not in the appliance'
/usr/sbin/e2fsck ${args.join(' ')} "$d" </dev/null >/tmp/.out 2>&1; rc=$?
[ $rc -le 1 ] || { cat /tmp/.out >&2; exit 1; }`, LONG);
}

/** fsck -a -t TYPE: its exit status is the answer (0 clean, 1 corrected, 4 uncorrected, ...). */
async function fsck(b: ApplianceBackend, fstype: string, dev: string): Promise<number> {
  const out = await b.shText(`${devScript(dev)}
export PATH=/usr/sbin:/sbin:$PATH
[ -x /usr/sbin/fsck ] || die ENOTSUP 'fsck is not in the appliance'
/usr/sbin/fsck -a -t ${sq(fstype)} "$d" </dev/null >/tmp/.out 2>&1; echo "rc=$?"`, LONG);
  const m = /^rc=(\d+)$/m.exec(out);
  if (!m) throw new ErrnoError('EIO', `${dev}: fsck gave no exit status: ${out.trim()}`);
  return Number(m[1]);
}

// ---------------------------------------------------------------- resizing

async function resize2fs(b: ApplianceBackend, dev: string, extra: string[]): Promise<void> {
  await run(b, dev, '/usr/sbin/resize2fs', extra);
}

/** resize2fs wants a size in KiB ("NK"); libguestfs passes bytes and divides. */
async function resize2fsSize(b: ApplianceBackend, dev: string, size: number): Promise<void> {
  if (!Number.isInteger(size) || size < 0) throw new ErrnoError('EINVAL', `${size}: size must be a non-negative number of bytes`);
  if (size % 1024) throw new ErrnoError('EINVAL', `${size}: size must be a round number of kilobytes`);
  await b.sh(`${devScript(dev)}
[ -x /usr/sbin/resize2fs ] || die ENOTSUP 'resize2fs is not in the appliance'
/usr/sbin/resize2fs "$d" ${Math.floor(size / 1024)}K </dev/null >/tmp/.out 2>&1 || { cat /tmp/.out >&2; exit 1; }`, LONG);
}

/** The mount point of `dev` in the appliance (libguestfs measures btrfs and xfs on their mount), or an error. */
async function mountPointOf(b: ApplianceBackend, dev: string): Promise<string> {
  const mp = (await b.shText(`${devScript(dev)}
awk -v d="$d" '$1 == d { print $2; exit }' /proc/mounts`)).trim();
  if (!mp) throw new ErrnoError('EINVAL', `${dev}: is not mounted: mount it to measure its minimum size`);
  return mp;
}

/** ntfsresize --info's estimate, as libguestfs reads it (a full volume: its size rounded up to a cluster). */
async function ntfsMinimumSize(b: ApplianceBackend, dev: string): Promise<number> {
  const out = await b.shText(`${devScript(dev)}
[ -x /usr/sbin/ntfsresize ] || die ENOTSUP 'ntfsresize is not in the appliance'
/usr/sbin/ntfsresize --info -ff "$d" </dev/null >/tmp/.ntfsresize.out 2>/tmp/.ntfsresize.err; echo "rc=$?"
cat /tmp/.ntfsresize.out; echo '--stderr--'; cat /tmp/.ntfsresize.err; rm -f /tmp/.ntfsresize.out /tmp/.ntfsresize.err`);
  const [head = '', err = ''] = out.split('--stderr--\n');
  const rc = Number(/^rc=(\d+)/.exec(head)?.[1] ?? 1);
  const ls = lines(head);
  if (rc === 0) {
    const m = ls.map((l) => /^You might resize at (\d+)/.exec(l)).find(Boolean);
    if (!m) throw new ErrnoError('EIO', `${dev}: ntfsresize gave no minimum size`);
    return Number(m[1]);
  }
  if (ls.some((l) => l.includes('Volume is full'))) {
    const cluster = Number(/^Cluster size\s*:\s*(\d+)/m.exec(head)?.[1] ?? 0);
    const size = Number(/^Current volume size:\s*(\d+)/m.exec(head)?.[1] ?? 0);
    if (!cluster) throw new ErrnoError('EIO', 'bad cluster size');
    return Math.ceil(size / cluster) * cluster;
  }
  throw new ErrnoError('EIO', `${dev}: ${err.trim().split('\n')[0] || 'ntfsresize --info failed'}`);
}

/**
 * The smallest size the filesystem could shrink to, in bytes, computed as
 * libguestfs does: ext2/3/4 resize2fs -P's blocks times the block size; ntfs
 * ntfsresize --info; btrfs `btrfs inspect-internal min-dev-size` on its mount;
 * xfs (which cannot shrink) its current data size, from xfs_info on its mount.
 */
async function vfsMinimumSize(b: ApplianceBackend, dev: string): Promise<number> {
  const type = await fsType(b, dev);
  if (type === 'ntfs') return ntfsMinimumSize(b, dev);
  if (type === 'btrfs') {
    const mp = await mountPointOf(b, dev);
    const out = await b.shText(`command -v btrfs >/dev/null || die ENOTSUP 'btrfs: btrfs-progs is not in the appliance'
btrfs inspect-internal min-dev-size ${sq(mp)} </dev/null 2>/tmp/.min-dev-size.err || { cat /tmp/.min-dev-size.err >&2; exit 1; }`);
    const n = /^(\d+)/.exec(out.trim());
    if (!n) throw new ErrnoError('EIO', 'cannot parse minimum size');
    return Number(n[1]);
  }
  if (type === 'xfs') {
    await mountPointOf(b, dev);
    const info = await xfsOps.xfsInfo(b, dev);
    return Number(info.xfs_blocksize) * Number(info.xfs_datablocks);
  }
  if (!/^ext[234]$/.test(type)) throw new ErrnoError('EOPNOTSUPP', `don't know how to get minimum size of '${type || 'unknown'}' filesystems`);
  const out = await b.shText(`${devScript(dev)}
/usr/sbin/resize2fs -P "$d" 2>/dev/null | sed -n 's/^Estimated minimum size of the filesystem: //p'
/usr/sbin/tune2fs -l "$d" | sed -n 's/^Block size: *//p'`);
  const [blocks, bsize] = lines(out).map(Number);
  if (!blocks || !bsize) throw new ErrnoError('EIO', `${dev}: resize2fs -P gave no estimate`);
  return blocks * bsize;
}

// ---------------------------------------------------------------- tune2fs

/** tune2fs -l as libguestfs parses it: "Key: value" lines (the header line has no value). */
async function tune2fsL(b: ApplianceBackend, dev: string): Promise<Record<string, string>> {
  const out = await run(b, dev, '/usr/sbin/tune2fs', ['-l']);
  const res: Record<string, string> = {};
  for (const l of lines(out)) {
    if (l.startsWith('tune2fs ')) continue;
    const colon = l.indexOf(':');
    if (colon < 0) { res[l] = ''; continue; }
    res[l.slice(0, colon)] = l.slice(colon + 1).trim();
  }
  return res;
}

export interface Tune2fsOptions {
  force?: boolean;
  maxmountcount?: number;
  mountcount?: number;
  errorbehavior?: string;
  group?: number;
  intervalbetweenchecks?: number;
  reservedblockspercentage?: number;
  lastmounteddirectory?: string;
  reservedblockscount?: number;
  user?: number;
}

async function tune2fs(b: ApplianceBackend, dev: string, o: Tune2fsOptions = {}): Promise<void> {
  const args: string[] = [];
  if (o.force) args.push('-f');
  if (o.maxmountcount !== undefined) args.push('-c', String(o.maxmountcount));
  if (o.mountcount !== undefined) args.push('-C', String(o.mountcount));
  if (o.errorbehavior !== undefined) {
    if (!['continue', 'remount-ro', 'panic'].includes(o.errorbehavior)) {
      throw new ErrnoError('EINVAL', `${o.errorbehavior}: errorbehavior must be 'continue', 'remount-ro' or 'panic'`);
    }
    args.push('-e', o.errorbehavior);
  }
  if (o.group !== undefined) args.push('-g', String(o.group));
  if (o.intervalbetweenchecks !== undefined) args.push('-i', `${o.intervalbetweenchecks}s`);
  if (o.reservedblockspercentage !== undefined) args.push('-m', String(o.reservedblockspercentage));
  if (o.lastmounteddirectory !== undefined) args.push('-M', o.lastmounteddirectory);
  if (o.reservedblockscount !== undefined) args.push('-r', String(o.reservedblockscount));
  if (o.user !== undefined) args.push('-u', String(o.user));
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number' && v < 0) throw new ErrnoError('EINVAL', `${k}: must be >= 0`);
  }
  await run(b, dev, '/usr/sbin/tune2fs', args);
}

// ---------------------------------------------------------------- labels, UUIDs

/** e2label itself says what is wrong with a device that is not ext2/3/4. */
async function setE2label(b: ApplianceBackend, dev: string, label: string): Promise<void> {
  await b.sh(`${devScript(dev)}
[ -x /usr/sbin/e2label ] || die ENOTSUP 'e2label is not in the appliance'
/usr/sbin/e2label "$d" ${sq(label)} </dev/null >/tmp/.out 2>&1 || { cat /tmp/.out >&2; exit 1; }`);
}

async function setE2uuid(b: ApplianceBackend, dev: string, uuid: string): Promise<void> {
  if (!['clear', 'random', 'time'].includes(uuid)) checkUuid(uuid);
  await run(b, dev, '/usr/sbin/tune2fs', ['-f', '-U', uuid]);
}

/** set-label: the filesystem's own labelling tool, by type. */
async function setLabel(b: ApplianceBackend, dev: string, label: string): Promise<void> {
  const type = await fsType(b, dev);
  if (/^ext[234]$/.test(type)) return setE2label(b, dev, label);
  switch (type) {
    case 'vfat': case 'msdos':
      await b.sh(`${devScript(dev)}\n[ -x /usr/sbin/fatlabel ] || die ENOTSUP 'fatlabel is not in the appliance'
/usr/sbin/fatlabel "$d" ${sq(label)} </dev/null >/tmp/.out 2>&1 || { cat /tmp/.out >&2; exit 1; }`);
      return;
    case 'swap':
      await run(b, dev, '/usr/sbin/swaplabel', ['-L', label]);
      return;
    case 'btrfs':
      await b.sh(`${devScript(dev)}\n/usr/bin/btrfs filesystem label "$d" ${sq(label)} >/tmp/.out 2>&1 || { cat /tmp/.out >&2; exit 1; }`);
      return;
    default:
      throw new ErrnoError('EOPNOTSUPP', `don't know how to set the label for '${type || 'unknown'}' filesystems`);
  }
}

/** set-uuid: ext2/3/4 (tune2fs -U) and swap (swaplabel -U); "random" makes a new one. */
async function setUuid(b: ApplianceBackend, dev: string, uuid: string): Promise<void> {
  if (uuid !== 'random') checkUuid(uuid);
  const type = await fsType(b, dev);
  if (/^ext[234]$/.test(type)) return setE2uuid(b, dev, uuid);
  if (type === 'swap') {
    const u = uuid === 'random' ? (await b.shText('cat /proc/sys/kernel/random/uuid')).trim() : uuid;
    await run(b, dev, '/usr/sbin/swaplabel', ['-U', u]);
    return;
  }
  throw new ErrnoError('EOPNOTSUPP', `don't know how to set the UUID for '${type || 'unknown'}' filesystems`);
}

// ---------------------------------------------------------------- swap

export interface MkswapOptions {
  label?: string;
  uuid?: string;
}

async function mkswap(b: ApplianceBackend, dev: string, o: MkswapOptions = {}): Promise<void> {
  const args = ['-f'];
  if (o.label !== undefined) args.push('-L', o.label);
  // mkswap itself refuses a malformed UUID ("parsing UUID failed"), as libguestfs reports it.
  if (o.uuid !== undefined) args.push('-U', o.uuid);
  await run(b, dev, '/usr/sbin/mkswap', args, { unmounted: true });
}

/** mkswap on a file of the mounted guest (which must exist: libguestfs does not create it). */
async function mkswapFile(b: ApplianceBackend, path: string): Promise<void> {
  await b.sh(`rp ${sq(path)}
[ -f "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
/usr/sbin/mkswap -f "$RP" </dev/null >/tmp/.out 2>&1 || { cat /tmp/.out >&2; exit 1; }`);
}

/** swapon/swapoff on a device, a guest file, or the swap whose label or UUID is given (-L / -U). */
async function swap(b: ApplianceBackend, on: boolean, kind: 'device' | 'file' | 'label' | 'uuid', what: string): Promise<void> {
  const prog = on ? '/usr/sbin/swapon' : '/usr/sbin/swapoff';
  const target = kind === 'device' ? `${devScript(what)}\nset -- "$d"`
    : kind === 'file' ? `rp ${sq(what)}\n[ -e "$RP" ] || die ENOENT ${sq(`${what}: No such file or directory`)}\nset -- "$RP"`
      : `set -- ${kind === 'label' ? '-L' : '-U'} ${sq(what)}`;
  await b.sh(`${target}
[ -x ${prog} ] || die ENOTSUP ${sq(`${prog.split('/').pop()} is not in the appliance`)}
${prog} "$@" </dev/null >/tmp/.out 2>&1 || { cat /tmp/.out >&2; exit 1; }`);
}

// ---------------------------------------------------------------- mke2fs

/** mke2fs's flag for each numeric or string optional argument of libguestfs's mke2fs. */
const MKE2FS_VALUE: Record<string, (v: string) => string[]> = {
  blocksize: (v) => ['-b', v], fragsize: (v) => ['-f', v], blockspergroup: (v) => ['-g', v],
  numberofgroups: (v) => ['-G', v], bytesperinode: (v) => ['-i', v], inodesize: (v) => ['-I', v],
  journalsize: (v) => ['-J', `size=${v}`], numberofinodes: (v) => ['-N', v], stridesize: (v) => ['-E', `stride=${v}`],
  stripewidth: (v) => ['-E', `stripe_width=${v}`], maxonlineresize: (v) => ['-E', `resize=${v}`],
  reservedblockspercentage: (v) => ['-m', v], mmpupdateinterval: (v) => ['-E', `mmp_update_interval=${v}`],
  journaldevice: (v) => ['-J', `device=${toGuestDev(v)}`], label: (v) => ['-L', v], lastmounteddir: (v) => ['-M', v],
  creatoros: (v) => ['-o', v], fstype: (v) => ['-t', v], usagetype: (v) => ['-T', v], uuid: (v) => ['-U', v],
};
/** Boolean optional arguments: a flag when true, or a filesystem feature switched on (X) or off (^X). */
const MKE2FS_FLAG: Record<string, string> = { forcecreate: '-F', writesbandgrouponly: '-S' };
const MKE2FS_EXTENDED: Record<string, string> = { lazyitableinit: 'lazy_itable_init', lazyjournalinit: 'lazy_journal_init' };
const MKE2FS_FEATURE: Record<string, string> = {
  extent: 'extent', filetype: 'filetype', flexbg: 'flex_bg', hasjournal: 'has_journal', journaldev: 'journal_dev',
  largefile: 'large_file', quota: 'quota', resizeinode: 'resize_inode', sparsesuper: 'sparse_super', uninitbg: 'uninit_bg',
};

async function mke2fs(b: ApplianceBackend, dev: string, o: Record<string, unknown> = {}): Promise<void> {
  const args = ['-F', '-q'];
  const features: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (typeof v === 'number' && v < 0) throw new ErrnoError('EINVAL', `${k}: must be >= 0`);
    if (MKE2FS_VALUE[k]) args.push(...MKE2FS_VALUE[k]!(String(v)));
    else if (MKE2FS_FLAG[k]) { if (v) args.push(MKE2FS_FLAG[k]!); }
    else if (MKE2FS_EXTENDED[k]) args.push('-E', `${MKE2FS_EXTENDED[k]}=${v ? 1 : 0}`);
    else if (MKE2FS_FEATURE[k]) features.push(`${v ? '' : '^'}${MKE2FS_FEATURE[k]}`);
    else if (k === 'testfs') { if (v) args.push('-E', 'test_fs'); }
    else if (k === 'discard') args.push('-E', v ? 'discard' : 'nodiscard');
    else if (k === 'quotatype') { if (v) args.push('-E', 'quotatype'); }
  }
  if (o.uuid !== undefined) checkUuid(String(o.uuid));
  if (features.length) args.push('-O', features.join(','));
  const count = o.blockscount === undefined ? '' : ` ${Number(o.blockscount)}`;
  await b.sh(`${devScript(dev)}
[ -x /usr/sbin/mke2fs ] || die ENOTSUP 'mke2fs is not in the appliance'
grep -q "^$d " /proc/mounts && die EBUSY ${sq(`${dev}: Device or resource busy (mounted)`)}
/usr/sbin/mke2fs ${args.map(sq).join(' ')} "$d"${count} </dev/null >/tmp/.out 2>&1 || { cat /tmp/.out >&2; exit 1; }`, LONG);
}

// ---------------------------------------------------------------- mkfs-btrfs

const MKFS_BTRFS: Record<string, string> = {
  allocstart: '-A', bytecount: '-b', datatype: '-d', leafsize: '-l', label: '-L', metadata: '-m', nodesize: '-n', sectorsize: '-s',
};

/** mkfs.btrfs -f over one or more devices, each optional argument being its option. */
async function mkfsBtrfs(b: ApplianceBackend, devices: string[], o: Record<string, unknown> = {}): Promise<void> {
  if (!devices.length) throw new ErrnoError('EINVAL', 'list of devices must be non-empty');
  const args = ['-f'];
  // libguestfs lets through only these profiles (not dup, raid5, raid6).
  for (const k of ['datatype', 'metadata']) {
    if (o[k] !== undefined && !['raid0', 'raid1', 'raid10', 'single'].includes(String(o[k]))) throw new ErrnoError('EINVAL', `${k} not one of the allowed values`);
  }
  for (const k of ['leafsize', 'nodesize', 'sectorsize']) {
    const n = o[k] as number | undefined;
    if (n !== undefined && (n <= 0 || (n & (n - 1)) !== 0)) throw new ErrnoError('EINVAL', `${k} must be > 0 and a power of two`);
  }
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || !MKFS_BTRFS[k]) continue;
    if (typeof v === 'number' && v < 0) throw new ErrnoError('EINVAL', `${k}: must be >= 0`);
    args.push(MKFS_BTRFS[k]!, String(v));
  }
  const devs = devices.map((d, i) => `${devScript(d)}\nd${i}=$d`);
  await b.sh(`${devs.join('\n')}
[ -x /usr/sbin/mkfs.btrfs ] || die ENOTSUP 'mkfs.btrfs is not in the appliance'
/usr/sbin/mkfs.btrfs ${args.map(sq).join(' ')} ${devices.map((_, i) => `"$d${i}"`).join(' ')} </dev/null >/tmp/.out 2>&1 || { cat /tmp/.out >&2; exit 1; }`, LONG);
}

// ---------------------------------------------------------------- zerofree

async function zerofree(b: ApplianceBackend, dev: string): Promise<void> {
  await run(b, dev, '/usr/sbin/zerofree', [], { unmounted: true });
}

/** Fills the free space of the filesystem holding the guest directory with a zero file, then removes it. */
async function zeroFreeSpace(b: ApplianceBackend, dir: string): Promise<void> {
  await b.sh(`${guestDirScript(dir)}
f="$RP/.guestkit-zero.$$"
# dd stops at ENOSPC: the filesystem is full of zeros, which is the point.
dd if=/dev/zero of="$f" bs=1048576 2>/tmp/.dderr
grep -q 'No space left' /tmp/.dderr || [ -z "$(grep -v records /tmp/.dderr)" ] || { rm -f "$f"; cat /tmp/.dderr >&2; exit 1; }
sync; rm -f "$f"; sync`, LONG);
}

/** True when the appliance's kernel knows the filesystem type (/proc/filesystems, after loading its modules). */
async function filesystemAvailable(b: ApplianceBackend, fstype: string): Promise<boolean> {
  const out = await b.shText(`needfs ${sq(fstype)} 2>/dev/null
awk '{ print $NF }' /proc/filesystems | grep -qxF -- ${sq(fstype)} && echo yes || echo no`);
  return out.trim() === 'yes';
}

export const fsAdminOps = {
  e2fsck,
  e2fsckF: (b: ApplianceBackend, dev: string) => e2fsck(b, dev, { correct: true }),
  fsck,
  resize2fs: (b: ApplianceBackend, dev: string) => resize2fs(b, dev, []),
  resize2fsM: (b: ApplianceBackend, dev: string) => resize2fs(b, dev, ['-M']),
  resize2fsSize,
  vfsMinimumSize,
  tune2fsL,
  tune2fs,
  setE2label,
  setE2uuid,
  setLabel,
  setUuid,
  setUuidRandom: (b: ApplianceBackend, dev: string) => setUuid(b, dev, 'random'),
  mkswap,
  mkswapL: (b: ApplianceBackend, label: string, dev: string) => mkswap(b, dev, { label }),
  mkswapU: (b: ApplianceBackend, uuid: string, dev: string) => mkswap(b, dev, { uuid }),
  mkswapFile,
  swaponDevice: (b: ApplianceBackend, dev: string) => swap(b, true, 'device', dev),
  swapoffDevice: (b: ApplianceBackend, dev: string) => swap(b, false, 'device', dev),
  swaponFile: (b: ApplianceBackend, path: string) => swap(b, true, 'file', path),
  swapoffFile: (b: ApplianceBackend, path: string) => swap(b, false, 'file', path),
  swaponLabel: (b: ApplianceBackend, label: string) => swap(b, true, 'label', label),
  swapoffLabel: (b: ApplianceBackend, label: string) => swap(b, false, 'label', label),
  swaponUuid: (b: ApplianceBackend, uuid: string) => swap(b, true, 'uuid', uuid),
  swapoffUuid: (b: ApplianceBackend, uuid: string) => swap(b, false, 'uuid', uuid),
  zerofree,
  filesystemAvailable,
  mke2fs,
  mkfsBtrfs,
  zeroFreeSpace,
};
