/**
 * guestkit's tools print what libguestfs's tools print. The goldens in test/golden are
 * the real virt-ls, virt-cat, virt-df and guestfish run on the same fixtures
 * (captured with libguestfs 1.48 on Debian 12; see test/golden/NOTES.md).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { FIXTURES, GOLDEN } from './helpers/fixtures.js';

function golden(name: string): { out: string; rc: number } {
  const out = readFileSync(join(GOLDEN, `${name}.out`), 'utf8');
  const rcFile = join(GOLDEN, `${name}.rc`);
  return { out, rc: existsSync(rcFile) ? Number(readFileSync(rcFile, 'utf8').trim()) : 0 };
}

/** [golden name, guestkit arguments]; images are given relative to fixtures/out, where the tools run. */
const CASES: [string, string[]][] = [
  ['virt-ls__ext4__home_user', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '/home/user']],
  ['virt-ls__ext4__l_home_user', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '-l', '/home/user']],
  ['virt-ls__ext4__l_file', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '-l', '/etc/hostname']],
  ['virt-ls__ext4__R_root', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '-R', '/']],
  ['virt-ls__ext4__lR_root', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '-lR', '/']],
  ['virt-ls__ext4__lR_uids_home', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '-lR', '--uids', '/home']],
  ['virt-ls__ext4__lR_h_home', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '-lR', '-h', '/home']],
  ['virt-ls__ext4__lR_h_root', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '-lR', '-h', '/']],
  ['virt-ls__ext4__csv_lR_home', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '--csv', '-lR', '/home']],
  ['virt-ls__ext4__csv_lR_root', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '--csv', '-lR', '/']],
  ['virt-ls__ext4__checksum_lR_home', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '--checksum', '-lR', '/home']],
  ['virt-ls__ext4__checksum-sha256_lR_home', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '--checksum=sha256', '-lR', '/home']],
  ['virt-ls__ext4__lR_extra-stats_home', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '-lR', '--extra-stats', '/home']],
  ['virt-ls__gpt-sda2__R_etc', ['ls', '-a', 'gpt.img', '-m', '/dev/sda2', '-R', '/etc']],
  ['virt-cat__ext4__hostname_hello', ['cat', '-a', 'ext4.img', '-m', '/dev/sda', '/etc/hostname', '/home/user/hello.txt']],
  ['virt-cat__ext4__link-absolute', ['cat', '-a', 'ext4.img', '-m', '/dev/sda', '/home/user/link-absolute']],
  ['virt-cat__ext4__link-relative', ['cat', '-a', 'ext4.img', '-m', '/dev/sda', '/home/user/link-relative']],
  ['virt-cat__ext4__link-up', ['cat', '-a', 'ext4.img', '-m', '/dev/sda', '/home/user/docs/link-up']],
  ['virt-cat__ext4__spaces', ['cat', '-a', 'ext4.img', '-m', '/dev/sda', '/dir with spaces/file with spaces.txt']],
  ['virt-cat__ext4__utf8', ['cat', '-a', 'ext4.img', '-m', '/dev/sda', '/ünïcødé/日本語.txt']],
  ['virt-cat__gpt-sda2__os-release', ['cat', '-a', 'gpt.img', '-m', '/dev/sda2', '/etc/os-release']],
  ['virt-cat__debian-qcow2__hostname', ['cat', '-a', 'debian.qcow2', '-m', '/dev/sda2', '/etc/hostname']],
  ['virt-cat__mbr-sda5__vmlinuz', ['cat', '-a', 'mbr.img', '-m', '/dev/sda5', '/vmlinuz-6.1.0']],
  ['virt-cat__ext4__hostname_nope_hello', ['cat', '-a', 'ext4.img', '-m', '/dev/sda', '/etc/hostname', '/nope', '/home/user/hello.txt']],
  ['virt-df__ext4', ['df', '-a', 'ext4.img']],
  ['virt-df__ext4__csv', ['df', '-a', 'ext4.img', '--csv']],
  ['virt-df__ext4__csv_i', ['df', '-a', 'ext4.img', '--csv', '-i']],
  ['virt-df__ext4__h', ['df', '-a', 'ext4.img', '-h']],
  ['virt-df__ext4__i', ['df', '-a', 'ext4.img', '-i']],
  ['virt-df__ext4__i_h', ['df', '-a', 'ext4.img', '-i', '-h']],
  ['virt-df__mbr', ['df', '-a', 'mbr.img']],
  ['virt-df__mbr__csv', ['df', '-a', 'mbr.img', '--csv']],
  ['virt-df__mbr__h', ['df', '-a', 'mbr.img', '-h']],
  ['virt-df__mbr__i', ['df', '-a', 'mbr.img', '-i']],
  ['virt-df__mbr__csv_i', ['df', '-a', 'mbr.img', '--csv', '-i']],
  ['virt-df__mbr__i_h', ['df', '-a', 'mbr.img', '-i', '-h']],
  ...(['ext2', 'ext3', 'gpt', 'debian-qcow2'] as const).flatMap((n): [string, string[]][] => {
    const img = n === 'debian-qcow2' ? 'debian.qcow2' : `${n}.img`;
    return [
      [`virt-df__${n}`, ['df', '-a', img]],
      [`virt-df__${n}__csv`, ['df', '-a', img, '--csv']],
      [`virt-df__${n}__h`, ['df', '-a', img, '-h']],
      [`virt-df__${n}__i`, ['df', '-a', img, '-i']],
    ];
  }),
  ['virt-df__ext4+mbr', ['df', '-a', 'ext4.img', '-a', 'mbr.img']],
  ['virt-df__ext4+mbr__csv', ['df', '-a', 'ext4.img', '-a', 'mbr.img', '--csv']],
  ['virt-df__mbr+gpt+ext2', ['df', '-a', 'mbr.img', '-a', 'gpt.img', '-a', 'ext2.img']],
  ['virt-df__ext4-abspath', ['df', '-a', join(FIXTURES, 'ext4.img')]],
];

