/**
 * guestfish-style scenarios. Each runs the same script on every backend under test
 * and must print exactly the expected output, so the backends agree with each other.
 *
 * Backends: GUESTKIT_TEST_BACKENDS (comma-separated), by default wasm and, when
 * qemu is installed, the appliance. Most scenarios share one launched handle per
 * backend (an appliance boot costs seconds under TCG): its drives are
 *   sda  writable copy of ext4.img        sdd  FAT ESP (writable)
 *   sdb  debian.qcow2, read-only          sde  LVM disk: GPT, VG fedora (root, swap)
 *   sdc  NTFS volume (writable)           sdf  64 MiB blank disk (writable)
 * and the scenarios run in order on it. Host tools check what the writes left.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { FishShell } from '../src/shell/fish.js';
import { staticBusybox } from './helpers/customize-guest.js';
import { Hive } from '../src/hive/index.js';
import { runFish, type FishResult } from './helpers/fish-run.js';
import { e2fsck, fixture, scratch, sha256 } from './helpers/fixtures.js';
import { makeScenarioDisks, type ScenarioDisks } from './helpers/scenario-disks.js';
import { TEST_BACKENDS, type TestBackend } from './helpers/backends.js';

type BackendName = TestBackend;
const BACKENDS = TEST_BACKENDS;

const NOT_ON_WASM = /not supported by the wasm backend: use --backend=appliance/;

/** One launched handle that runs fish scripts one after another, capturing each one's output. */
class SharedFish {
  private chunks: Buffer[] = [];
  private errChunks: Buffer[] = [];
  readonly g: Guestfs;
  private readonly shell: FishShell;

  constructor(backend: BackendName) {
    const out = new PassThrough(), err = new PassThrough();
    out.on('data', (c: Buffer) => this.chunks.push(Buffer.from(c)));
    err.on('data', (c: Buffer) => this.errChunks.push(Buffer.from(c)));
    this.g = new Guestfs({ backend, stdout: out });
    this.shell = new FishShell(this.g, { out, err });
  }

  async run(script: string): Promise<FishResult> {
    this.chunks = [];
    this.errChunks = [];
    const status = await this.shell.runScript(script);
    await new Promise((r) => setImmediate(r));
    return { status, out: Buffer.concat(this.chunks).toString('utf8'), err: Buffer.concat(this.errChunks).toString('utf8') };
  }
}

