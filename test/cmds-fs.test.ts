/**
 * The btrfs, xfs, md, luks and block-tool command families (issue #10).
 *
 * The parsers first, on the outputs btrfs-progs 6.2, xfsprogs 6.1 and the kernel
 * give; then one appliance boot running test/golden/cmds-fs/appliance.fish, whose
 * printed output must be what libguestfs 1.48's guestfish printed for the same
 * script and drives (appliance.out, captured once with LIBGUESTFS_BACKEND=direct),
 * followed by the commands a fish script cannot check on its own (keys, host files).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { FishShell } from '../src/shell/fish.js';
import { convertArgs } from '../src/shell/convert.js';
import { synopsis } from '../src/shell/synopsis.js';
import { findCommand } from '../src/api/commands.js';
import {
  parseBalanceStatus, parseFilesystemShow, parseQgroupShow, parseScrubStatus, parseSubvolumeShow,
} from '../src/backend/appliance/ops-btrfs-admin.js';
import { parseXfsInfo } from '../src/backend/appliance/ops-xfs.js';
import { parseMdstatLine } from '../src/backend/appliance/ops-md-luks.js';
import { ldmObjectString, ldmObjectStringList, ldmStringList } from '../src/backend/appliance/ops-ldm.js';
import { haveQemu } from './helpers/backends.js';
import { GOLDEN, scratch } from './helpers/fixtures.js';

const DIR = join(GOLDEN, 'cmds-fs');

describe('cmds-fs parsers', () => {
  it('btrfs balance status: none, running, paused, and what it cannot read', () => {
    expect(parseBalanceStatus("No balance found on '/sysroot/'\n")).toEqual({
      btrfsbalance_status: 'none', btrfsbalance_total: 0, btrfsbalance_balanced: 0, btrfsbalance_considered: 0, btrfsbalance_left: 0,
    });
    expect(parseBalanceStatus("Balance on '/sysroot/' is paused\n3 out of about 8 chunks balanced (4 considered),  62% left\n")).toEqual({
      btrfsbalance_status: 'paused', btrfsbalance_total: 8, btrfsbalance_balanced: 3, btrfsbalance_considered: 4, btrfsbalance_left: 62,
    });
    expect(() => parseBalanceStatus("Balance on '/' is stuck\n")).toThrow("unexpected output from 'btrfs balance status' command");
    expect(() => parseBalanceStatus("Balance on '/' is running\n")).toThrow('truncated output');
  });

  it('btrfs scrub status -R: the counters, "no stats available", and unknown lines', () => {
    const fields = ['data_extents_scrubbed', 'tree_extents_scrubbed', 'data_bytes_scrubbed', 'tree_bytes_scrubbed', 'read_errors',
      'csum_errors', 'verify_errors', 'no_csum', 'csum_discards', 'super_errors', 'malloc_errors', 'uncorrectable_errors',
      'unverified_errors', 'corrected_errors', 'last_physical'];
    const out = `UUID:             346121d1-1847-40f8-9b7b-2bf3d539c68f\nScrub started:    Sun Dec  6 03:37:45 2026\nStatus:           finished\n${fields.map((f, i) => `\t${f}: ${i * 10}`).join('\n')}\n`;
    const r = parseScrubStatus(out);
    expect(Object.keys(r)).toEqual(fields.map((f) => `btrfsscrub_${f}`));
    expect(r.btrfsscrub_last_physical).toBe(140);
    expect(parseScrubStatus('scrub status for x\n\tno stats available\n').btrfsscrub_read_errors).toBe(0);
    expect(() => parseScrubStatus('UUID: x\n\tbogus: 1\n')).toThrow('could not parse btrfs scrub status');
  });

  it('btrfs qgroup show --raw, subvolume show and filesystem show', () => {
    expect(parseQgroupShow('qgroupid rfer excl\n-------- ---- ----\n0/5 16384 16384\n1/1000 0 0\n')).toEqual([
      { btrfsqgroup_id: '0/5', btrfsqgroup_rfer: 16384, btrfsqgroup_excl: 16384 },
      { btrfsqgroup_id: '1/1000', btrfsqgroup_rfer: 0, btrfsqgroup_excl: 0 },
    ]);
    const show = parseSubvolumeShow('sub1\n\tName: \t\t\tsub1\n\tParent UUID: \t\t-\n\tSnapshot(s):\n\t\t\t\tsnap1\n\t\t\t\tsnap2\n\tQuota group:\t\t0/256\n', '/sub1');
    expect(show).toEqual({ path: 'sub1', Name: 'sub1', 'Parent UUID': '', 'Snapshot(s)': 'snap1,snap2', 'Quota group': '0/256' });
    expect(() => parseSubvolumeShow('/ is toplevel subvolume\n', '/')).toThrow('/ is btrfs root');
    expect(parseFilesystemShow("Label: none  uuid: 99a1b6ba\n\tTotal devices 2 FS bytes used 1.12MiB\n\tdevid    1 size 10.00GiB used 2.00GiB path /dev/vda1\n\tdevid    2 size 1GiB used 0 path /dev/vdb\n\n", '/dev/sda1'))
      .toEqual(['/dev/sda1', '/dev/sdb']);
    expect(() => parseFilesystemShow('Label: none  uuid: x\n\tTotal devices 2\n\t*** Some devices missing\n', '/dev/sda1')).toThrow(expect.objectContaining({ code: 'ENODEV' }));
  });

  it('xfs_info: every field in libguestfs order, unset ones as the unsigned -1', () => {
    const out = `meta-data=/dev/sda1              isize=512    agcount=4, agsize=25592 blks
         =                       sectsz=512   attr=2, projid32bit=1
data     =                       bsize=4096   blocks=102368, imaxpct=25
         =                       sunit=0      swidth=0 blks
naming   =version 2              bsize=4096   ascii-ci=0, ftype=1
log      =internal log           bsize=4096   blocks=16384, version=2
         =                       sectsz=512   sunit=0 blks, lazy-count=1
realtime =none                   extsz=4096   blocks=0, rtextents=0
`;
    const r = parseXfsInfo(out);
    expect(Object.keys(r)[0]).toBe('xfs_mntpoint');
    expect(r).toMatchObject({ xfs_mntpoint: '/dev/sda1', xfs_agsize: 25592, xfs_datablocks: 102368, xfs_dirblocksize: 4096, xfs_logname: 'internal', xfs_logblocks: 16384, xfs_logsectsize: 512, xfs_rtname: 'none', xfs_rtextsize: '4294967295', xfs_rtblocks: 0 });
  });

  it('/proc/mdstat members: device, index, flags', () => {
    expect(parseMdstatLine('active raid1 vdc[1] vdb[0](W)(F) sdd[2](S)')).toEqual([
      { mdstat_device: '/dev/sdc', mdstat_index: 1, mdstat_flags: '' },
      { mdstat_device: '/dev/sdb', mdstat_index: 0, mdstat_flags: 'WF' },
      { mdstat_device: '/dev/sdd', mdstat_index: 2, mdstat_flags: 'S' },
    ]);
  });

  it('ldmtool JSON: string lists and object members, as libguestfs reads them', () => {
    expect(ldmStringList('["6bd6b7ea-aa74-11e2-9b4d-525400b0fe4f"]', 'ldmtool scan')).toEqual(['6bd6b7ea-aa74-11e2-9b4d-525400b0fe4f']);
    expect(() => ldmStringList('{"a":1}', 'ldmtool scan')).toThrow("output of 'ldmtool scan' was not a JSON array of strings");
    const vol = '{"name":"Volume1","type":"spanned","hint":null,"partitions":["/dev/vda1","/dev/vdb1"]}';
    expect(ldmObjectString(vol, 'type', 'ldmtool show volume')).toBe('spanned');
    expect(ldmObjectString(vol, 'hint', 'ldmtool show volume', true)).toBe('');
    expect(() => ldmObjectString(vol, 'hint', 'ldmtool show volume')).toThrow("containing a key 'hint' of type string");
    expect(ldmObjectStringList(vol, 'partitions', 'ldmtool show volume')).toEqual(['/dev/vda1', '/dev/vdb1']);
    expect(() => ldmStringList('not json', 'ldmtool scan')).toThrow(/^parse error: /);
  });

  it('fish takes Key arguments from the key reader, never from the words, as guestfish does', () => {
    const def = findCommand('luks-add-key')!;
    expect(synopsis(def)).toBe('luks-add-key device keyslot');
    const asked: string[] = [];
    const call = convertArgs(def, [{ text: '/dev/sdb' }, { text: '1' }] as never, (n) => { asked.push(n); return `secret-${n}`; });
    expect(call.args).toEqual(['/dev/sdb', 'secret-key', 'secret-newkey', 1]);
    expect(asked).toEqual(['key', 'newkey']);
    expect(() => convertArgs(def, [{ text: '/dev/sdb' }, { text: 'k' }, { text: 'n' }, { text: '1' }] as never, () => 'x')).toThrow();
  });
});

/** guestfish's and guestkit's error lines in one form; volatile values (UUIDs, times) masked. */
function normalise(text: string): string {
  return text.split('\n').map((l) => l
    .replace(/^\S+\.fish:\d+: libguestfs: error: (\w+): /, (_m, c: string) => `ERROR ${c}: `)
    .replace(/^guestkit: error: ([\w-]+): /, (_m, c: string) => `ERROR ${c.replace(/-/g, '_')}: `)
    // guestkit's messages name guest paths, never the appliance's /sysroot prefix (by design).
    .replace(/\/sysroot\//g, '/')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}/g, '<time>')).join('\n');
}

describe.skipIf(!haveQemu)('cmds-fs on the appliance', () => {
  let tmp: ReturnType<typeof scratch>;
  const disks: string[] = [];
  beforeAll(() => {
    tmp = scratch();
    for (const [name, size] of [['a', '600M'], ['b', '600M'], ['c', '100M'], ['d', '100M']] as const) {
      const f = join(tmp.dir, `${name}.img`);
      execFileSync('truncate', ['-s', size, f]);
      disks.push(f);
    }
  });
  afterAll(() => tmp?.cleanup());

  it('one boot: appliance.fish prints what guestfish printed, then remount, luks, md-detail, mksquashfs and mount-loop', async () => {
    const both = new PassThrough();
    const chunks: Buffer[] = [];
    both.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
    const g = new Guestfs({ backend: 'appliance', stdout: both });
    for (const d of disks) g.addDrive(d);
    const shell = new FishShell(g, { out: both, err: both });
    try {
      const status = await shell.runScript(readFileSync(join(DIR, 'appliance.fish'), 'utf8'));
      await new Promise((r) => setImmediate(r));
      const got = Buffer.concat(chunks).toString('utf8');
      expect(normalise(got)).toBe(normalise(readFileSync(join(DIR, 'appliance.out'), 'utf8')));
      expect(status).toBe(0);

      await g.umountAll();
      // remount: read-only refuses writes, read-write takes them again.
      await g.mount('/dev/sdb', '/');
      await g.remount('/', { rw: false });
      await expect(g.write('/ro', 'x')).rejects.toThrow(/Read-only file system/);
      await g.remount('/', { rw: true });
      await g.write('/rw2', 'x');
      await g.umount('/');

      // LUKS: keys are arguments of the library calls. Only luks-format here: under TCG each
      // key derivation (argon2, tuned by cryptsetup to the machine) takes tens of seconds.
      await g.luksFormat('/dev/sdc', 'key0', 0);
      expect(await g.vfsType('/dev/sdc')).toBe('crypto_LUKS');
      expect(await g.luksUuid('/dev/sdc')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      await expect(g.cryptsetupClose('/dev/sdc')).rejects.toMatchObject({ message: '/dev/sdc: you must call this on the /dev/mapper device created by cryptsetup-open' });
      await expect(g.cryptsetupOpen('/dev/sdb', 'key0', 'x')).rejects.toMatchObject({ message: 'xfs: unknown encrypted device type' });

      // md-detail: mdadm -D --export's keys, MD_ dropped and lower-cased.
      await g.mdCreate('md0', ['/dev/sdd'], { nrdevices: 2, missingbitmap: 2 });
      const [md] = await g.listMdDevices();
      const detail = await g.mdDetail(md!);
      expect(detail).toMatchObject({ level: 'raid1', devices: '2', metadata: '1.2', devname: 'md0', device_dev_sdd_dev: '/dev/sdd' });
      await g.mdStop(md!);

      // LDM: no Windows dynamic disks here.
      expect(await g.ldmtoolScan()).toEqual([]);
      expect(await g.ldmtoolScanDevices(['/dev/sda'])).toEqual([]);
      await g.ldmtoolCreateAll();
      expect(await g.listLdmVolumes()).toEqual([]);
      expect(await g.listLdmPartitions()).toEqual([]);
      await g.ldmtoolRemoveAll();
      expect(await g.featureAvailable(['ldm', 'mdadm', 'luks', 'squashfs', 'btrfs', 'xfs'])).toBe(true);

      // mksquashfs to a host file, then mounted back through a loop device.
      await g.mount('/dev/sda1', '/');
      await g.mkdir('/d');
      await g.write('/d/hello', 'hello');
      const sq = join(tmp.dir, 'd.sqfs');
      await g.mksquashfs('/d', sq, { compress: 'gzip' });
      expect(readFileSync(sq).subarray(0, 4).toString('latin1')).toBe('hsqs');
      await expect(g.mksquashfs('/nonexist', join(tmp.dir, 'x.sqfs'))).rejects.toThrow(/^\/nonexist: Cannot stat source directory/);
      await g.upload(sq, '/d.sqfs');
      await g.mkdir('/mnt');
      await g.mountLoop('/d.sqfs', '/mnt');
      expect(await g.cat('/mnt/hello')).toBe('hello');
      await g.umount('/mnt');
    } finally {
      await g.close();
    }
  }, 240_000);
});
