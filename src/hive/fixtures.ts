/**
 * Descriptions of Windows-like SOFTWARE and SYSTEM hives for test fixtures
 * (what OS inspection reads: product name and version, computer name, drive
 * letters, installed applications), built by buildHive from an empty hive.
 */
import { buildHive, type HiveSpec, type HiveValueSpec } from './build.js';
import { REG_BINARY, REG_EXPAND_SZ, REG_SZ } from './format.js';

export interface WindowsApp {
  /** Uninstall subkey name, e.g. '7-Zip' or a product GUID. */
  id: string;
  displayName: string;
  displayVersion?: string;
  publisher?: string;
  installLocation?: string;
  /** 32-bit application: listed under WOW6432Node. */
  wow64?: boolean;
}

export interface WindowsSoftwareOptions {
  productName?: string;
  editionId?: string;
  installationType?: string;
  currentVersion?: string;
  currentBuild?: string;
  majorVersion?: number;
  minorVersion?: number;
  displayVersion?: string;
  systemRoot?: string;
  apps?: WindowsApp[];
  timestamp?: Date;
}

export const DEFAULT_WINDOWS_APPS: WindowsApp[] = [
  { id: '7-Zip', displayName: '7-Zip 22.01 (x64)', displayVersion: '22.01', publisher: 'Igor Pavlov', installLocation: 'C:\\Program Files\\7-Zip\\' },
  {
    id: '{90160000-008C-0000-1000-0000000FF1CE}',
    displayName: 'Office 16 Click-to-Run Extensibility Component',
    displayVersion: '16.0.15330.20264',
    publisher: 'Microsoft Corporation',
  },
  { id: 'Notepad++', displayName: 'Notepad++ (32-bit x86)', displayVersion: '8.4.7', publisher: 'Notepad++ Team', wow64: true },
  {
    id: '{F7C0D3E6-0C9C-4B53-8F4C-3A0E1B2C4D5E}',
    displayName: 'Microsoft Visual C++ 2015-2022 Redistributable (x86) - 14.34.31938',
    displayVersion: '14.34.31938.0',
    publisher: 'Microsoft Corporation',
    wow64: true,
  },
];

export function windowsSoftwareSpec(o: WindowsSoftwareOptions = {}): HiveSpec {
  const systemRoot = o.systemRoot ?? 'C:\\Windows';
  const keys: HiveSpec['keys'] = {
    'Microsoft\\Windows NT\\CurrentVersion': {
      ProductName: o.productName ?? 'Windows 10 Pro',
      EditionID: o.editionId ?? 'Professional',
      InstallationType: o.installationType ?? 'Client',
      CurrentVersion: o.currentVersion ?? '6.3',
      CurrentBuild: o.currentBuild ?? '19045',
      CurrentBuildNumber: o.currentBuild ?? '19045',
      CurrentMajorVersionNumber: o.majorVersion ?? 10,
      CurrentMinorVersionNumber: o.minorVersion ?? 0,
      DisplayVersion: o.displayVersion ?? '22H2',
      ReleaseId: '2009',
      CurrentType: 'Multiprocessor Free',
      SystemRoot: systemRoot,
      PathName: systemRoot,
      RegisteredOwner: 'guestkit',
      ProductId: '00330-80000-00000-AA123',
      InstallDate: 1672531200,
    },
    'Microsoft\\Windows\\CurrentVersion': {
      ProgramFilesDir: 'C:\\Program Files',
      'ProgramFilesDir (x86)': 'C:\\Program Files (x86)',
      CommonFilesDir: 'C:\\Program Files\\Common Files',
      ProgramFilesPath: { type: REG_EXPAND_SZ, value: '%ProgramFiles%' },
    },
    'Microsoft\\Windows\\CurrentVersion\\Uninstall': {},
    'WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall': {},
  };
  for (const a of o.apps ?? DEFAULT_WINDOWS_APPS) {
    const base = a.wow64 ? 'WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall' : 'Microsoft\\Windows\\CurrentVersion\\Uninstall';
    const vals: Record<string, HiveValueSpec> = { DisplayName: a.displayName };
    if (a.displayVersion !== undefined) vals['DisplayVersion'] = a.displayVersion;
    if (a.publisher !== undefined) vals['Publisher'] = a.publisher;
    if (a.installLocation !== undefined) vals['InstallLocation'] = a.installLocation;
    vals['UninstallString'] = { type: REG_SZ, value: `"C:\\Program Files\\${a.id}\\uninstall.exe"` };
    keys[`${base}\\${a.id}`] = vals;
  }
  return { rootName: 'ROOT', fileName: '\\SystemRoot\\System32\\Config\\SOFTWARE', timestamp: o.timestamp, keys };
}

