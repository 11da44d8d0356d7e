/**
 * Installed Windows applications, as libguestfs's inspect-list-applications2
 * lists them: every subkey of SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall
 * and of its 32-bit view WOW6432Node\... that has a string DisplayName (others
 * are update stubs and components, not applications), mapped as
 *   key name → app2_name,  DisplayName → app2_display_name,
 *   DisplayVersion → app2_version,  InstallLocation → app2_install_path,
 *   Publisher → app2_publisher,  URLInfoAbout → app2_url,  Comments → app2_description,
 * plus Microsoft Defender (which has no Uninstall key) when
 * SOFTWARE\Microsoft\Windows Defender exists and DisableAntiVirus is not 1.
 * Anti-virus products get the class "antivirus" in app2_spare1 (libguestfs
 * >= 1.50 calls that field app2_class). Sorted by name, byte order.
 */
import type { Hive } from '../../hive/index.js';
import { byteOrder } from '../../util/byte-order.js';
import type { GuestReader } from '../guest-reader.js';
import { emptyApplication, type Application2, type OsFacts } from '../types.js';
import { hiveFact, openGuestHive } from './hive-access.js';

const UNINSTALL_PATHS = [
  'Microsoft\\Windows\\CurrentVersion\\Uninstall',
  // 32-bit applications on 64-bit Windows (WOW64).
  'WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall',
];

const ANTIVIRUS = /virus|kaspersky|mcafee|norton|sophos|ApexOneNT|avg technologies/i;

/** libguestfs's one classification: anti-virus products, by key name, display name or publisher. */
export function windowsAppClass(name: string, displayName: string, publisher: string): string {
  return [name, displayName, publisher].some((f) => ANTIVIRUS.test(f)) ? 'antivirus' : '';
}

/** A string value of a key, or undefined when absent or not a string. */
function stringValue(hive: Hive, node: number, name: string): string | undefined {
  const v = hive.nodeGetValue(node, name);
  if (v === undefined) return undefined;
  try {
    return hive.valueString(v);
  } catch {
    return undefined;
  }
}

function appFromKey(hive: Hive, node: number): Application2 | null {
  const name = hive.nodeName(node);
  const displayName = stringValue(hive, node, 'DisplayName');
  if (displayName === undefined) return null;
  const app = emptyApplication(name);
  app.app2_display_name = displayName;
  app.app2_version = stringValue(hive, node, 'DisplayVersion') ?? '';
  app.app2_install_path = stringValue(hive, node, 'InstallLocation') ?? '';
  app.app2_publisher = stringValue(hive, node, 'Publisher') ?? '';
  app.app2_url = stringValue(hive, node, 'URLInfoAbout') ?? '';
  app.app2_description = stringValue(hive, node, 'Comments') ?? '';
  app.app2_spare1 = windowsAppClass(name, displayName, app.app2_publisher);
  return app;
}

function uninstallApps(r: GuestReader, hive: Hive, hivePath: string, keyPath: string): Application2[] {
  const out: Application2[] = [];
  const node = hiveFact(r, `${hivePath}: ${keyPath}`, undefined, () => hive.nodeAt(keyPath));
  if (node === undefined) return out;
  const children = hiveFact(r, `${hivePath}: ${keyPath}`, [] as number[], () => hive.nodeChildren(node));
  for (const child of children) {
    // One damaged subkey costs only that application.
    const app = hiveFact(r, `${hivePath}: ${keyPath} subkey`, null, () => appFromKey(hive, child));
    if (app) out.push(app);
  }
  return out;
}

function defenderApp(r: GuestReader, hive: Hive, hivePath: string): Application2 | null {
  return hiveFact(r, `${hivePath}: Microsoft\\Windows Defender`, null, () => {
    const node = hive.nodeAt('Microsoft\\Windows Defender');
    if (node === undefined) return null;
    const v = hive.nodeGetValue(node, 'DisableAntiVirus');
    if (v !== undefined) {
      const { bytes } = hive.valueValue(v);
      if (bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true) === 1) return null;
    }
    const app = emptyApplication('WinDefend');
    app.app2_display_name = 'Microsoft Defender Antivirus';
    app.app2_publisher = 'Microsoft Corporation';
    app.app2_spare1 = 'antivirus';
    return app;
  });
}

/** The applications of a Windows root (facts from inspectWindowsRoot); [] when its SOFTWARE hive is missing or unreadable. */
export async function listWindowsApplications(r: GuestReader, facts: OsFacts): Promise<Application2[]> {
  const path = facts.windowsSoftwareHive;
  if (facts.type !== 'windows' || path === undefined) return [];
  const hive = await openGuestHive(r, path);
  if (!hive) return [];
  const apps = UNINSTALL_PATHS.flatMap((k) => uninstallApps(r, hive, path, k));
  const defender = defenderApp(r, hive, path);
  if (defender) apps.push(defender);
  return apps.sort((a, b) => byteOrder(a.app2_name, b.app2_name));
}
