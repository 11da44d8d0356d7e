/**
 * Facts read from the SOFTWARE and SYSTEM hives, as libguestfs reads them:
 *   SOFTWARE\Microsoft\Windows NT\CurrentVersion: ProductName, the version
 *     (CurrentMajorVersionNumber + CurrentMinorVersionNumber when both are there,
 *     else the first "N.N" or "N" in CurrentVersion), InstallationType (the
 *     product variant), CurrentBuildNumber (never CurrentBuild: it meant
 *     something else on XP);
 *   SYSTEM: Select\Current → ControlSet00N; the hostname from
 *     <ControlSet>\Services\Tcpip\Parameters\Hostname; drive letters from
 *     MountedDevices.
 * Where libguestfs finds no Tcpip hostname we fall back to
 * <ControlSet>\Control\ComputerName\ComputerName\ComputerName (what Windows
 * shows as the computer name).
 */
import type { Hive } from '../../hive/index.js';
import type { GuestReader } from '../guest-reader.js';
import type { OsFacts } from '../types.js';
import { hiveFact, valuesByName } from './hive-access.js';
import { decodeMountedDevice, driveLetterOf, type MountedDevice } from './mounted-devices.js';

const CURRENT_VERSION = 'Microsoft\\Windows NT\\CurrentVersion';

/** "6.3" → [6, 3]; "10" → [10, 0]; the first number(s) anywhere in the string, as libguestfs matches. */
export function parseWindowsVersion(s: string): [number, number] | null {
  const mm = /(\d+)\.(\d+)/.exec(s);
  if (mm) return [Number(mm[1]), Number(mm[2])];
  const m = /(\d+)/.exec(s);
  return m ? [Number(m[1]), 0] : null;
}

export function readSoftwareFacts(r: GuestReader, hive: Hive, path: string, facts: OsFacts): void {
  const node = hiveFact(r, path, undefined, () => hive.nodeAt(CURRENT_VERSION));
  if (node === undefined) {
    r.warn(`${path}: no key HKLM\\SOFTWARE\\${CURRENT_VERSION}`);
    return;
  }
  const values = hiveFact(r, `${path}: ${CURRENT_VERSION}`, new Map<string, number>(), () => valuesByName(hive, node));
  const str = (name: string): string | undefined => {
    const v = values.get(name);
    return v === undefined ? undefined : hiveFact(r, `${path}: ${CURRENT_VERSION}\\${name}`, undefined, () => hive.valueString(v));
  };
  const dword = (name: string): number | undefined => {
    const v = values.get(name);
    return v === undefined ? undefined : hiveFact(r, `${path}: ${CURRENT_VERSION}\\${name}`, undefined, () => hive.valueDword(v));
  };

  const product = str('ProductName');
  if (product !== undefined) facts.productName = product;

  let version: [number, number] | null = null;
  if (values.has('CurrentMajorVersionNumber') && values.has('CurrentMinorVersionNumber')) {
    const major = dword('CurrentMajorVersionNumber');
    const minor = dword('CurrentMinorVersionNumber');
    if (major !== undefined && minor !== undefined) version = [major, minor];
  } else {
    const cv = str('CurrentVersion');
    if (cv !== undefined) {
      version = parseWindowsVersion(cv);
      if (!version) r.warn(`${path}: cannot parse a version from CurrentVersion "${cv}"`);
    }
  }
  if (version) [facts.majorVersion, facts.minorVersion] = version;

  const variant = str('InstallationType');
  if (variant !== undefined) facts.productVariant = variant;
  const build = str('CurrentBuildNumber');
  if (build !== undefined) facts.buildId = build;
}

/** The current control set's name ("ControlSet001"), or undefined. */
function currentControlSet(r: GuestReader, hive: Hive, path: string): string | undefined {
  return hiveFact(r, `${path}: Select\\Current`, undefined, () => {
    const select = hive.nodeAt('Select');
    const v = select === undefined ? undefined : hive.nodeGetValue(select, 'Current');
    if (v === undefined) {
      r.warn(`${path}: no value HKLM\\SYSTEM\\Select\\Current`);
      return undefined;
    }
    return `ControlSet${String(hive.valueDword(v)).padStart(3, '0')}`;
  });
}

function hostname(r: GuestReader, hive: Hive, path: string, controlSet: string): string | undefined {
  const tcpip = hiveFact(r, `${path}: Tcpip hostname`, undefined, () => {
    const node = hive.nodeAt(`${controlSet}\\Services\\Tcpip\\Parameters`);
    const v = node === undefined ? undefined : valuesByName(hive, node).get('Hostname');
    return v === undefined ? undefined : hive.valueString(v);
  });
  if (tcpip !== undefined) return tcpip;
  return hiveFact(r, `${path}: ComputerName`, undefined, () => {
    const node = hive.nodeAt(`${controlSet}\\Control\\ComputerName\\ComputerName`);
    const v = node === undefined ? undefined : hive.nodeGetValue(node, 'ComputerName');
    return v === undefined ? undefined : hive.valueString(v);
  });
}

/** MountedDevices entries naming drive letters, decoded (resolution to devices is separate). */
export function readMountedDevices(r: GuestReader, hive: Hive, path: string): { letter: string; device: MountedDevice }[] {
  return hiveFact(r, `${path}: MountedDevices`, [], () => {
    const node = hive.nodeAt('MountedDevices');
    if (node === undefined) return [];
    const out: { letter: string; device: MountedDevice }[] = [];
    for (const v of hive.nodeValues(node)) {
      const letter = driveLetterOf(hive.valueKey(v));
      if (letter === null) continue;
      const { type, bytes } = hive.valueValue(v);
      const device = decodeMountedDevice(type, bytes);
      if (device) out.push({ letter, device });
    }
    return out;
  });
}

export function readSystemFacts(r: GuestReader, hive: Hive, path: string, facts: OsFacts): void {
  const cs = currentControlSet(r, hive, path);
  if (cs === undefined) return;
  facts.windowsCurrentControlSet = cs;
  const name = hostname(r, hive, path, cs);
  if (name !== undefined) facts.hostname = name;
}
