/**
 * btrfs administration on the appliance (devices, balance, scrub, quota groups,
 * snapshots, btrfstune, rescue), through btrfs-progs with the flags libguestfs's
 * daemon passes, and its output parsed as the daemon parses it.
 */
import { ErrnoError } from '../../errors/index.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { fromGuestDev, lines } from './ops-common.js';
import { deviceInto, devicesInto, LONG, pathInto, toolScript, v, type Word } from './ops-tool.js';

const PRE = 'needfs btrfs';

/** btrfs SUBCOMMAND... on the mounted guest path; errors read "PATH: btrfs's message". */
async function onPath(b: ApplianceBackend, path: string, args: Word[], tail: Word[] = []): Promise<string> {
  return b.shText(toolScript({ pre: `${PRE}\n${pathInto('p', path)}`, argv: ['btrfs', ...args, ...tail, v('p')], label: path }), LONG);
}

/** A btrfs-progs program on a device; errors read "DEVICE: its message". */
async function onDevice(b: ApplianceBackend, dev: string, argv: Word[]): Promise<string> {
  return b.shText(toolScript({ pre: `${PRE}\n${deviceInto('d', dev)}`, argv: [...argv, v('d')], label: dev }), LONG);
}

/** A Mountable_or_Path: a mounted guest path, or a device mounted on a scratch directory for the call. */
async function onMountable(b: ApplianceBackend, fs: string, args: Word[]): Promise<void> {
  if (!fs.startsWith('/dev/')) {
    await onPath(b, fs, args);
    return;
  }
  const run = toolScript({ argv: ['btrfs', ...args, v('m')], label: '/tmp/btrfs' });
  await b.sh(`${PRE}
${deviceInto('d', fs)}
m=$(mktemp -d /tmp/btrfs.XXXXXX)
mount -t btrfs "$d" "$m" 2>/tmp/.merr || { rmdir "$m"; die EINVAL ${sq(`${fs}: cannot mount as btrfs`)}; }
( ${run.replace(/\n/g, '\n  ')} ); rc=$?
umount "$m"; rmdir "$m"; exit $rc`, LONG);
}

// ---------------------------------------------------------------- parsing

export interface BtrfsBalance {
  btrfsbalance_status: string;
  btrfsbalance_total: number;
  btrfsbalance_balanced: number;
  btrfsbalance_considered: number;
  btrfsbalance_left: number;
}

/** `btrfs balance status`: "No balance found on ...", or "Balance on '...' is running|paused" and a progress line. */
export function parseBalanceStatus(out: string): BtrfsBalance {
  const ls = lines(out);
  const none = { btrfsbalance_status: 'none', btrfsbalance_total: 0, btrfsbalance_balanced: 0, btrfsbalance_considered: 0, btrfsbalance_left: 0 };
  if (!ls.length) throw new ErrnoError('EIO', 'No balance status output');
  if (ls[0]!.includes('No balance found on')) return none;
  const m = /Balance on '.*' is (.*)/.exec(ls[0]!);
  if (!m || (m[1] !== 'running' && m[1] !== 'paused')) throw new ErrnoError('EIO', `unexpected output from 'btrfs balance status' command: ${ls[0]}`);
  if (ls.length < 2) throw new ErrnoError('EIO', "truncated output from 'btrfs balance status' command");
  const p = /^\s*(\d+) out of about (\d+) chunks balanced \((\d+) considered\),\s+(\d+)% left/.exec(ls[1]!);
  if (!p) throw new ErrnoError('EIO', `unexpected output from 'btrfs balance status' command: ${ls[1]}`);
  return { btrfsbalance_status: m[1], btrfsbalance_total: Number(p[2]), btrfsbalance_balanced: Number(p[1]), btrfsbalance_considered: Number(p[3]), btrfsbalance_left: Number(p[4]) };
}

