/**
 * Windows root detection on an in-memory guest (a fake command table under the
 * real GuestReader): systemroot rules, the version/variant/build/hostname
 * rules, osinfo, and damaged hives degrading single facts with warnings.
 */
import { describe, expect, it } from 'vitest';
import { REG_DWORD } from '../../../../../src/hive/index.js';
import { buildHive, buildWindowsSoftwareHive, buildWindowsSystemHive, windowsSoftwareSpec, windowsSystemSpec, type HiveSpec } from '../../../../../fixtures/hive/index.js';
import { makeDeviceIndex } from '../../../../../src/inspect/device-index.js';
import { guestReader, type CallFn } from '../../../../../src/inspect/guest-reader.js';
import { unknownFacts, type OsFacts } from '../../../../../src/inspect/types.js';
import { listWindowsApplications } from '../../../../../src/inspect/windows/applications.js';
import { fixtureCmdExe, fixtureSoftwareHive, fixtureSystemHive } from '../../../../../fixtures/windows/fixture-hives.js';
import { windowsOsinfo } from '../../../../../src/inspect/windows/osinfo.js';
import { parseWindowsVersion } from '../../../../../src/inspect/windows/registry-facts.js';
import { bootIniSystemroots } from '../../../../../src/inspect/windows/systemroot.js';
import { inspectWindowsRoot } from '../../../../../src/inspect/windows/windows-root.js';

type Tree = Record<string, Uint8Array | 'dir'>;

/** The commands GuestReader uses, over an in-memory tree of absolute paths (parents implied). */
function memCall(tree: Tree): CallFn {
  const all = new Map<string, Uint8Array | 'dir'>([['/', 'dir']]);
  for (const [p, v] of Object.entries(tree)) {
    const parts = p.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) all.set('/' + parts.slice(0, i).join('/'), 'dir');
    all.set(p, v);
  }
  const get = (p: string) => {
    const v = all.get(p);
    if (v === undefined) throw new Error(`${p}: No such file or directory`);
    return v;
  };
  return async (name, args) => {
    const p = String(args[0]);
    switch (name) {
      case 'exists':
        return all.has(p);
      case 'is-file':
        return all.has(p) && all.get(p) !== 'dir';
      case 'is-dir':
        return all.get(p) === 'dir';
      case 'is-symlink':
        return false;
      case 'statns': {
        const v = get(p);
        return { st_size: v === 'dir' ? 4096 : v.length };
      }
      case 'read-file': {
        const v = get(p);
        if (v === 'dir') throw new Error(`${p}: Is a directory`);
        return v;
      }
      case 'ls': {
        if (get(p) !== 'dir') throw new Error(`${p}: Not a directory`);
        const prefix = p === '/' ? '/' : `${p}/`;
        return [...all.keys()].filter((k) => k !== p && k.startsWith(prefix) && !k.slice(prefix.length).includes('/')).map((k) => k.slice(prefix.length));
      }
      default:
        throw new Error(`${name}: not in the fake table`);
    }
  };
}

const NO_DISKS = makeDeviceIndex([], [], [], []);

function windowsTree(o: { root?: string; software?: Uint8Array | null; system?: Uint8Array | null; cmd?: Uint8Array } = {}): Tree {
  const root = o.root ?? '/Windows';
  const t: Tree = { [`${root}/System32/cmd.exe`]: o.cmd ?? fixtureCmdExe(), [`${root}/System32/config`]: 'dir' };
  if (o.software !== null) t[`${root}/System32/config/SOFTWARE`] = o.software ?? buildWindowsSoftwareHive();
  if (o.system !== null) t[`${root}/System32/config/SYSTEM`] = o.system ?? buildWindowsSystemHive();
  return t;
}

async function inspect(tree: Tree): Promise<{ found: boolean; facts: OsFacts; warnings: string[] }> {
  const warnings: string[] = [];
  const facts = unknownFacts('/dev/sda2');
  const found = await inspectWindowsRoot(guestReader(memCall(tree), (m) => warnings.push(m)), NO_DISKS, facts);
  return { found, facts, warnings };
}

function software(edit: (spec: HiveSpec) => void, o: Parameters<typeof windowsSoftwareSpec>[0] = {}): Uint8Array {
  const spec = windowsSoftwareSpec(o);
  edit(spec);
  return buildHive(spec);
}

