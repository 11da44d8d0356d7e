/**
 * What inspection knows about the block devices, gathered once per inspect-os:
 * every filesystem with its type, UUID and label, and the LVs. Fact modules use it
 * to resolve fstab's UUID=/LABEL=/device names and Windows drive letters.
 */
import type { CallFn } from './guest-reader.js';

export interface FilesystemInfo {
  /** Mountable as list-filesystems names it (/dev/sda1, /dev/VG/LV). */
  device: string;
  type: string;
  uuid: string;
  label: string;
}

export interface DeviceIndex {
  filesystems: FilesystemInfo[];
  /** /dev/VG/LV names. */
  lvs: string[];
  /** Whole-disk devices (/dev/sda…). */
  devices: string[];
  /** Partitions (/dev/sda1…). */
  partitions: string[];
  byUuid(uuid: string): string | undefined;
  byLabel(label: string): string | undefined;
  /**
   * Maps a device name as the guest wrote it (/dev/vda2, /dev/hda1, /dev/xvdb,
   * /dev/mapper/VG-LV, /dev/VG/LV, /dev/disk/by-uuid/…) to our mountable name, or undefined.
   */
  resolve(name: string): string | undefined;
}

async function quiet<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch {
    return undefined;
  }
}

export async function buildDeviceIndex(call: CallFn): Promise<DeviceIndex> {
  const fsMap = ((await call('list-filesystems', [])) ?? {}) as Record<string, string>;
  const devices = ((await quiet(call('list-devices', []))) ?? []) as string[];
  const partitions = ((await quiet(call('list-partitions', []))) ?? []) as string[];
  const lvs = ((await quiet(call('lvs', []))) ?? []) as string[];
  const filesystems: FilesystemInfo[] = [];
  for (const [device, type] of Object.entries(fsMap)) {
    const known = type !== 'unknown' && type !== '';
    const uuid = known ? (((await quiet(call('vfs-uuid', [device]))) as string | undefined) ?? '') : '';
    const label = known ? (((await quiet(call('vfs-label', [device]))) as string | undefined) ?? '') : '';
    filesystems.push({ device, type, uuid, label });
  }
  return makeDeviceIndex(filesystems, devices, partitions, lvs);
}

export function makeDeviceIndex(filesystems: FilesystemInfo[], devices: string[], partitions: string[], lvs: string[]): DeviceIndex {
  const known = new Set([...filesystems.map((f) => f.device), ...devices, ...partitions, ...lvs]);
  const index: DeviceIndex = {
    filesystems, devices, partitions, lvs,
    byUuid: (u) => filesystems.find((f) => f.uuid && f.uuid.toLowerCase() === u.toLowerCase())?.device,
    byLabel: (l) => filesystems.find((f) => f.label && f.label === l)?.device,
    resolve(name) {
      let n = name;
      let m = /^\/dev\/disk\/by-uuid\/(.+)$/.exec(n);
      if (m) return index.byUuid(m[1]);
      m = /^\/dev\/disk\/by-label\/(.+)$/.exec(n);
      if (m) return index.byLabel(m[1].replace(/\\x2f/g, '/'));
      m = /^\/dev\/mapper\/(.+)$/.exec(n);
      if (m) {
        // VG-LV with '-' inside names doubled by device-mapper.
        const parts = m[1].split(/(?<!-)-(?!-)/);
        if (parts.length === 2) n = `/dev/${parts[0].replace(/--/g, '-')}/${parts[1].replace(/--/g, '-')}`;
      }
      if (known.has(n)) return n;
      // Guests name their disks vda/hda/xvda; we name them sda in the order added.
      m = /^\/dev\/(?:[hsv]|xv)d([a-z]+)(\d*)$/.exec(n);
      if (m) {
        const ours = `/dev/sd${m[1]}${m[2]}`;
        if (known.has(ours)) return ours;
      }
      return undefined;
    },
  };
  return index;
}
