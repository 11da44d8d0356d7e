/**
 * What inspection knows about the block devices, gathered once per inspect-os:
 * every filesystem with its type, UUID and label, and the LVs. Fact modules use it
 * to resolve fstab's UUID=/LABEL=/device names and Windows drive letters.
 */
import type { CallFn, CallManyFn } from './guest-reader.js';
import type { CallResult } from '../api/types.js';

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

export async function buildDeviceIndex(call: CallFn, callMany?: CallManyFn): Promise<DeviceIndex> {
  const fsMap = ((await call('list-filesystems', [])) ?? {}) as Record<string, string>;
  const many = callMany ?? (async (calls) => Promise.all(calls.map(async (c) => {
    try {
      return { ok: true as const, value: await call(c.name, c.args) };
    } catch (error) {
      return { ok: false as const, error };
    }
  })));
  const value = (r: CallResult | undefined): unknown => (r?.ok ? r.value : undefined);
  // The lists, then every filesystem's UUID and label: two batches, whatever the number of filesystems.
  const [devices, partitions, lvs] = (await many([
    { name: 'list-devices', args: [] }, { name: 'list-partitions', args: [] }, { name: 'lvs', args: [] },
  ])).map((r) => (value(r) ?? []) as string[]);
  const known = Object.entries(fsMap).filter(([, type]) => type !== 'unknown' && type !== '');
  const ids = await many(known.flatMap(([device]) => [{ name: 'vfs-uuid', args: [device] }, { name: 'vfs-label', args: [device] }]));
  const idOf = new Map(known.map(([device], i) => [device, { uuid: (value(ids[2 * i]) as string | undefined) ?? '', label: (value(ids[2 * i + 1]) as string | undefined) ?? '' }]));
  const filesystems: FilesystemInfo[] = Object.entries(fsMap).map(([device, type]) => ({ device, type, uuid: idOf.get(device)?.uuid ?? '', label: idOf.get(device)?.label ?? '' }));
  return makeDeviceIndex(filesystems, devices!, partitions!, lvs!);
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
