/**
 * Mountable strings: a device, or a btrfs subvolume written "btrfsvol:DEVICE/SUBVOL"
 * (how inspection names subvolumes). Pure parsing, the same on every backend.
 */
import { ErrnoError } from '../errors/index.js';
import { defineCommand } from './types.js';

const BTRFSVOL = 'btrfsvol:';

/** Splits "btrfsvol:/dev/sda2/root" at the end of the device name: /dev/X or /dev/X/Y (an LV). */
function parseMountable(m: string): { device: string; volume?: string } {
  if (!m.startsWith(BTRFSVOL)) return { device: m };
  const rest = m.slice(BTRFSVOL.length);
  const parts = /^(\/dev\/(?:mapper\/[^/]+|md\/[^/]+|[^/]+))\/(.+)$/.exec(rest);
  if (!parts) throw new ErrnoError('EINVAL', `${m}: could not parse btrfs subvolume mountable`);
  return { device: parts[1]!, volume: parts[2]! };
}

export const mountableDevice = defineCommand({
  name: 'mountable-device',
  args: [{ name: 'mountable', kind: 'Mountable' }],
  ret: 'string',
  shortdesc: 'extract the device part of a mountable',
  longdesc: 'Returns the device of a mountable: the mountable itself for a device, DEVICE for "btrfsvol:DEVICE/SUBVOL".',
  examples: ['mountable-device btrfsvol:/dev/sda2/root'],
  impl: { any: async (_ctx, [m]) => parseMountable(m).device },
});

export const mountableSubvolume = defineCommand({
  name: 'mountable-subvolume',
  args: [{ name: 'mountable', kind: 'Mountable' }],
  ret: 'string',
  shortdesc: 'extract the subvolume part of a mountable',
  longdesc: 'Returns SUBVOL of a "btrfsvol:DEVICE/SUBVOL" mountable; for a plain device it fails with EINVAL.',
  examples: ['mountable-subvolume btrfsvol:/dev/sda2/root'],
  impl: {
    any: async (_ctx, [m]) => {
      const { volume } = parseMountable(m);
      if (volume === undefined) throw new ErrnoError('EINVAL', 'not a btrfs subvolume identifier');
      return volume;
    },
  },
});

export const MOUNTABLE_COMMANDS = [mountableDevice, mountableSubvolume] as const;
