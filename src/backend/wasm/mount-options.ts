/**
 * Which mount(8) options the wasm backend serves. Its drivers have no journal
 * replay, atime or writeback choices to make, so the options that only tune those
 * change nothing and are accepted on every type; btrfs's driver also chooses the
 * subvolume (subvol=, subvolid=) and ignores the options that only steer its
 * writes. Anything else is the appliance's (the error moves an auto session there).
 * ro/rw are not options here: the caller passes them as the mount's mode.
 */
import { MountOptionsInWasmError } from '../../errors/index.js';

const HARMLESS = new Set(['', 'ro', 'rw', 'defaults', 'atime', 'noatime', 'relatime', 'norelatime', 'strictatime', 'diratime',
  'nodiratime', 'lazytime', 'nolazytime', 'dev', 'nodev', 'exec', 'noexec', 'suid', 'nosuid', 'auto', 'noauto', 'nofail',
  'sync', 'async', 'user_xattr', 'acl', 'noacl']);
const BTRFS_READER = /^(subvol|subvolid|compress|compress-force|space_cache|commit|thread_pool|max_inline|metadata_ratio)(=.*)?$|^(ssd|nossd|ssd_spread|discard|nodiscard|autodefrag|noautodefrag|datasum|datacow|nodatasum|nodatacow|barrier|nobarrier|flushoncommit|noflushoncommit|treelog|notreelog|user_subvol_rm_allowed|skip_balance|nospace_cache|clear_cache|enospc_debug|noenospc_debug|nologreplay|rescan_uuid_tree)$/;

/** The options the driver gets (subvol=/subvolid= for btrfs, nothing otherwise), or the error naming what is not served. */
export function mountOptionsFor(device: string, fsType: string, options: string): string {
  const opts = options.split(',').filter((o) => !HARMLESS.has(o));
  const refused = opts.filter((o) => fsType !== 'btrfs' || !BTRFS_READER.test(o));
  if (refused.length) throw new MountOptionsInWasmError(device, fsType, refused.join(','));
  return opts.filter((o) => /^subvol(id)?=/.test(o)).join(',');
}
