/**
 * btrfs subvolumes on the appliance, through btrfs(8) in it. A filesystem is named by a
 * mounted guest path, or by a device (or btrfsvol: mountable), which is then mounted on a
 * scratch directory for the one command, as libguestfs does.
 */
import { splitBtrfsvol } from '../../core/mountable.js';
import { ErrnoError } from '../../errors/index.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { devScript, lines } from './ops-common.js';

export interface BtrfsSubvolume {
  btrfssubvolume_id: number;
  btrfssubvolume_top_level_id: number;
  btrfssubvolume_path: string;
}

/** Script lines that set $fs to where the filesystem is reachable (and mount it there if it is a device); `run` uses "$fs". */
function onFilesystem(fs: string, run: string): string {
  const pre = `needfs btrfs; command -v btrfs >/dev/null || die ENOTSUP 'btrfs: btrfs-progs is not in the appliance'`;
  if (!fs.startsWith('/dev/') && !fs.startsWith('btrfsvol:')) {
    return `${pre}\nrp ${sq(fs)} || exit 1\nfs=$RP\n[ -d "$fs" ] || die ENOENT ${sq(`${fs}: No such file or directory`)}\n${run}`;
  }
  const vol = splitBtrfsvol(fs);
  return `${pre}
${devScript(vol?.device ?? fs)}
fs=$(mktemp -d /tmp/btrfs.XXXXXX)
mount -t btrfs ${vol ? `-o ${sq(`subvol=${vol.subvol}`)} ` : ''}"$d" "$fs" || { rmdir "$fs"; die EINVAL ${sq(`${fs}: cannot mount as btrfs`)}; }
( ${run} ); rc=$?
umount "$fs"; rmdir "$fs"; exit $rc`;
}

async function subvolumeList(b: ApplianceBackend, fs: string): Promise<BtrfsSubvolume[]> {
  const out = await b.shText(onFilesystem(fs, 'btrfs subvolume list "$fs"'));
  return lines(out).map((l) => {
    const m = /^ID\s+(\d+).*\stop level\s+(\d+).*\spath\s(.*)$/.exec(l);
    if (!m) throw new ErrnoError('EIO', `unexpected output from 'btrfs subvolume list' command: ${l}`);
    return { btrfssubvolume_id: Number(m[1]), btrfssubvolume_top_level_id: Number(m[2]), btrfssubvolume_path: m[3]! };
  });
}

async function subvolumeGetDefault(b: ApplianceBackend, fs: string): Promise<number> {
  const out = await b.shText(onFilesystem(fs, 'btrfs subvolume get-default "$fs"'));
  const m = /^ID\s+(\d+)/.exec(out.trim());
  if (!m) throw new ErrnoError('EIO', `unexpected output from 'btrfs subvolume get-default' command: ${out.trim()}`);
  return Number(m[1]);
}

export const btrfsOps = {
  btrfsSubvolumeCreate: async (b: ApplianceBackend, dest: string) => {
    await b.sh(`needfs btrfs; command -v btrfs >/dev/null || die ENOTSUP 'btrfs: btrfs-progs is not in the appliance'
rp ${sq(dest)} 0 || exit 1
btrfs subvolume create "$RP" >/dev/null`);
  },
  btrfsSubvolumeList: subvolumeList,
  btrfsSubvolumeGetDefault: subvolumeGetDefault,
  btrfsSubvolumeSetDefault: async (b: ApplianceBackend, id: number, fs: string) => {
    await b.sh(onFilesystem(fs, `btrfs subvolume set-default ${Math.trunc(id)} "$fs"`));
  },
  /** list-filesystems' entries for one btrfs device: the device (its default subvolume), then every other subvolume. */
  btrfsListEntries: async (b: ApplianceBackend, device: string): Promise<string[]> => {
    const vols = await subvolumeList(b, device);
    const dflt = await subvolumeGetDefault(b, device);
    return [device, ...vols.filter((v) => v.btrfssubvolume_id !== dflt).map((v) => `btrfsvol:${device}/${v.btrfssubvolume_path}`)];
  },
};
