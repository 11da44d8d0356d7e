/**
 * Windows root detection: when the filesystem mounted at '/' holds a Windows
 * system root, fills in everything inspection reports about it (type, product,
 * version, build, arch, hostname, control set, hive paths, drive letters,
 * osinfo), following libguestfs's daemon/inspect_fs_windows.ml. A missing or
 * corrupt hive costs only the facts it holds, each with a warning.
 */
import type { DeviceIndex } from '../device-index.js';
import type { GuestReader } from '../guest-reader.js';
import type { OsFacts } from '../types.js';
import { openGuestHive } from './hive-access.js';
import { MountedDeviceResolver } from './mounted-devices.js';
import { windowsOsinfo } from './osinfo.js';
import { peArch } from './pe-arch.js';
import { readMountedDevices, readSoftwareFacts, readSystemFacts } from './registry-facts.js';
import { findSystemroot } from './systemroot.js';

/** cmd.exe is a few hundred KiB; its header is in the first few hundred bytes. */
const CMD_EXE_MAX = 16 * 1024 * 1024;

async function windowsArch(r: GuestReader, systemroot: string): Promise<string> {
  const cmd = await r.caseInsensitive(`${systemroot}/system32/cmd.exe`);
  const bytes = cmd === null ? null : await r.readBytes(cmd, CMD_EXE_MAX);
  const arch = bytes ? peArch(bytes) : null;
  if (arch === null) r.warn(`${systemroot}/system32/cmd.exe: cannot tell the architecture (not a PE executable)`);
  return arch ?? 'unknown';
}

/** The hive's path as stored, when it is a regular file. */
async function hivePath(r: GuestReader, systemroot: string, name: string): Promise<string | undefined> {
  const p = await r.caseInsensitive(`${systemroot}/system32/config/${name}`);
  return p !== null && (await r.isFile(p)) ? p : undefined;
}

async function driveMappings(r: GuestReader, dev: DeviceIndex, hive: Parameters<typeof readMountedDevices>[1], path: string): Promise<Record<string, string>> {
  const resolver = new MountedDeviceResolver(r.call, dev);
  const out: Record<string, string> = {};
  for (const { letter, device } of readMountedDevices(r, hive, path)) {
    const name = await resolver.resolve(device);
    if (name !== undefined) out[letter] = name;
  }
  return out;
}

export async function inspectWindowsRoot(r: GuestReader, dev: DeviceIndex, facts: OsFacts): Promise<boolean> {
  const systemroot = await findSystemroot(r);
  if (systemroot === null) return false;

  facts.type = 'windows';
  facts.distro = 'windows';
  facts.windowsSystemroot = systemroot;
  facts.format = 'installed';
  facts.packageFormat = 'unknown';
  facts.packageManagement = 'unknown';
  facts.mountpoints = { '/': facts.root };
  facts.filesystems = [facts.root];
  facts.arch = await windowsArch(r, systemroot);

  const softwarePath = await hivePath(r, systemroot, 'software');
  const systemPath = await hivePath(r, systemroot, 'system');
  facts.windowsSoftwareHive = softwarePath;
  facts.windowsSystemHive = systemPath;
  // As libguestfs: the registry is read only when both hives are there.
  if (softwarePath === undefined || systemPath === undefined) {
    r.warn(`${systemroot}/system32/config: ${softwarePath === undefined ? 'SOFTWARE' : 'SYSTEM'} hive missing: no registry facts`);
  } else {
    const software = await openGuestHive(r, softwarePath);
    if (software) readSoftwareFacts(r, software, softwarePath, facts);
    const system = await openGuestHive(r, systemPath);
    if (system) {
      facts.driveMappings = await driveMappings(r, dev, system, systemPath);
      readSystemFacts(r, system, systemPath, facts);
    }
  }
  facts.osinfo = windowsOsinfo(facts);
  return true;
}