export const SCRUB_FIELDS = [
  'data_extents_scrubbed', 'tree_extents_scrubbed', 'data_bytes_scrubbed', 'tree_bytes_scrubbed', 'read_errors', 'csum_errors',
  'verify_errors', 'no_csum', 'csum_discards', 'super_errors', 'malloc_errors', 'uncorrectable_errors', 'unverified_errors',
  'corrected_errors', 'last_physical',
] as const;

/**
 * `btrfs scrub status -R`: tab-indented "name: number" lines, parsed as the
 * daemon does: an unknown tab-indented line is an error, and fewer than 17
 * lines is a truncated output.
 */
export function parseScrubStatus(out: string): Record<string, number> {
  const ls = out.split('\n');
  if (ls[ls.length - 1] === '') ls.pop();
  if (ls.length < 2) throw new ErrnoError('EIO', "truncated output from 'btrfs scrub status -R' command");
  const res: Record<string, number> = Object.fromEntries(SCRUB_FIELDS.map((f) => [`btrfsscrub_${f}`, 0]));
  for (const l of ls) {
    if (l[0] !== '\t') continue;
    if (l === '\tno stats available') return res;
    if (l.startsWith('\tscrub started at')) continue;
    const m = /^\t(\w+): (\d+)/.exec(l);
    if (!m || !(SCRUB_FIELDS as readonly string[]).includes(m[1]!)) throw new ErrnoError('EIO', `${l}: could not parse btrfs scrub status.`);
    res[`btrfsscrub_${m[1]}`] = Number(m[2]);
  }
  if (ls.length < 17) throw new ErrnoError('EIO', "truncated output from 'btrfs scrub status -R' command");
  return res;
}

/** `btrfs qgroup show --raw`: two header lines, then "ID RFER EXCL" per qgroup. */
export function parseQgroupShow(out: string): { btrfsqgroup_id: string; btrfsqgroup_rfer: number; btrfsqgroup_excl: number }[] {
  const ls = lines(out).slice(2);
  return ls.map((l) => {
    const m = /^\s*([0-9/]+)\s+(\d+)\s+(\d+)/.exec(l);
    if (!m) throw new ErrnoError('EIO', `cannot parse output of qgroup show command: ${l}`);
    return { btrfsqgroup_id: m[1]!, btrfsqgroup_rfer: Number(m[2]), btrfsqgroup_excl: Number(m[3]) };
  });
}

/** One "key: value" line as the daemon splits it (key and value trimmed of leading blanks; no colon: no value). */
function keyValue(line: string): { key?: string; value?: string } {
  const p = line.replace(/^\s+/, '');
  const colon = p.indexOf(':');
  const key = colon === 0 ? undefined : colon < 0 ? p : p.slice(0, colon);
  return colon < 0 ? { key } : { key, value: p.slice(colon + 1).replace(/^\s+/, '') };
}

/**
 * `btrfs subvolume show`: the subvolume's path first, then "Key: value" lines
 * ("-" is empty); Snapshot(s) gathers the following value-less lines, comma-separated.
 */
export function parseSubvolumeShow(out: string, subvolume: string): Record<string, string> {
  if (out.includes('is btrfs root') || out.includes('is toplevel subvolume')) throw new ErrnoError('EINVAL', `${subvolume} is btrfs root`);
  const ls = out.split('\n');
  if (ls[ls.length - 1] === '') ls.pop();
  if (!ls.length || out === '') throw new ErrnoError('EIO', `truncated output: ${out}`);
  const res: Record<string, string> = {};
  const first = keyValue(ls[0]!);
  if (first.key !== undefined && first.value === undefined) res.path = first.key;
  else res[first.key ?? ''] = first.value ?? '';
  let i = 1;
  while (i < ls.length) {
    const { key, value } = keyValue(ls[i]!);
    if (!key) break;
    if (key.startsWith('Snapshot(s)')) {
      const snaps: string[] = [];
      i++;
      while (i < ls.length) {
        const kv = keyValue(ls[i]!);
        if (!kv.key || kv.value !== undefined) break;
        snaps.push(kv.key);
        i++;
      }
      res[key] = snaps.join(',');
      continue;
    }
    res[key] = value && value !== '-' ? value : '';
    i++;
  }
  return res;
}