const CV = 'Microsoft\\Windows NT\\CurrentVersion';

describe('systemroot', () => {
  it('finds /WINNT in another case and reports it as stored', async () => {
    const { found, facts } = await inspect(windowsTree({ root: '/WINNT' }));
    expect(found).toBe(true);
    expect(facts.windowsSystemroot).toBe('/WINNT');
    expect(facts.windowsSoftwareHive).toBe('/WINNT/System32/config/SOFTWARE');
  });

  it('needs system32/cmd.exe and system32/config, not just a Windows directory', async () => {
    expect((await inspect({ '/Windows/System32/config/SOFTWARE': buildWindowsSoftwareHive() })).found).toBe(false);
    expect((await inspect({ '/Windows/System32/cmd.exe': fixtureCmdExe() })).found).toBe(false);
    expect((await inspect({ '/Program Files/x.txt': new Uint8Array(1), '/System Volume Information': 'dir' })).found).toBe(false);
  });

  it('falls back to boot.ini for a non-standard system root', async () => {
    const bootIni = '[boot loader]\r\ntimeout=30\r\n[operating systems]\r\nmulti(0)disk(0)rdisk(0)partition(1)\\MyWin="Windows XP" /fastdetect\r\n';
    const tree = { ...windowsTree({ root: '/MyWin' }), '/boot.ini': new TextEncoder().encode(bootIni) };
    const { found, facts } = await inspect(tree);
    expect(found).toBe(true);
    expect(facts.windowsSystemroot).toBe('/MyWin');
  });

  it('reads boot.ini entries up to the first line that is not one', () => {
    expect(bootIniSystemroots('[operating systems]\nscsi(0)disk(1)rdisk(0)partition(2)\\A\\B="x"\nmulti(0)bad\nmulti(0)disk(0)rdisk(0)partition(1)\\C="y"\nfoo\nmulti(0)disk(0)rdisk(0)partition(1)\\D="z"\n')).toEqual(['/A/B', '/C']);
    expect(bootIniSystemroots('multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS="x"\n')).toEqual([]);
  });
});

describe('facts from the hives', () => {
  it('reads the defaults of the test hives', async () => {
    const { facts, warnings } = await inspect(windowsTree());
    expect(facts).toMatchObject({
      type: 'windows', distro: 'windows', productName: 'Windows 10 Pro', productVariant: 'Client', majorVersion: 10, minorVersion: 0,
      buildId: '19045', arch: 'x86_64', hostname: 'win10-guest', windowsCurrentControlSet: 'ControlSet001', osinfo: 'win10',
      format: 'installed', packageFormat: 'unknown', packageManagement: 'unknown', mountpoints: { '/': '/dev/sda2' }, filesystems: ['/dev/sda2'],
    });
    // No disks here: the C: entry names nothing we have.
    expect(facts.driveMappings).toEqual({});
    expect(warnings).toEqual([]);
  });

  it('parses CurrentVersion when the major/minor numbers are not both there (Windows 7)', async () => {
    const sw = software((s) => {
      delete s.keys[CV]!['CurrentMajorVersionNumber'];
    }, { productName: 'Windows 7 Professional', currentVersion: '6.1', currentBuild: '7601' });
    const { facts } = await inspect(windowsTree({ software: sw }));
    expect([facts.majorVersion, facts.minorVersion, facts.buildId, facts.osinfo]).toEqual([6, 1, '7601', 'win7']);
  });

  it('uses CurrentBuildNumber, never CurrentBuild', async () => {
    const sw = software((s) => {
      delete s.keys[CV]!['CurrentBuildNumber'];
    });
    const { facts } = await inspect(windowsTree({ software: sw }));
    expect(facts.buildId).toBe('unknown');
    expect(facts.osinfo).toBe('unknown'); // Windows 10 or 11 cannot be told apart without it
  });

  it('tells Windows 11 and Server 2019 apart from Windows 10', async () => {
    const w11 = await inspect(windowsTree({ software: buildWindowsSoftwareHive({ productName: 'Windows 10 Pro', currentBuild: '22631' }) }));
    expect(w11.facts.osinfo).toBe('win11');
    const srv = await inspect(windowsTree({ software: buildWindowsSoftwareHive({ productName: 'Windows Server 2019 Standard', installationType: 'Server', currentBuild: '17763' }) }));
    expect([srv.facts.productVariant, srv.facts.osinfo]).toEqual(['Server', 'win2k19']);
  });

  it('takes the hostname from ComputerName when Tcpip has none, and the control set from Select', async () => {
    const spec = windowsSystemSpec({ computerName: 'LEGACY-PC', currentControlSet: 2 });
    delete spec.keys['ControlSet002\\Services\\Tcpip\\Parameters'];
    const { facts } = await inspect(windowsTree({ system: buildHive(spec) }));
    expect([facts.windowsCurrentControlSet, facts.hostname]).toEqual(['ControlSet002', 'LEGACY-PC']);
  });

  it('reads no registry facts when one hive is missing (as libguestfs), but still reports the root', async () => {
    const { found, facts, warnings } = await inspect(windowsTree({ system: null }));
    expect(found).toBe(true);
    expect([facts.productName, facts.hostname, facts.windowsSystemHive, facts.windowsSoftwareHive]).toEqual(['unknown', 'unknown', undefined, '/Windows/System32/config/SOFTWARE']);
    expect(warnings.join('\n')).toMatch(/SYSTEM hive missing/);
  });
});

