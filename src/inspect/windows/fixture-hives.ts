/**
 * The registry of the Windows-like test guest (fixtures/out/windows.img):
 * a Windows 10 Pro SOFTWARE hive and a SYSTEM hive, built by src/hive from an
 * empty hive with a fixed timestamp. Besides the defaults of
 * windowsSoftwareSpec/windowsSystemSpec it has the cases inspection must skip
 * or map: an Uninstall key without DisplayName, one whose DisplayName is not a
 * string, one with URLInfoAbout and Comments; MountedDevices entries that name
 * no local partition (another disk's signature, a GPT GUID, a volume name).
 */
import { buildHive, REG_BINARY, REG_DWORD, windowsSoftwareSpec, windowsSystemSpec, mountedDeviceData } from '../../hive/index.js';

export const FIXTURE_TIMESTAMP = new Date('2024-01-01T00:00:00Z');
/** The MBR disk signature of windows.img (sfdisk label-id). */
export const FIXTURE_DISK_SIGNATURE = 0x5eed1e55;
/** Start of the NTFS partition in bytes (sector 2048). */
export const FIXTURE_PARTITION_OFFSET = 1048576;

const UNINSTALL = 'Microsoft\\Windows\\CurrentVersion\\Uninstall';

export function fixtureSoftwareHive(): Uint8Array {
  const spec = windowsSoftwareSpec({ timestamp: FIXTURE_TIMESTAMP });
  spec.keys[`${UNINSTALL}\\Mozilla Firefox 115.0 (x64 en-US)`] = {
    DisplayName: 'Mozilla Firefox (x64 en-US)',
    DisplayVersion: '115.0',
    Publisher: 'Mozilla',
    InstallLocation: 'C:\\Program Files\\Mozilla Firefox',
    URLInfoAbout: 'https://www.mozilla.org',
    Comments: 'Mozilla Firefox 115.0 (x64 en-US)',
  };
  // Skipped: no DisplayName (an update stub), and a DisplayName that is not a string.
  spec.keys[`${UNINSTALL}\\KB5005565`] = { UninstallString: 'wusa /uninstall /kb:5005565' };
  spec.keys[`${UNINSTALL}\\BrokenEntry`] = { DisplayName: { type: REG_DWORD, value: 7 }, DisplayVersion: '1.0' };
  return buildHive(spec);
}

export function fixtureSystemHive(): Uint8Array {
  const spec = windowsSystemSpec({
    timestamp: FIXTURE_TIMESTAMP,
    computerName: 'WIN10-GUEST',
    drives: [
      { letter: 'C', mbrSignature: FIXTURE_DISK_SIGNATURE, partitionOffset: FIXTURE_PARTITION_OFFSET },
      // A disk that is not attached: no mapping for D.
      { letter: 'D', mbrSignature: 0x0badd15c, partitionOffset: FIXTURE_PARTITION_OFFSET },
      // A GPT partition that is not attached: no mapping for E.
      { letter: 'E', gptPartitionGuid: '01234567-89ab-cdef-0123-456789abcdef' },
    ],
  });
  spec.keys['MountedDevices']!['\\??\\Volume{3f2504e0-4f89-11d3-9a0c-0305e82c3301}'] = {
    type: REG_BINARY,
    value: mountedDeviceData({ letter: 'C', mbrSignature: FIXTURE_DISK_SIGNATURE, partitionOffset: FIXTURE_PARTITION_OFFSET }),
  };
  return buildHive(spec);
}

/**
 * A minimal PE32+ image as cmd.exe: DOS header pointing at a PE header for an
 * x86-64 console program with no sections (file(1) reads it as
 * "PE32+ executable (console) x86-64").
 */
export function fixtureCmdExe(): Uint8Array {
  const b = new Uint8Array(1024);
  const dv = new DataView(b.buffer);
  b.set([0x4d, 0x5a], 0); // MZ
  dv.setUint32(0x3c, 0x80, true); // e_lfanew
  b.set([0x50, 0x45, 0, 0], 0x80); // PE\0\0
  dv.setUint16(0x84, 0x8664, true); // machine: x86-64
  dv.setUint16(0x84 + 16, 240, true); // SizeOfOptionalHeader (PE32+)
  dv.setUint16(0x84 + 18, 0x22, true); // executable, large-address aware
  dv.setUint16(0x98, 0x20b, true); // PE32+ magic
  dv.setUint16(0x98 + 68, 3, true); // subsystem: Windows console
  return b;
}