/** `btrfs filesystem show DEVICE`: the path of each devid line. */
export function parseFilesystemShow(out: string, device: string): string[] {
  const ls = out.split('\n');
  if (ls[ls.length - 1] === '') ls.pop();
  if (ls.length < 3) throw new ErrnoError('EIO', "truncated output from 'btrfs filesystem show' command");
  const res: string[] = [];
  for (const l of ls.slice(1)) {
    if (l === '' || l.startsWith('Label: ') || l.startsWith('\tTotal devices ')) continue;
    if (l.startsWith('\tdevid ')) {
      const at = l.indexOf(' path ');
      if (at >= 0) res.push(fromGuestDev(l.slice(at + 6).split(' ')[0]!));
    } else if (l.startsWith('\t*** Some devices missing')) {
      throw new ErrnoError('ENODEV', `${device}: missing devices`);
    } else if (l.startsWith('btrfs-progs v') || l.startsWith('Btrfs v')) {
      continue;
    } else {
      throw new ErrnoError('EIO', `unrecognized line in output from 'btrfs filesystem show': ${l}`);
    }
  }
  return res;
}

// ---------------------------------------------------------------- operations

async function deviceAddOrDelete(b: ApplianceBackend, op: 'add' | 'delete', devices: string[], fs: string): Promise<void> {
  if (!devices.length) return;
  const { pre, words } = devicesInto('dv', devices);
  await b.sh(toolScript({
    pre: `${PRE}\n${pre}\n${pathInto('p', fs)}`,
    argv: ['btrfs', 'device', op, ...(op === 'add' ? ['--force'] : []), ...words, v('p')],
    label: fs,
  }), LONG);
}

async function filesystemResize(b: ApplianceBackend, mountpoint: string, size?: number): Promise<void> {
  if (size !== undefined && size <= 0) throw new ErrnoError('EINVAL', 'size is zero or negative');
  await onPath(b, mountpoint, ['filesystem', 'resize', size === undefined ? 'max' : String(Math.trunc(size))]);
}

async function filesystemDefragment(b: ApplianceBackend, path: string, flush?: boolean, compress?: string): Promise<void> {
  const args = ['filesystem', 'defragment', '-r'];
  if (flush) args.push('-f');
  if (compress !== undefined) {
    if (compress !== 'zlib' && compress !== 'lzo') throw new ErrnoError('EINVAL', `unknown compress method: ${compress}`);
    args.push(`-c${compress}`);
  }
  await onPath(b, path, args);
}

async function filesystemShow(b: ApplianceBackend, device: string): Promise<string[]> {
  return parseFilesystemShow(await onDevice(b, device, ['btrfs', 'filesystem', 'show']), device);
}

async function fsck(b: ApplianceBackend, device: string, superblock?: number, repair?: boolean): Promise<void> {
  const args: Word[] = ['btrfs', 'check'];
  if (superblock !== undefined) {
    if (superblock < 0) throw new ErrnoError('EINVAL', 'super block offset must be >= 0');
    args.push('--super', String(Math.trunc(superblock)));
  }
  if (repair) args.push('--repair');
  await onDevice(b, device, args);
}

async function image(b: ApplianceBackend, sources: string[], img: string, compresslevel?: number): Promise<void> {
  if (!sources.length) throw new ErrnoError('EINVAL', 'list of sources must be non-empty');
  const { pre, words } = devicesInto('s', sources);
  const level = compresslevel !== undefined && compresslevel >= 0 ? ['-c', String(Math.trunc(compresslevel))] : [];
  await b.sh(toolScript({
    pre: `${PRE}\n${pre}\n${pathInto('img', img)}`,
    argv: ['btrfs-image', ...level, ...words, v('img')],
    label: `${sources[0]} ${img}`,
  }), LONG);
}