describe('damaged input degrades single facts', () => {
  it('a corrupt SOFTWARE hive: warning, product facts unknown, SYSTEM facts still read', async () => {
    const bad = buildWindowsSoftwareHive();
    bad.fill(0xee, 0x1000, 0x1400); // the first hbin's header and cells
    const { found, facts, warnings } = await inspect(windowsTree({ software: bad }));
    expect(found).toBe(true);
    expect([facts.productName, facts.productVariant, facts.majorVersion, facts.buildId, facts.osinfo]).toEqual(['unknown', 'unknown', 0, 'unknown', 'unknown']);
    expect(facts.hostname).toBe('win10-guest');
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatch(/^\/Windows\/System32\/config\/SOFTWARE: /);
  });

  it('a file that is not a hive at all', async () => {
    const { facts, warnings } = await inspect(windowsTree({ system: new TextEncoder().encode('not a hive') }));
    expect([facts.hostname, facts.windowsCurrentControlSet, facts.productName]).toEqual(['unknown', undefined, 'Windows 10 Pro']);
    expect(warnings.join('\n')).toMatch(/SYSTEM: .*truncated|regf/);
  });

  it('values of the wrong type cost only themselves', async () => {
    const sw = software((s) => {
      s.keys[CV]!['ProductName'] = { type: REG_DWORD, value: 10 };
      s.keys[CV]!['CurrentMinorVersionNumber'] = 'zero';
    });
    const { facts, warnings } = await inspect(windowsTree({ software: sw }));
    expect([facts.productName, facts.majorVersion, facts.minorVersion, facts.productVariant, facts.buildId]).toEqual(['unknown', 0, 0, 'Client', '19045']);
    expect(warnings.some((w) => w.includes('ProductName'))).toBe(true);
    expect(warnings.some((w) => w.includes('CurrentMinorVersionNumber'))).toBe(true);
  });

  it('a cmd.exe that is not a PE image: arch unknown with a warning', async () => {
    const { facts, warnings } = await inspect(windowsTree({ cmd: new TextEncoder().encode('@echo off\r\n') }));
    expect(facts.arch).toBe('unknown');
    expect(facts.productName).toBe('Windows 10 Pro');
    expect(warnings.join('\n')).toMatch(/cmd\.exe: cannot tell the architecture/);
  });
});