function host(cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const struct = (fields: Record<string, number | string>) =>
  `{\n${Object.entries(fields).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n}`;
const partList = (parts: [number, number, number][]) =>
  parts.map(([n, start, end], i) => `[${i}] = ${struct({ part_num: n, part_start: start * 512, part_end: (end + 1) * 512 - 1, part_size: (end - start + 1) * 512 })}`).join('\n');

describe.each(BACKENDS)('scenarios on the %s backend', (backend) => {
  /** On wasm: each appliance-only command fails with the one-line not-supported error. */
  async function expectNotOnWasm(commands: string[]): Promise<void> {
    const r = await fish.run(commands.map((c) => `-${c}`).join('\n'));
    expect(r.err.split('\n').filter(Boolean)).toEqual(
      commands.map((c) => `guestkit: error: ${c.split(' ')[0]}: not supported by the wasm backend: use --backend=appliance`),
    );
  }

  let tmp: ReturnType<typeof scratch>;
  let disks: ScenarioDisks;
  let fish: SharedFish;
  const qcowSha = sha256(fixture('debian.qcow2'));

  beforeAll(async () => {
    tmp = scratch();
    disks = await makeScenarioDisks(tmp.dir);
    fish = new SharedFish(backend);
    const r = await fish.run(`
add ${disks.ext4} format:raw
add-ro ${fixture('debian.qcow2')}
add ${disks.ntfs} format:raw
add ${disks.fat} format:raw
add ${disks.lvm} format:raw
add ${disks.blank} format:raw
run
`);
    expect(r.err).toBe('');
  }, 180_000);
  afterAll(async () => {
    await fish?.g.close();
    tmp?.cleanup();
  });

  it('lists devices, partitions, filesystems and LVM', async () => {
    const r = await fish.run(`
list-devices
list-partitions
list-filesystems
vfs-type /dev/sdb2
vfs-label /dev/sdb2
vfs-uuid /dev/sdb1
blockdev-getsize64 /dev/sdb1
pvs
vgs
lvs
vfs-label /dev/sdc
vfs-uuid /dev/sdd
part-get-parttype /dev/sdb
part-list /dev/sdb
part-get-name /dev/sdb 2
part-get-gpt-type /dev/sdb 1
part-to-dev /dev/sde2
part-to-partnum /dev/sde2
`);
    expect(r.err).toBe('');
    expect(r.out).toBe([
      '/dev/sda', '/dev/sdb', '/dev/sdc', '/dev/sdd', '/dev/sde', '/dev/sdf',
      '/dev/sdb1', '/dev/sdb2', '/dev/sde1', '/dev/sde2',
      '/dev/sda: ext4', '/dev/sdc: ntfs', '/dev/sdd: vfat', '/dev/sdf: unknown', '/dev/sdb1: ext2', '/dev/sdb2: ext4',
      '/dev/sde1: unknown', '/dev/fedora/root: ext4', '/dev/fedora/swap: unknown',
      'ext4', 'root', '33333333-0000-0000-0000-000000000001', String(16384 * 512),
      '/dev/sde2', 'fedora', '/dev/fedora/root', '/dev/fedora/swap',
      'WinDisk', '1234-5678',
      'gpt', partList([[1, 2048, 18431], [2, 18432, 67583]]), 'root', '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
      '/dev/sde', '2', '',
    ].join('\n'));
    expect(r.status).toBe(0);
  });

  it('reports LVM in detail and mounts an LV by either name', async () => {
    const r = await fish.run(`
mount-ro /dev/mapper/fedora-root /
cat /etc/hostname
mounts
umount-all
mount-ro /dev/fedora/root /
vfs-label /dev/fedora/root
umount-all
lvs-full
`);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^fedora-guest\n\n\/dev\/mapper\/fedora-root\nlvroot\n\[0\] = \{\n  lv_name: root\n  lv_uuid: \w{32}\n/);
    expect(r.out).toMatch(/\n  lv_size: 16777216\n  seg_count: 1\n/);
    expect(r.out).toMatch(/\n\[1\] = \{\n  lv_name: swap\n/);
  });

  it('reads files, stats and checksums', async () => {
    const r = await fish.run(`
mount-ro /dev/sda /
cat /etc/hostname
head-n 2 /home/user/docs/numbers.txt
tail-n 1 /home/user/docs/numbers.txt
is-file /etc/hostname
is-dir /etc/hostname
is-symlink /home/user/link-relative
exists /nope
readlink /home/user/link-absolute
checksum sha256 /etc/hostname
find /deep/a/b/c/d
echo done "with quotes" 'and single'
umount-all
`);
    expect(r.err).toBe('');
    expect(r.out).toBe([
      'guestkit-test', '', '1', '2', '400000', 'true', 'false', 'true', 'false', '/etc/hostname',
      // printf 'guestkit-test\n' | sha256sum
      'a4852b52c82c708856b9aae7574d0b528226de3af9ba9a160c3ba50f5d04cc0c', '/e', '/e/f', '/e/f/g', '/e/f/g/leaf.txt',
      'done with quotes and single', '',
    ].join('\n'));
    expect(r.status).toBe(0);
  });

  it('stops at the first error unless the command starts with -', async () => {
    const r = await fish.run(`
mount-ro /dev/sda /
-cat /nope
echo after ignored error
cat /nope
echo never printed
`);
    expect(r.out).toBe('after ignored error\n');
    expect(r.err).toBe('guestkit: error: cat: /nope: No such file or directory\nguestkit: error: cat: /nope: No such file or directory\n');
    expect(r.status).toBe(1);
    await fish.run('umount-all');
  });

  it('writes with fish syntax (octal, hex, quoting) and leaves e2fsck clean', async () => {
    const r = await fish.run(`
mount /dev/sda /
write /new "line one\\nline two\\n"
write-append /new "three\\n"
chmod 0600 /new
mkdir-p /a/b/c
touch /a/b/c/empty
chmod 0x1ed /a/b/c/empty
ln-s /new /a/link
cp /new /a/b/copy
mv /a/b/copy /a/moved
ln /a/moved /a/hard
chown 1000 100 /a/hard
rm-rf /deep
cat /a/link
ll /a/b/c
statns /a/b/c/empty
lstatns /a/hard
umount-all
`);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^line one\nline two\nthree\n\ntotal \d+\n/);
    expect(r.out).toMatch(/\n-rwxr-xr-x 1 0 0    0 \w{3} [ \d]\d \d\d:\d\d empty\n/);
    expect(r.out).toMatch(/\nst_mode: 33261\n/);
    expect(r.out).toMatch(/\nst_nlink: 2\nst_uid: 1000\nst_gid: 100\n/);
    expect(e2fsck(disks.ext4).status).toBe(0);
  });

  it('uploads a Windows hive and edits it with hivex', async () => {
    const r = await fish.run(`
mount /dev/sda /
mkdir-p /Windows/System32/config
upload ${disks.hive} /Windows/System32/config/SOFTWARE
hivex-open /Windows/System32/config/SOFTWARE write:true
hivex-root
hivex-node-name 4128
hivex-node-get-child 4128 microsoft
hivex-node-add-child 4128 Guestkit
hivex-commit NULL
hivex-close
download /Windows/System32/config/SOFTWARE ${join(tmp.dir, 'SOFTWARE.out')}
umount-all
`);
    expect(r.err).toBe('');
    expect(r.out).toBe('4128\nROOT\n4368\n9752\n');
    const h = Hive.open(readFileSync(join(tmp.dir, 'SOFTWARE.out')));
    expect(h.nodeAt('Guestkit')).toBeTruthy();
    expect(h.nodeAt('Microsoft\\Windows NT\\CurrentVersion')).toBeTruthy();
    expect(e2fsck(disks.ext4).status).toBe(0);
  });

  it('edits configuration with augeas on a read-only drive (the write stays in the overlay)', async () => {
    const r = await fish.run(`
mount /dev/sdb2 /
aug-init / 0
aug-get /files/etc/hostname/hostname
aug-match /files/etc/passwd/*
aug-get /files/etc/passwd/user/home
aug-set /files/etc/hostname/hostname changed
aug-save
aug-close
cat /etc/hostname
umount-all
`);
    expect(r.err).toBe('');
    expect(r.out).toBe('debian-guest\n/files/etc/passwd/root\n/files/etc/passwd/user\n/home/user\nchanged\n\n');
    expect(sha256(fixture('debian.qcow2'))).toBe(qcowSha);
  });

  it('reads and writes NTFS; ntfsfix and ntfscat agree', async () => {
    const r = await fish.run(`
mount /dev/sdc /
ls /
cat /Hello.TXT
mkdir /Docs
write /Docs/New.txt "from guestkit\\n"
ls /Docs
umount-all
`);
    expect(r.err).toBe('');
    expect(r.out).toBe('Hello.TXT\nhello ntfs\r\n\nNew.txt\n');
    expect(host('ntfsfix', ['-n', disks.ntfs]).status).toBe(0);
    expect(host('ntfscat', [disks.ntfs, 'Docs/New.txt']).out).toBe('from guestkit\n');
  });

  it('reads and writes FAT; fsck.vfat and mtools agree', async () => {
    const r = await fish.run(`
mount /dev/sdd /
find /
cat /EFI/debian/grubx64.efi
write /EFI/debian/grub.cfg "set timeout=1\\n"
ls /EFI/debian
umount-all
`);
    expect(r.err).toBe('');
    expect(r.out).toBe('EFI\nEFI/debian\nEFI/debian/grubx64.efi\ngrub\n\ngrub.cfg\ngrubx64.efi\n');
    expect(host('fsck.vfat', ['-n', disks.fat]).status).toBe(0);
    expect(host('mtype', ['-i', disks.fat, '::/EFI/debian/grub.cfg']).out).toBe('set timeout=1\n');
  });

  it('writes partition tables that sfdisk and sgdisk accept', async () => {
    const r = await fish.run(`
part-init /dev/sdf gpt
part-add /dev/sdf p 2048 40959
part-add /dev/sdf p 40960 -2048
part-list /dev/sdf
part-get-parttype /dev/sdf
part-get-name /dev/sdf 2
part-get-gpt-type /dev/sdf 1
-part-add /dev/sdf p 100 4000
-part-add /dev/sdf p 20 100
-part-add /dev/sdf l 50000 60000
-part-init /dev/sdf sun
-part-init /dev/sdf1 gpt
`);
    expect(r.out).toBe([
      partList([[1, 2048, 40959], [2, 40960, 129024]]), 'gpt', 'primary', '0FC63DAF-8483-4772-8E79-3D69D8477DE4', '',
    ].join('\n'));
    expect(r.err.split('\n')).toEqual([
      'guestkit: error: part-add: 100-4000: overlaps an existing partition',
      'guestkit: error: part-add: 20-100: outside the usable sectors 34-131038 of the GPT',
      'guestkit: error: part-add: logical partitions need an msdos partition table',
      'guestkit: error: part-init: sun: unknown or unsupported partition table type (use msdos or gpt)',
      'guestkit: error: part-init: /dev/sdf1: not a whole device (a partition)',
      '',
    ]);
    const v = host('sgdisk', ['-v', disks.blank]);
    expect(v.out).toMatch(/No problems found/);
    expect(host('sfdisk', ['-d', disks.blank]).out).toMatch(/label: gpt\n[^]*first-lba: 34\nlast-lba: 131038\n[^]*blank.img1 : start=\s*2048, size=\s*38912, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=[\w-]+, name="primary"\n.*blank.img2 : start=\s*40960, size=\s*88065,/);

    const m = await fish.run(`
part-init /dev/sdf msdos
part-add /dev/sdf p 2048 20479
part-add /dev/sdf e 20480 -1
part-add /dev/sdf l 22528 40959
part-add /dev/sdf l 43008 -1
part-list /dev/sdf
part-get-mbr-id /dev/sdf 2
list-partitions
`);
    expect(m.err).toBe('');
    expect(m.out).toBe([
      partList([[1, 2048, 20479], [2, 20480, 131071], [5, 22528, 40959], [6, 43008, 131071]]), '0xf',
      '/dev/sdb1', '/dev/sdb2', '/dev/sde1', '/dev/sde2', '/dev/sdf1', '/dev/sdf2', '/dev/sdf5', '/dev/sdf6', '',
    ].join('\n'));
    expect(host('sfdisk', ['-d', disks.blank]).out).toMatch(
      /label: dos\n[^]*img1 : start=\s*2048, size=\s*18432, type=83\n.*img2 : start=\s*20480, size=\s*110592, type=f\n.*img5 : start=\s*22528, size=\s*18432, type=83\n.*img6 : start=\s*43008, size=\s*88064, type=83\n/,
    );

    const d = await fish.run('part-disk /dev/sdf gpt\npart-list /dev/sdf\npart-get-name /dev/sdf 1\n');
    expect(d.err).toBe('');
    expect(d.out).toBe(`${partList([[1, 128, 130944]])}\np1\n`);
    expect(host('sgdisk', ['-v', disks.blank]).out).toMatch(/No problems found/);
  });

  it('makes a filesystem, then mounts it; blkid describes it', async () => {
    if (backend === 'wasm') return expectNotOnWasm(['mkfs ext4 /dev/sdf1', 'blkid /dev/sdf1']);
    const r = await fish.run(`
mkfs ext4 /dev/sdf1 label:scratch blocksize:1024
blkid /dev/sdf1
mount /dev/sdf1 /
write /hello "made by mkfs\\n"
cat /hello
umount-all
`);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^DEVNAME: \/dev\/sdf1\nLABEL: scratch\nUUID: [\w-]{36}\nVERSION: 1.0\nBLOCK_SIZE: 1024\nTYPE: ext4\nUSAGE: filesystem\n/);
    expect(r.out).toMatch(/\nPART_ENTRY_SCHEME: gpt\nPART_ENTRY_NAME: p1\n[^]*PART_ENTRY_NUMBER: 1\nPART_ENTRY_OFFSET: 128\nPART_ENTRY_SIZE: 130817\nPART_ENTRY_DISK: 8:80\nmade by mkfs\n\n$/);
    expect(e2fsck(disks.blank, 128 * 512).status).toBe(0);
  });

  it('packs a directory with tar-out and unpacks it with tar-in (in process on wasm)', async () => {
    const out = join(tmp.dir, 'etc.tar');
    const gz = join(tmp.dir, 'etc.tar.gz');
    // wasm packs and unpacks in process; it cannot mkfs the blank disk, so it unpacks into the ext4 scratch disk.
    const target = backend === 'wasm' ? '/dev/sda' : '/dev/sdf1';
    const r = await fish.run(`
mount-ro /dev/sdb2 /
tar-out /etc ${out}
tar-out /etc ${gz} compress:gzip
umount-all
mount ${target} /
mkdir /restored
tar-in ${out} /restored
cat /restored/hostname
mkdir /restored-gz
tar-in ${gz} /restored-gz compress:gzip
find /restored-gz
umount-all
`);
    expect(r.err).toBe('');
    const listed = execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    expect(listed).toContain('./hostname');
    expect(execFileSync('tar', ['-tzf', gz], { encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual(listed);
    const names = listed.filter((n) => n !== './').map((n) => n.replace(/^\./, '').replace(/\/$/, ''));
    expect(r.out).toBe(`changed\n\n${names.join('\n')}\n`); // augeas changed it above, in the overlay
    expect((backend === 'wasm' ? e2fsck(disks.ext4) : e2fsck(disks.blank, 128 * 512)).status).toBe(0);
  });

  it('runs guest programs with command-lines and sh-lines in a chroot', async () => {
    if (backend === 'wasm') return expectNotOnWasm(['command-lines /bin/true', 'sh-lines true', 'command /bin/true', 'sh true']);
    // The guest needs a shell: give it a static busybox, the one the appliance uses
    // (the host's own when it is static, else the cached busybox-static).
    const busybox = staticBusybox();
    expect(busybox && existsSync(busybox)).toBeTruthy();
    const r = await fish.run(`
mount /dev/sdf1 /
mkdir-p /bin
upload ${busybox} /bin/busybox
chmod 0755 /bin/busybox
ln-s busybox /bin/sh
command-lines "/bin/busybox echo one two"
sh-lines "echo a; echo b; /bin/busybox printf 'c\\\\n'"
sh "/bin/busybox uname -s"
command-lines "/bin/busybox true"
umount-all
`);
    expect(r.err).toBe('');
    expect(r.out).toBe('one two\na\nb\nc\nLinux\n\n');
  });

  it('makes vfat and ntfs filesystems that mount and take writes', async () => {
    if (backend === 'wasm') return expectNotOnWasm(['mkfs vfat /dev/sdf1']);
    const r = await fish.run(`
mkfs vfat /dev/sdf1 label:ESP2
vfs-type /dev/sdf1
vfs-label /dev/sdf1
mount /dev/sdf1 /
write /A.TXT "fat\\n"
ls /
umount-all
mkfs ntfs /dev/sdf1 label:Data
vfs-type /dev/sdf1
vfs-label /dev/sdf1
mount /dev/sdf1 /
write /B.txt "ntfs\\n"
cat /B.txt
umount-all
-mkfs ext4 /dev/sdf1 features:bogus_feature
-mkfs reiser4 /dev/sdf1
`);
    expect(r.out).toBe('vfat\nESP2\nA.TXT\nntfs\nData\nntfs\n\n');
    const errs = r.err.split('\n').filter(Boolean);
    expect(errs).toHaveLength(2);
    expect(errs[0]).toMatch(/^guestkit: error: mkfs: .*bogus_feature/);
    expect(errs[1]).toBe('guestkit: error: mkfs: reiser4: unsupported filesystem type (supported: ext2, ext3, ext4, xfs, btrfs, vfat, msdos, ntfs)');
  });

  it('prints df and df-h as the appliance sees the mounts', async () => {
    if (backend === 'wasm') return expectNotOnWasm(['df', 'df-h']);
    const r = await fish.run('mount-ro /dev/sdb2 /\ndf\ndf-h\numount-all\n');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^Filesystem\s+1K-blocks\s+Used\s+Available\s+Use% Mounted on\n/);
    expect(r.out).toMatch(/\n\/dev\/sdb2\s+\d+\s+\d+\s+\d+\s+\d+% \/sysroot\n/);
    // The appliance's own tools disk (mounted on /usr) is not one of the user's.
    expect(r.out).not.toMatch(/ \/usr\n/);
    expect(r.out).toMatch(/\nFilesystem\s+Size\s+Used\s+Avail\s+Use% Mounted on\n[^]*\n\/dev\/sdb2\s+\d+(\.\d)?M\s+[\d.]+[KM]?\s+[\d.]+M\s+\d+% \/sysroot\n/);
  });

  it('never writes the read-only drive (augeas and tar wrote to it above)', async () => {
    await fish.g.close();
    expect(sha256(fixture('debian.qcow2'))).toBe(qcowSha);
  });

  it('refuses commands before run, with the reason', async () => {
    const r = await runFish(backend, `add-ro ${fixture('ext4.img')}\ncat /etc/hostname\n`);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^guestkit: error: cat: call 'launch' \(or 'run'\) before this command\n$/);
  });
}, 300_000);