export interface WindowsDriveMapping {
  /** Drive letter, e.g. 'C'. */
  letter: string;
  /** MBR disk signature (the 32-bit number at byte 440 of the MBR). */
  mbrSignature?: number;
  /** Partition start in bytes (with mbrSignature). */
  partitionOffset?: number;
  /** GPT partition GUID (unique partition GUID), e.g. '01234567-89ab-cdef-0123-456789abcdef'. */
  gptPartitionGuid?: string;
}

export interface WindowsSystemOptions {
  computerName?: string;
  /** ControlSet number Select\\Current points to (default 1). */
  currentControlSet?: number;
  drives?: WindowsDriveMapping[];
  timezone?: string;
  timestamp?: Date;
}

/** MountedDevices data for a drive: 12 bytes (MBR signature + offset) or "DMIO:ID:" + GUID (GPT). */
export function mountedDeviceData(d: WindowsDriveMapping): Uint8Array {
  if (d.gptPartitionGuid) {
    const hex = d.gptPartitionGuid.replace(/[{}-]/g, '');
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`bad GUID ${d.gptPartitionGuid}`);
    const b = Uint8Array.from(hex.match(/../g)!, (x) => parseInt(x, 16));
    // GUIDs are stored mixed-endian: the first three fields little-endian.
    const guid = Uint8Array.from([b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!, ...b.subarray(8)]);
    const out = new Uint8Array(24);
    out.set(Array.from('DMIO:ID:', (c) => c.charCodeAt(0)));
    out.set(guid, 8);
    return out;
  }
  const out = new Uint8Array(12);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, (d.mbrSignature ?? 0) >>> 0, true);
  dv.setBigUint64(4, BigInt(d.partitionOffset ?? 1048576), true);
  return out;
}

export function windowsSystemSpec(o: WindowsSystemOptions = {}): HiveSpec {
  const cs = o.currentControlSet ?? 1;
  const set = `ControlSet${String(cs).padStart(3, '0')}`;
  const name = o.computerName ?? 'WIN10-GUEST';
  const drives = o.drives ?? [{ letter: 'C', mbrSignature: 0x1234abcd, partitionOffset: 1048576 }];
  const mounted: Record<string, HiveValueSpec> = {};
  for (const d of drives) mounted[`\\DosDevices\\${d.letter.toUpperCase()}:`] = { type: REG_BINARY, value: mountedDeviceData(d) };
  return {
    rootName: 'ROOT',
    fileName: '\\SystemRoot\\System32\\Config\\SYSTEM',
    timestamp: o.timestamp,
    keys: {
      Select: { Current: cs, Default: cs, Failed: 0, LastKnownGood: cs },
      [`${set}\\Control\\ComputerName\\ComputerName`]: { ComputerName: name },
      [`${set}\\Control\\ComputerName\\ActiveComputerName`]: { ComputerName: name },
      [`${set}\\Control\\TimeZoneInformation`]: { TimeZoneKeyName: o.timezone ?? 'UTC' },
      [`${set}\\Control\\Session Manager\\Environment`]: {
        OS: 'Windows_NT',
        PROCESSOR_ARCHITECTURE: 'AMD64',
        Path: { type: REG_EXPAND_SZ, value: '%SystemRoot%\\system32;%SystemRoot%' },
      },
      [`${set}\\Services\\Tcpip\\Parameters`]: { Hostname: name.toLowerCase(), Domain: '' },
      [`${set}\\Services\\disk`]: { Start: 0, Type: 1, ImagePath: { type: REG_EXPAND_SZ, value: 'System32\\drivers\\disk.sys' } },
      MountedDevices: mounted,
    },
  };
}

export function buildWindowsSoftwareHive(o: WindowsSoftwareOptions = {}): Uint8Array {
  return buildHive(windowsSoftwareSpec(o));
}

export function buildWindowsSystemHive(o: WindowsSystemOptions = {}): Uint8Array {
  return buildHive(windowsSystemSpec(o));
}