describe('applications', () => {
  async function apps(sw: Uint8Array) {
    const warnings: string[] = [];
    const r = guestReader(memCall(windowsTree({ software: sw })), (m) => warnings.push(m));
    const facts = unknownFacts('/dev/sda2');
    await inspectWindowsRoot(r, NO_DISKS, facts);
    return { list: await listWindowsApplications(r, facts), warnings };
  }

  it('lists both views, skips keys without a string DisplayName, sorts by key name', async () => {
    const { list } = await apps(fixtureSoftwareHive());
    expect(list.map((a) => a.app2_name)).toEqual([
      '7-Zip', 'Mozilla Firefox 115.0 (x64 en-US)', 'Notepad++', '{90160000-008C-0000-1000-0000000FF1CE}', '{F7C0D3E6-0C9C-4B53-8F4C-3A0E1B2C4D5E}',
    ]);
    const ff = list.find((a) => a.app2_name.startsWith('Mozilla'))!;
    expect(ff).toMatchObject({
      app2_display_name: 'Mozilla Firefox (x64 en-US)', app2_version: '115.0', app2_install_path: 'C:\\Program Files\\Mozilla Firefox',
      app2_publisher: 'Mozilla', app2_url: 'https://www.mozilla.org', app2_description: 'Mozilla Firefox 115.0 (x64 en-US)', app2_summary: '',
    });
  });

  it('adds Microsoft Defender unless DisableAntiVirus is 1, and classes anti-virus products', async () => {
    const withDefender = (disable?: number) => software((s) => {
      s.keys['Microsoft\\Windows Defender'] = disable === undefined ? {} : { DisableAntiVirus: disable };
      s.keys['Microsoft\\Windows\\CurrentVersion\\Uninstall\\Sophos Endpoint Agent'] = { DisplayName: 'Sophos Endpoint Agent', Publisher: 'Sophos Limited' };
    });
    const on = (await apps(withDefender())).list;
    expect(on.find((a) => a.app2_name === 'WinDefend')).toMatchObject({ app2_display_name: 'Microsoft Defender Antivirus', app2_publisher: 'Microsoft Corporation', app2_spare1: 'antivirus' });
    expect(on.find((a) => a.app2_name === 'Sophos Endpoint Agent')!.app2_spare1).toBe('antivirus');
    expect(on.find((a) => a.app2_name === '7-Zip')!.app2_spare1).toBe('');
    expect((await apps(withDefender(0))).list.some((a) => a.app2_name === 'WinDefend')).toBe(true);
    expect((await apps(withDefender(1))).list.some((a) => a.app2_name === 'WinDefend')).toBe(false);
  });

  it('a corrupt SOFTWARE hive gives no applications and a warning, not a throw', async () => {
    const bad = buildWindowsSoftwareHive();
    bad.fill(0xee, 0x1000, 0x1400);
    const { list, warnings } = await apps(bad);
    expect(list).toEqual([]);
    expect(warnings.length).toBeGreaterThan(0);
  });

  it('nothing for a root that is not Windows', async () => {
    const r = guestReader(memCall({}));
    expect(await listWindowsApplications(r, unknownFacts('/dev/sda1'))).toEqual([]);
  });
});

describe('version parsing and osinfo', () => {
  it('parses as libguestfs: first N.N anywhere, else first N', () => {
    expect(parseWindowsVersion('6.3')).toEqual([6, 3]);
    expect(parseWindowsVersion('v5.2 SP2')).toEqual([5, 2]);
    expect(parseWindowsVersion('10')).toEqual([10, 0]);
    expect(parseWindowsVersion('none')).toBeNull();
  });

  it('maps versions to libosinfo ids', () => {
    const o = (majorVersion: number, minorVersion: number, productName = 'Windows', productVariant = 'Client', buildId = 'unknown') =>
      windowsOsinfo({ majorVersion, minorVersion, productName, productVariant, buildId });
    expect(o(5, 1)).toBe('winxp');
    expect(o(5, 2, 'Microsoft Windows XP')).toBe('winxp');
    expect(o(5, 2, 'Windows Server 2003 R2')).toBe('win2k3r2');
    expect(o(5, 2, 'Windows Server 2003')).toBe('win2k3');
    expect(o(6, 0)).toBe('winvista');
    expect(o(6, 0, 'x', 'Server')).toBe('win2k8');
    expect(o(6, 1, 'x', 'Server')).toBe('win2k8r2');
    expect(o(6, 2)).toBe('win8');
    expect(o(6, 3)).toBe('win8.1');
    expect(o(6, 3, 'x', 'Server Core')).toBe('win2k12r2');
    expect(o(10, 0, 'Windows Server 2025', 'Server')).toBe('win2k25');
    expect(o(10, 0, 'Windows Server 2022', 'Server')).toBe('win2k22');
    expect(o(10, 0, 'Windows Server 2016', 'Server')).toBe('win2k16');
    expect(o(10, 0, 'Windows 10', 'Client', '19045')).toBe('win10');
    expect(o(10, 0, 'Windows 10', 'Client', '22000')).toBe('win11');
    expect(o(4, 0)).toBe('unknown');
  });
});
