/** NTFS maintenance in the appliance with ntfs-3g's tools, as libguestfs's daemon runs them. */
import { ErrnoError } from '../../errors/index.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { devScript } from './ops-common.js';

const LONG = { timeoutMs: 3_600_000 };

/** Runs an ntfs tool on the device ($d); its own message is the error when it fails. */
function tool(prog: string, args: string[], opts: { yes?: boolean } = {}): string {
  return `[ -x ${prog} ] || die ENOTSUP ${sq(`${prog.split('/').pop()} is not in the appliance`)}
${opts.yes ? "printf 'y\\n' | " : ''}${prog} ${args.map(sq).join(' ')} "$d" ${opts.yes ? '' : '</dev/null '}>/tmp/.out 2>&1 || { cat /tmp/.out >&2; exit 1; }`;
}

/** ntfs-3g.probe's exit status: 0 when the volume would mount (read-write if rw), else its reason code. */
async function ntfs3gProbe(b: ApplianceBackend, rw: boolean, dev: string): Promise<number> {
  const out = await b.shText(`${devScript(dev)}
[ -x /usr/bin/ntfs-3g.probe ] || die ENOTSUP 'ntfs-3g.probe is not in the appliance'
/usr/bin/ntfs-3g.probe ${rw ? '--readwrite' : '--readonly'} "$d" </dev/null >/tmp/.out 2>&1; echo "rc=$?"`);
  const m = /^rc=(\d+)$/m.exec(out);
  if (!m) throw new ErrnoError('EIO', `${dev}: ntfs-3g.probe gave no exit status`);
  return Number(m[1]);
}

async function ntfsfix(b: ApplianceBackend, dev: string, o: { clearbadsectors?: boolean } = {}): Promise<void> {
  await b.sh(`${devScript(dev)}\n${tool('/usr/bin/ntfsfix', o.clearbadsectors ? ['-b'] : [])}`, LONG);
}

/** ntfsresize -P (no progress bars), to the device's size or --size bytes; it asks for a "y" first. */
async function ntfsresize(b: ApplianceBackend, dev: string, o: { size?: number; force?: boolean } = {}): Promise<void> {
  const args = ['-P'];
  if (o.size !== undefined) {
    if (!Number.isInteger(o.size) || o.size <= 0) throw new ErrnoError('EINVAL', `size: ${o.size}: must be a positive number of bytes`);
    args.push('--size', String(o.size));
  }
  if (o.force) args.push('--force');
  await b.sh(`${devScript(dev)}\ngrep -q "^$d " /proc/mounts && die EBUSY ${sq(`${dev}: Device or resource busy (mounted)`)}\n${tool('/usr/sbin/ntfsresize', args, { yes: true })}`, LONG);
}

export const ntfsOps = { ntfs3gProbe, ntfsfix, ntfsresize };