async function subvolumeSnapshot(b: ApplianceBackend, source: string, dest: string, ro?: boolean, qgroupid?: string): Promise<void> {
  const args: Word[] = ['btrfs', 'subvolume', 'snapshot'];
  if (ro) args.push('-r');
  if (qgroupid !== undefined) args.push('-i', qgroupid);
  await b.sh(toolScript({
    pre: `${PRE}\n${pathInto('s', source)}\n${pathInto('t', dest, 0)}`,
    argv: [...args, v('s'), v('t')],
    label: source,
  }), LONG);
}

async function subvolumeShow(b: ApplianceBackend, subvolume: string): Promise<Record<string, string>> {
  const out = await b.shText(`${PRE}\n${pathInto('p', subvolume)}
btrfs subvolume show "$p" </dev/null >/tmp/.tool.out 2>/tmp/.tool.err; rc=$?
if [ $rc -ne 0 ]; then
  grep -q 'is not a subvolume' /tmp/.tool.err && die EINVAL ${sq(`${subvolume} is not a subvolume`)}
  printf '%s: ' ${sq(subvolume)} >&2; cat /tmp/.tool.err >&2; exit 1
fi
cat /tmp/.tool.out`);
  return parseSubvolumeShow(out.replace(/\/sysroot(?=\/|$)/gm, '') || '', subvolume);
}

async function balanceStatus(b: ApplianceBackend, path: string): Promise<BtrfsBalance> {
  return parseBalanceStatus(await onPath(b, path, ['balance', 'status']));
}

async function scrubStatus(b: ApplianceBackend, path: string): Promise<Record<string, number>> {
  return parseScrubStatus(await onPath(b, path, ['scrub', 'status', '-R']));
}

async function qgroupShow(b: ApplianceBackend, path: string) {
  return parseQgroupShow(await onPath(b, path, ['qgroup', 'show', '--raw']));
}

async function qgroupLimit(b: ApplianceBackend, subvolume: string, size: number): Promise<void> {
  await onPath(b, subvolume, ['qgroup', 'limit', String(Math.trunc(size))]);
}

async function replace(b: ApplianceBackend, srcdev: string, targetdev: string, mntpoint: string): Promise<void> {
  await b.sh(toolScript({
    pre: `${PRE}\n${deviceInto('s', srcdev)}\n${deviceInto('t', targetdev)}\n${pathInto('p', mntpoint)}`,
    argv: ['btrfs', 'replace', 'start', '-B', '-f', v('s'), v('t'), v('p')],
    label: mntpoint,
  }), LONG);
}

async function tune(b: ApplianceBackend, device: string, args: string[]): Promise<void> {
  await onDevice(b, device, ['btrfstune', ...args]);
}

/**
 * btrfs-set-seeding runs btrfstune -S without -f and, as libguestfs's daemon does
 * (it only checks that the program ran), does not fail on btrfstune's exit status:
 * clearing the flag asks for a confirmation that never comes, so only setting it acts.
 */
async function setSeeding(b: ApplianceBackend, dev: string, seeding: boolean): Promise<void> {
  await b.sh(toolScript({ pre: `${PRE}\n${deviceInto('d', dev)}`, argv: ['btrfstune', '-S', seeding ? '1' : '0', v('d')], label: dev, okStatus: 'any' }), LONG);
}

