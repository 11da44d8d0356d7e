/**
 * Windows dynamic disks (LDM) on the appliance through ldmtool, whose JSON answers
 * are read as libguestfs's daemon reads them. libdevmapper is told not to wait for
 * udev, which the appliance does not run.
 */
import { ErrnoError } from '../../errors/index.js';
import { type ApplianceBackend } from './appliance-backend.js';
import { fromGuestDev, lines } from './ops-common.js';
import { devicesInto, toolScript, type Word } from './ops-tool.js';

const PRE = 'needmod dm_mod\nexport DM_DISABLE_UDEV=1';

async function ldmtool(b: ApplianceBackend, args: Word[], pre = ''): Promise<string> {
  return b.shText(toolScript({ pre: `${PRE}\n${pre}`, argv: ['ldmtool', ...args] }));
}

function parse(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch (e) {
    throw new ErrnoError('EIO', `parse error: ${(e as Error).message}`);
  }
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : undefined;
}

/** A JSON array of strings (ldmtool scan). */
export function ldmStringList(json: string, cmd: string): string[] {
  const r = stringList(parse(json));
  if (!r) throw new ErrnoError('EIO', `output of '${cmd}' was not a JSON array of strings`);
  return r;
}

/** One string member of a JSON object; null reads as "" where libguestfs allows it (a volume's hint). */
export function ldmObjectString(json: string, key: string, cmd: string, nullIsEmpty = false): string {
  const o = parse(json) as Record<string, unknown> | null;
  const v = o !== null && typeof o === 'object' && !Array.isArray(o) ? o[key] : undefined;
  if (nullIsEmpty && v === null) return '';
  if (typeof v !== 'string') throw new ErrnoError('EIO', `output of '${cmd}' was not a JSON object containing a key '${key}' of type string`);
  return v;
}

/** One array-of-strings member of a JSON object. */
export function ldmObjectStringList(json: string, key: string, cmd: string): string[] {
  const o = parse(json) as Record<string, unknown> | null;
  const r = o !== null && typeof o === 'object' && !Array.isArray(o) ? stringList(o[key]) : undefined;
  if (!r) throw new ErrnoError('EIO', `output of '${cmd}' was not a JSON object containing a key '${key}' of type array of strings`);
  return r;
}

async function scanDevices(b: ApplianceBackend, devices: string[]): Promise<string[]> {
  const { pre, words } = devicesInto('s', devices);
  return ldmStringList(await ldmtool(b, ['scan', ...words], pre), 'ldmtool scan');
}

const showDiskgroup = (b: ApplianceBackend, dg: string) => ldmtool(b, ['show', 'diskgroup', dg]);
const showVolume = (b: ApplianceBackend, dg: string, vol: string) => ldmtool(b, ['show', 'volume', dg, vol]);

/** The /dev/mapper devices ldmtool create made, by name prefix, sorted. */
async function mapperList(b: ApplianceBackend, prefix: string): Promise<string[]> {
  const out = await b.shText(`[ -d /dev/mapper ] || exit 0\nfor f in /dev/mapper/${prefix}*; do [ -e "$f" ] && printf '%s\\n' "$f"; done; :`);
  return lines(out).sort();
}

export const ldmOps = {
  ldmtoolCreateAll: async (b: ApplianceBackend) => { await ldmtool(b, ['create', 'all']); },
  ldmtoolRemoveAll: async (b: ApplianceBackend) => { await ldmtool(b, ['remove', 'all']); },
  ldmtoolScan: (b: ApplianceBackend) => scanDevices(b, []),
  ldmtoolScanDevices: scanDevices,
  ldmtoolDiskgroupName: async (b: ApplianceBackend, dg: string) => ldmObjectString(await showDiskgroup(b, dg), 'name', 'ldmtool show diskgroup'),
  ldmtoolDiskgroupVolumes: async (b: ApplianceBackend, dg: string) => ldmObjectStringList(await showDiskgroup(b, dg), 'volumes', 'ldmtool show diskgroup'),
  ldmtoolDiskgroupDisks: async (b: ApplianceBackend, dg: string) =>
    ldmObjectStringList(await showDiskgroup(b, dg), 'disks', 'ldmtool show diskgroup').map(fromGuestDev),
  ldmtoolVolumeType: async (b: ApplianceBackend, dg: string, vol: string) => ldmObjectString(await showVolume(b, dg, vol), 'type', 'ldmtool show volume'),
  ldmtoolVolumeHint: async (b: ApplianceBackend, dg: string, vol: string) => ldmObjectString(await showVolume(b, dg, vol), 'hint', 'ldmtool show volume', true),
  ldmtoolVolumePartitions: async (b: ApplianceBackend, dg: string, vol: string) =>
    ldmObjectStringList(await showVolume(b, dg, vol), 'partitions', 'ldmtool show volume').map(fromGuestDev),
  listLdmVolumes: (b: ApplianceBackend) => mapperList(b, 'ldm_vol_'),
  listLdmPartitions: (b: ApplianceBackend) => mapperList(b, 'ldm_part_'),
};
