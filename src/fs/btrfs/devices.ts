/**
 * The devices of a multi-device btrfs filesystem: of the devices given, those
 * whose superblock names the same filesystem (fsid), by devid. A device the
 * filesystem has (its chunk tree lists a DEV_ITEM per device) but the session
 * lacks is one clear error naming its devid and uuid.
 */
import { FsError, type SyncDevice } from '../fs-driver.js';
import { uuidString } from '../../probe/probe.js';
import { ITEM } from './items.js';
import { readSuperblock, type Superblock } from './superblock.js';
import type { TreeReader } from './tree.js';

/** Objectid of the DEV_ITEMs in the chunk tree. */
const DEV_ITEMS_OBJECTID = 1;

/** devid → device: `first` (whose superblock is `sb`) and every one of `others` of the same filesystem. */
export function filesystemDevices(sb: Superblock, first: SyncDevice, others: readonly SyncDevice[]): Map<number, SyncDevice> {
  const devices = new Map<number, SyncDevice>([[sb.devid, first]]);
  for (const d of others) {
    let other: Superblock;
    try {
      other = readSuperblock(d);
    } catch {
      continue; // not btrfs: not ours
    }
    if (uuidString(other.fsid) === uuidString(sb.fsid) && !devices.has(other.devid)) devices.set(other.devid, d);
  }
  return devices;
}

/** Throws when the filesystem has devices the session lacks, naming them (devid and uuid) from the chunk tree. */
export function checkAllDevices(sb: Superblock, devices: ReadonlyMap<number, SyncDevice>, reader: TreeReader): void {
  if (devices.size >= sb.numDevices) return;
  const fsid = uuidString(sb.fsid);
  const missing: string[] = [];
  try {
    for (const { key, data } of reader.items({ bytenr: sb.chunkRoot, level: sb.chunkRootLevel, name: 'chunk tree' }, DEV_ITEMS_OBJECTID, ITEM.DEV_ITEM)) {
      if (!devices.has(key.offset)) missing.push(`devid ${key.offset} (uuid ${uuidString(data.subarray(66, 82))})`);
    }
  } catch {
    // the chunk tree itself lies on a missing device: say how many are missing
  }
  const what = missing.length
    ? `${missing.join(', ')} of filesystem ${fsid} ${missing.length > 1 ? 'are' : 'is'} missing`
    : `${sb.numDevices - devices.size} of the ${sb.numDevices} devices of filesystem ${fsid} are missing`;
  throw new FsError('ENODEV', `btrfs: ${what}: add every device of the filesystem (-a)`);
}
