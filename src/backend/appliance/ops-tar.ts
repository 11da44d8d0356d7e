/**
 * Appliance operations that move directory trees and report disk usage: tar-in
 * and tar-out (GNU tar in the appliance, the archive staged in its tmpfs and
 * streamed), df and df-h (GNU df, device names as the caller sees them).
 */
import type { Writable } from 'node:stream';
import { ErrnoError } from '../../errors/index.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { readHostChunks } from '../../util/host-chunks.js';
import { UPLOAD_CHUNK } from './ops-files.js';

/** libguestfs's compress values → GNU tar's flag. */
const COMPRESS: Record<string, string> = {
  compress: '--compress', gzip: '--gzip', bzip2: '--bzip2', xz: '--xz', lzop: '--lzop', zstd: '--zstd',
};

export interface TarOptions {
  compress?: string;
  numericowner?: boolean;
  excludes?: string[];
  xattrs?: boolean;
  selinux?: boolean;
  acls?: boolean;
}

function tarFlags(o: TarOptions): string[] {
  const f: string[] = [];
  if (o.compress !== undefined) {
    const c = COMPRESS[o.compress];
    if (!c) throw new ErrnoError('EINVAL', `${o.compress}: unknown compression type (one of ${Object.keys(COMPRESS).join(', ')})`);
    f.push(c);
  }
  if (o.numericowner) f.push('--numeric-owner');
  for (const x of o.excludes ?? []) f.push(`--exclude=${x}`);
  if (o.xattrs) f.push('--xattrs');
  if (o.selinux) f.push('--selinux');
  if (o.acls) f.push('--acls');
  return f;
}

function dirCheck(dir: string): string {
  return `rp ${sq(dir)} || exit 1
[ -e "$RP" ] || die ENOENT ${sq(`${dir}: No such file or directory`)}
[ -d "$RP" ] || die ENOTDIR ${sq(`${dir}: Not a directory`)}`;
}

/** Packs a guest directory into `sink` (not ended here). */
async function tarOut(b: ApplianceBackend, dir: string, sink: Writable, o: TarOptions = {}): Promise<void> {
  const flags = tarFlags(o);
  // The archive is staged in the appliance's tmpfs, then streamed (the agent's
  // replies carry their length up front); the agent deletes /tmp/.stream.* files once sent.
  await b.get(`${dirCheck(dir)}
f=/tmp/.stream.tar
/usr/bin/tar -C "$RP" ${flags.map(sq).join(' ')} -cf "$f" . 2>/tmp/.tarerr || { rm -f "$f"; cat /tmp/.tarerr >&2; exit 1; }
echo "$f"`, sink);
}

/** Unpacks a host tar file (or standard input for "-") into a guest directory. */
async function tarIn(b: ApplianceBackend, local: string, dir: string, o: TarOptions = {}): Promise<void> {
  const flags = tarFlags(o);
  await b.sh(dirCheck(dir));
  try {
    await readHostChunks(local, UPLOAD_CHUNK, async (chunk, offset) => {
      await b.sh(`cat ${offset === 0 ? '>' : '>>'} /tmp/.tarin`, { stdin: chunk });
    });
    await b.sh(`${dirCheck(dir)}
/usr/bin/tar -C "$RP" ${flags.map(sq).join(' ')} -xf /tmp/.tarin 2>/tmp/.tarerr || { cat /tmp/.tarerr >&2; exit 1; }`);
  } finally {
    await b.sh('rm -f /tmp/.tarin').catch(() => undefined);
  }
}

/** GNU df as the appliance sees it, with guest device names (/dev/vda1 → /dev/sda1, LVs as /dev/mapper/...). */
async function df(b: ApplianceBackend, human: boolean): Promise<string> {
  // The appliance's tools disk (/dev/sda on /usr, see tools-image.ts) is not the user's.
  const out = (await b.shText(`/usr/bin/df${human ? ' -h' : ''}`)).replace(/^\/dev\/sd[a-z]+\s.* \/usr\n/m, '');
  // Keep the columns aligned: pad the renamed device to the width the original took.
  return out.replace(/^\/dev\/vd([a-z]+\d*)(\s*)/gm, (_m, n: string, sp: string) => `/dev/sd${n}${sp}`);
}

export const tarOps = {
  tarOut,
  tarIn,
  df: (b: ApplianceBackend) => df(b, false),
  dfH: (b: ApplianceBackend) => df(b, true),
};