export const btrfsAdminOps = {
  btrfsBalanceCancel: (b: ApplianceBackend, path: string) => onPath(b, path, ['balance', 'cancel']).then(() => undefined),
  btrfsBalancePause: (b: ApplianceBackend, path: string) => onPath(b, path, ['balance', 'pause']).then(() => undefined),
  btrfsBalanceResume: (b: ApplianceBackend, path: string) => onPath(b, path, ['balance', 'resume']).then(() => undefined),
  btrfsBalanceStatus: balanceStatus,
  btrfsDeviceAdd: (b: ApplianceBackend, devices: string[], fs: string) => deviceAddOrDelete(b, 'add', devices, fs),
  btrfsDeviceDelete: (b: ApplianceBackend, devices: string[], fs: string) => deviceAddOrDelete(b, 'delete', devices, fs),
  btrfsFilesystemBalance: (b: ApplianceBackend, fs: string) => onPath(b, fs, ['balance']).then(() => undefined),
  btrfsFilesystemDefragment: filesystemDefragment,
  btrfsFilesystemResize: filesystemResize,
  btrfsFilesystemShow: filesystemShow,
  btrfsFilesystemSync: (b: ApplianceBackend, fs: string) => onPath(b, fs, ['filesystem', 'sync']).then(() => undefined),
  btrfsFsck: fsck,
  btrfsImage: image,
  btrfsQgroupAssign: (b: ApplianceBackend, src: string, dst: string, path: string) => onPath(b, path, ['qgroup', 'assign', src, dst]).then(() => undefined),
  btrfsQgroupCreate: (b: ApplianceBackend, id: string, subvolume: string) => onPath(b, subvolume, ['qgroup', 'create', id]).then(() => undefined),
  btrfsQgroupDestroy: (b: ApplianceBackend, id: string, subvolume: string) => onPath(b, subvolume, ['qgroup', 'destroy', id]).then(() => undefined),
  btrfsQgroupLimit: qgroupLimit,
  btrfsQgroupRemove: (b: ApplianceBackend, src: string, dst: string, path: string) => onPath(b, path, ['qgroup', 'remove', src, dst]).then(() => undefined),
  btrfsQgroupShow: qgroupShow,
  btrfsQuotaEnable: (b: ApplianceBackend, fs: string, enable: boolean) => onMountable(b, fs, ['quota', enable ? 'enable' : 'disable']),
  btrfsQuotaRescan: (b: ApplianceBackend, fs: string) => onMountable(b, fs, ['quota', 'rescan']),
  btrfsReplace: replace,
  btrfsRescueChunkRecover: (b: ApplianceBackend, dev: string) => onDevice(b, dev, ['btrfs', 'rescue', 'chunk-recover', '-y']).then(() => undefined),
  btrfsRescueSuperRecover: (b: ApplianceBackend, dev: string) => onDevice(b, dev, ['btrfs', 'rescue', 'super-recover', '-y']).then(() => undefined),
  btrfsScrubCancel: (b: ApplianceBackend, path: string) => onPath(b, path, ['scrub', 'cancel']).then(() => undefined),
  btrfsScrubResume: (b: ApplianceBackend, path: string) => onPath(b, path, ['scrub', 'resume']).then(() => undefined),
  btrfsScrubStart: (b: ApplianceBackend, path: string) => onPath(b, path, ['scrub', 'start']).then(() => undefined),
  btrfsScrubStatus: scrubStatus,
  btrfsSetSeeding: setSeeding,
  btrfsSubvolumeDelete: (b: ApplianceBackend, subvolume: string) => onPath(b, subvolume, ['subvolume', 'delete']).then(() => undefined),
  btrfsSubvolumeShow: subvolumeShow,
  btrfsSubvolumeSnapshot: subvolumeSnapshot,
  btrfstuneEnableExtendedInodeRefs: (b: ApplianceBackend, dev: string) => tune(b, dev, ['-r']),
  btrfstuneEnableSkinnyMetadataExtentRefs: (b: ApplianceBackend, dev: string) => tune(b, dev, ['-x']),
  btrfstuneSeeding: (b: ApplianceBackend, dev: string, seeding: boolean) => tune(b, dev, seeding ? ['-S', '1'] : ['-S', '0', '-f']),
};
