/**
 * The Windows-like fixture checked with independent tools: its hives read by
 * hivex (hivexsh, hivexregedit --export) and the files in windows.img read by
 * ntfs-3g's ntfscat, without our code on the reading side.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportReg, Hive } from '../../../../../src/hive/index.js';
import { fixture } from '../../../../helpers/fixtures.js';
import { fixtureCmdExe, fixtureSoftwareHive, fixtureSystemHive } from '../../../../../fixtures/windows/fixture-hives.js';

const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'guestkit-winfix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[], input?: string): Buffer {
  const r = spawnSync(cmd, args, { input, env: { ...process.env, PERL_UNICODE: 'SAOD' }, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function save(name: string, bytes: Uint8Array): string {
  const f = join(dir, name);
  writeFileSync(f, bytes);
  return f;
}

describe.skipIf(!have('hivexsh') || !have('hivexregedit'))('fixture hives read by hivex', () => {
  it('hivexsh finds what inspection reads in SOFTWARE', () => {
    const f = save('SOFTWARE', fixtureSoftwareHive());
    const out = run('hivexsh', [f], 'cd \\Microsoft\\Windows NT\\CurrentVersion\nlsval ProductName\nlsval CurrentMajorVersionNumber\nlsval InstallationType\nlsval CurrentBuildNumber\ncd \\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\nls\n').toString('utf8');
    expect(out.split('\n')).toEqual([
      'Windows 10 Pro', '10', 'Client', '19045', 'Notepad++', '{F7C0D3E6-0C9C-4B53-8F4C-3A0E1B2C4D5E}', '',
    ]);
  });

  it('hivexsh finds what inspection reads in SYSTEM', () => {
    const f = save('SYSTEM', fixtureSystemHive());
    const out = run('hivexsh', [f], 'cd \\Select\nlsval Current\ncd \\ControlSet001\\Services\\Tcpip\\Parameters\nlsval Hostname\ncd \\ControlSet001\\Control\\ComputerName\\ComputerName\nlsval ComputerName\n').toString('utf8');
    expect(out).toBe('1\nwin10-guest\nWIN10-GUEST\n');
  });

  it('hivexregedit --export prints both hives exactly as our exporter does', () => {
    for (const [name, bytes, prefix] of [['SOFTWARE', fixtureSoftwareHive(), 'HKEY_LOCAL_MACHINE\\SOFTWARE'], ['SYSTEM', fixtureSystemHive(), 'HKEY_LOCAL_MACHINE\\SYSTEM']] as const) {
      const f = save(`${name}.export`, bytes);
      const theirs = run('hivexregedit', ['--export', '--prefix', prefix, f, '\\']).toString('utf8');
      expect(theirs.replace(/\r\n/g, '\n')).toBe(exportReg(Hive.open(bytes), undefined, prefix));
    }
  });
});

describe.skipIf(!have('ntfscat'))('windows.img read by ntfs-3g', () => {
  it('holds the fixture hives and cmd.exe byte for byte', () => {
    const part = join(dir, 'part.img');
    run('dd', [`if=${fixture('windows.img')}`, `of=${part}`, 'bs=512', 'skip=2048', 'status=none']);
    const cat = (p: string) => new Uint8Array(run('ntfscat', [part, p]));
    expect(cat('Windows/System32/config/SOFTWARE')).toEqual(fixtureSoftwareHive());
    expect(cat('Windows/System32/config/SYSTEM')).toEqual(fixtureSystemHive());
    expect(cat('Windows/System32/cmd.exe')).toEqual(fixtureCmdExe());
  });
});
