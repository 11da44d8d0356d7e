/**
 * The mount options the read-only btrfs driver acts on: subvol=PATH and
 * subvolid=N choose the subvolume mounted. Options that only change how the
 * kernel writes (compress, space_cache, noatime, ssd, ...) mean nothing to a
 * reader and are accepted; rw is refused (the driver never writes).
 */
import { FsError } from '../fs-driver.js';

export interface BtrfsMountOptions {
  subvol?: string;
  subvolid?: number;
}

export function parseMountOptions(options: string): BtrfsMountOptions {
  const out: BtrfsMountOptions = {};
  for (const opt of options.split(',')) {
    const eq = opt.indexOf('=');
    const name = eq < 0 ? opt : opt.slice(0, eq), value = eq < 0 ? '' : opt.slice(eq + 1);
    if (name === 'subvol') out.subvol = value;
    else if (name === 'subvolid') {
      if (!/^\d+$/.test(value)) throw new FsError('EINVAL', `btrfs: subvolid=${value}: not a subvolume id`);
      // subvolid=0 means the default, as for the kernel
      const id = Number(value);
      if (id !== 0) out.subvolid = id;
    } else if (name === 'rw') {
      throw new FsError('EROFS', 'btrfs: the wasm backend mounts btrfs read-only only: use --backend=appliance to write');
    }
  }
  return out;
}
