/**
 * Windows paths in cat and ls on an inspected Windows guest (windows-dual.img: C: system,
 * D: data, both named in MountedDevices), as virt-cat and virt-ls take them: a drive
 * letter picks the volume, backslashes are separators, names match whatever their case.
 * Goldens captured from the real virt-cat/virt-ls are replayed where they exist.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_BACKENDS } from './helpers/backends.js';
import { runCli } from './helpers/cli.js';
import { FIXTURES, GOLDEN, fixture, sha256 } from './helpers/fixtures.js';

const IMG = 'windows-dual.img';
const golden = (name: string) => {
  const f = join(GOLDEN, name);
  return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
};

describe.runIf(existsSync(fixture(IMG))).each(TEST_BACKENDS)('Windows paths (%s backend)', (backend) => {
  const run = (tool: string, ...args: string[]) => runCli([tool, `--backend=${backend}`, '-a', IMG, ...args], { cwd: FIXTURES, timeoutMs: 120000 });

  it('cat D:\\... reads the data volume, in any case', async () => {
    const before = sha256(fixture(IMG));
    const r = await run('cat', 'd:\\users\\admin\\documents\\README.TXT');
    expect(r.out).toBe(golden('virt-cat__windows-dual__d-readme.out') ?? 'Hello from drive D:\r\n');
    expect(r.status).toBe(0);
    expect(sha256(fixture(IMG))).toBe(before);
  });

  it('ls C:\\dir and D:\\dir: each letter mounts its own volume', async () => {
    const r = await run('ls', 'C:\\users', 'D:\\Backup\\2024');
    expect(r.out).toBe(golden('virt-ls__windows-dual__c-users_d-backup.out') ?? 'Admin\nnotes.TXT\n');
    expect(r.status).toBe(0);
  });

  it('a path without a letter stays on the drive the last letter chose', async () => {
    const r = await run('cat', 'D:\\backup\\2024\\NOTES.txt', '\\USERS\\admin\\Documents\\readme.txt', 'c:\\windows\\system32\\CMD.EXE');
    expect(r.stdoutBytes.subarray(0, 'backup notes\r\nHello from drive D:\r\n'.length).toString()).toBe('backup notes\r\nHello from drive D:\r\n');
    expect(r.stdoutBytes.subarray(35, 37).toString()).toBe('MZ');
    expect(r.status).toBe(0);
  });

  it('a drive letter the guest does not map: one-line error, exit 1', async () => {
    const r = await run('cat', 'e:\\x');
    expect(r.out).toBe('');
    expect(r.err).toBe("guestkit cat: error: drive 'e:' not found.\n");
    expect(r.status).toBe(1);
  });
});

describe.runIf(existsSync(fixture('ubuntu.img')))('paths on a Linux guest', () => {
  it('pass through unchanged: C:\\ is not a drive there', async () => {
    const ok = await runCli(['cat', '--backend=wasm', '-a', 'ubuntu.img', '/etc/hostname'], { cwd: FIXTURES });
    expect(ok.out).toBe('ubuntu-guest\n');
    const r = await runCli(['cat', '--backend=wasm', '-a', 'ubuntu.img', 'C:\\etc\\hostname'], { cwd: FIXTURES });
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^guestkit cat: error: download: C:\\etc\\hostname: path must start with a \/ character\n$/);
  });
});
