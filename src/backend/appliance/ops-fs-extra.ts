/**
 * More appliance-side filesystem tools: fstrim, mklost+found, xfs_repair, and the md
 * devices the appliance's kernel sees.
 */
import { ErrnoError } from '../../errors/index.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { devScript, fromGuestDev, lines, toGuestDev } from './ops-common.js';

const LONG = { timeoutMs: 3_600_000 };

/**
 * A guest directory that must exist ($RP), on a mounted guest filesystem: with nothing
 * mounted, /sysroot is the appliance's own memory, which these tools must not touch.
 */
export function guestDirScript(path: string): string {
  return `grep -q ' /sysroot ' /proc/mounts || die EINVAL "you must call 'mount' first to mount the root filesystem"
rp ${sq(path)}
[ -e "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
[ -d "$RP" ] || die ENOTDIR ${sq(`${path}: Not a directory`)}`;
}

async function fstrim(b: ApplianceBackend, mountpoint: string, o: { offset?: number; length?: number; minimumfreeextent?: number } = {}): Promise<void> {
  const args: string[] = [];
  for (const [k, flag] of [['offset', '-o'], ['length', '-l'], ['minimumfreeextent', '-m']] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (v < 0) throw new ErrnoError('EINVAL', `${k} < 0`);
    args.push(flag, String(v));
  }
  await b.sh(`${guestDirScript(mountpoint)}
[ -x /usr/sbin/fstrim ] || die ENOTSUP 'fstrim is not in the appliance'
sync
/usr/sbin/fstrim ${args.map(sq).join(' ')} "$RP" </dev/null >/tmp/.out 2>&1 || { cat /tmp/.out >&2; exit 1; }`, LONG);
}

async function mklostAndFound(b: ApplianceBackend, mountpoint: string): Promise<void> {
  await b.sh(`${guestDirScript(mountpoint)}
[ -x /usr/sbin/mklost+found ] || die ENOTSUP 'mklost+found is not in the appliance'
cd "$RP" && /usr/sbin/mklost+found </dev/null >/tmp/.out 2>&1 || { cat /tmp/.out >&2; exit 1; }`);
}

export interface XfsRepairOptions {
  forcelogzero?: boolean;
  nomodify?: boolean;
  noprefetch?: boolean;
  forcegeometry?: boolean;
  maxmem?: number;
  ihashsize?: number;
  bhashsize?: number;
  agstride?: number;
  logdev?: string;
  rtdev?: string;
}

/** xfs_repair's exit status: 0 clean (or repaired), 1 corruption found with nomodify; others are errors. */
async function xfsRepair(b: ApplianceBackend, dev: string, o: XfsRepairOptions = {}): Promise<number> {
  const args: string[] = [];
  if (o.forcelogzero) args.push('-L');
  if (o.nomodify) args.push('-n');
  if (o.noprefetch) args.push('-P');
  if (o.forcegeometry) args.push('-o', 'force_geometry');
  for (const [k, v] of Object.entries(o)) if (typeof v === 'number' && v < 0) throw new ErrnoError('EINVAL', `${k} must be >= 0`);
  if (o.maxmem !== undefined) args.push('-m', String(o.maxmem));
  if (o.ihashsize !== undefined) args.push('-o', `ihash=${o.ihashsize}`);
  if (o.bhashsize !== undefined) args.push('-o', `bhash=${o.bhashsize}`);
  if (o.agstride !== undefined) args.push('-o', `ag_stride=${o.agstride}`);
  if (o.logdev !== undefined) args.push('-l', toGuestDev(o.logdev));
  if (o.rtdev !== undefined) args.push('-r', toGuestDev(o.rtdev));
  const out = await b.shText(`${devScript(dev)}
[ -x /usr/sbin/xfs_repair ] || die ENOTSUP 'xfs_repair is not in the appliance'
/usr/sbin/xfs_repair ${args.map(sq).join(' ')} "$d" </dev/null >/tmp/.out 2>&1; rc=$?
[ $rc -le 1 ] || { cat /tmp/.out >&2; exit 1; }
echo "rc=$rc"`, LONG);
  const m = /^rc=(\d+)$/m.exec(out);
  if (!m) throw new ErrnoError('EIO', `${dev}: xfs_repair gave no exit status`);
  return Number(m[1]);
}

async function listMdDevices(b: ApplianceBackend): Promise<string[]> {
  const out = await b.shText('for d in /sys/block/md*; do [ -e "$d/md" ] && echo "/dev/${d##*/}"; done; :');
  return lines(out).map(fromGuestDev).sort();
}

export const fsExtraOps = { fstrim, mklostAndFound, xfsRepair, listMdDevices };