/** extra.img (made only as root): sizes, odd names, special modes, device nodes. */
const x = (...args: string[]) => ['ls', '-a', 'extra.img', '-m', '/dev/sda', ...args];
const EXTRA: [string, string[]][] = [
  ['virt-ls__extra__l_modes', x('-l', '/modes')],
  ['virt-ls__extra__l_names', x('-l', '/names')],
  ['virt-ls__extra__l_dev', x('-l', '/dev')],
  ['virt-ls__extra__names', x('/names')],
  ['virt-ls__extra__R_root', x('-R', '/')],
  ['virt-ls__extra__R_names', x('-R', '/names')],
  ['virt-ls__extra__R_names_slash', x('-R', '/names/')],
  ['virt-ls__extra__R_names_a', x('-R', '/names/a')],
  ['virt-ls__extra__lR_root', x('-lR', '/')],
  ['virt-ls__extra__csv_lR_root', x('--csv', '-lR', '/')],
  ['virt-ls__extra__lR_h_sizes', x('-lR', '-h', '/sizes')],
  ['virt-ls__extra__lR_names_slash', x('-lR', '/names/')],
  ['virt-ls__extra__lR_extra-stats_uids_dev', x('-lR', '--extra-stats', '--uids', '/dev')],
  ['virt-ls__extra__lR_file', x('-lR', '/sizes/s1024')],
  ['virt-ls__extra__ls_file', x('/sizes/s1024')],
  ['virt-ls__extra__R_file', x('-R', '/sizes/s1024')],
  ['virt-ls__extra__multi_dirs', x('/names', '/dev')],
  ['virt-ls__extra__multi_dirs_missing', x('/names', '/nope', '/dev')],
];

/** Goldens that print times relative to now: replayed with now fixed to the capture's. */
const TIMED: [string, string[]][] = [
  ['virt-ls__ext4__lR_time-t_home', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '-lR', '--time-t', '/home']],
  ['virt-ls__ext4__csv_lR_time-t_uids_home', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '--csv', '-lR', '--time-t', '--uids', '/home']],
  ['virt-ls__ext4__lR_time-days_home', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '-lR', '--time-days', '/home']],
  ['virt-ls__ext4__csv_lR_time-days_home', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '--csv', '-lR', '--time-days', '/home']],
  ['virt-ls__ext4__lR_time-relative_home', ['ls', '-a', 'ext4.img', '-m', '/dev/sda', '-lR', '--time-relative', '/home']],
];
const TIMED_EXTRA: [string, string[]][] = [
  ['virt-ls__extra__lR_time-t_uids_modes', x('-lR', '--time-t', '--uids', '/modes')],
  ['virt-ls__extra__lR_time-days_modes', x('-lR', '--time-days', '/modes')],
  ['virt-ls__extra__lR_times_modes', x('-lR', '--times', '/modes')],
];

async function check(name: string, args: string[], env: Record<string, string> = {}) {
  const want = golden(name);
  const r = await runCli(args, { cwd: FIXTURES, env });
  expect(r.out).toBe(want.out);
  expect(r.status).toBe(want.rc);
}

function nowOf(name: string): Record<string, string> {
  const file = join(GOLDEN, `${name}.now`);
  return existsSync(file) ? { GUESTKIT_NOW: readFileSync(file, 'utf8').trim() } : {};
}

describe('virt-df wraps a long name:device column as virt-df does', () => {
  it.each([['virt-df__longname', []], ['virt-df__longname__csv', ['--csv']]] as [string, string[]][])('%s', async (name, extra) => {
    const dir = mkdtempSync(join(tmpdir(), 'guestkit-df-'));
    try {
      symlinkSync(join(FIXTURES, 'ext4.img'), join(dir, 'a-very-long-disk-image-name-to-wrap.img'));
      const r = await runCli(['df', '-a', 'a-very-long-disk-image-name-to-wrap.img', ...extra], { cwd: dir });
      expect(r.out).toBe(golden(name).out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tools print what libguestfs prints', () => {
  it.each(CASES)('%s', (name, args) => check(name, args));
  it.each(TIMED)('%s', (name, args) => check(name, args, nowOf(name)));
});

describe.runIf(existsSync(join(FIXTURES, 'extra.img')))('virt-ls on odd names, sizes, modes, devices and times', () => {
  it.each(EXTRA)('%s', (name, args) => check(name, args));
  it.each(TIMED_EXTRA)('%s', (name, args) => check(name, args, nowOf(name)));
  it('virt-ls__extra__lR_times_modes_TZ-NewYork', () =>
    check('virt-ls__extra__lR_times_modes_TZ-NewYork', x('-lR', '--times', '/modes'), { TZ: 'America/New_York' }));
});
