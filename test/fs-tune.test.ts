/**
 * Filesystem administration on the appliance (e2fsck, fsck, resize2fs*, tune2fs*,
 * labels and UUIDs, mke2fs, mkswap*, swapon/swapoff*, zerofree, filesystem-available,
 * vfs-minimum-size, ntfsfix, ntfsresize, ntfs-3g-probe, mkfs-btrfs): one boot runs the scripts guestfish 1.48 ran once
 * (test/golden/fs-tune/) and must print what it printed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haveQemu } from './helpers/backends.js';
import { runFish } from './helpers/fish-run.js';
import { fixture, scratch } from './helpers/fixtures.js';

const GOLDEN = join(__dirname, 'golden', 'fs-tune');

const PIPE = /^(.*) \| grep(?: -E)? "(.*)"$/;

/**
 * The script uses guestfish's "CMD | grep RE" (output through a host command), which
 * guestkit's shell does not offer: each such line runs bare between markers and the
 * test applies the (ERE) filter to its output.
 */
function unpipe(script: string): { script: string; filter: (out: string) => string } {
  const filters: RegExp[] = [];
  const lines = script.split('\n').map((l) => {
    const m = PIPE.exec(l);
    if (!m) return l;
    filters.push(new RegExp(m[2]!));
    return `echo @@${filters.length - 1}\n${m[1]}\necho @@end`;
  });
  const filter = (out: string) => out.replace(/@@(\d+)\n([^]*?)@@end\n/g, (_, i: string, body: string) =>
    body.split('\n').filter((x) => x !== '' && filters[Number(i)]!.test(x)).map((x) => `${x}\n`).join(''));
  return { script: lines.join('\n'), filter };
}

/** Partition edits on the appliance (test/part-edit.test.ts covers them against guestfish on wasm). */
const PART_EDITS = `part-init /dev/sdf gpt
part-add /dev/sdf p 2048 4095
part-add /dev/sdf p 4096 8191
part-add /dev/sdf p 8192 16383
part-set-name /dev/sdf 1 boot
part-set-gpt-attributes /dev/sdf 1 4
part-set-bootable /dev/sdf 2 true
part-del /dev/sdf 3
part-resize /dev/sdf 2 -2048
part-set-disk-guid /dev/sdf 01234567-89AB-CDEF-0123-456789ABCDEF
part-get-name /dev/sdf 1
part-get-gpt-attributes /dev/sdf 1
part-get-bootable /dev/sdf 2
part-get-disk-guid /dev/sdf
part-get-mbr-part-type /dev/sdf 2
list-partitions
blockdev-getsize64 /dev/sdf2
`;
const PART_EDITS_OUT = ['boot', '4', 'true', '01234567-89AB-CDEF-0123-456789ABCDEF', 'primary',
  '/dev/sda1', '/dev/sda2', '/dev/sda3', '/dev/sdb1', '/dev/sdb2', '/dev/sdd1', '/dev/sdd2', '/dev/sdf1', '/dev/sdf2',
  String((819200 - 2048 - 4096 + 1) * 512), ''].join('\n');

describe.skipIf(!haveQemu)('filesystem administration (appliance)', () => {
  const tmp = scratch();
  afterAll(() => tmp.cleanup());

  it('prints what guestfish printed for the same script', async () => {
    const disk = join(tmp.dir, 'a.img');
    writeFileSync(disk, '');
    truncateSync(disk, 64 * 1024 * 1024);
    // A second disk for the NTFS/btrfs script (captured on /dev/sda): one boot serves both.
    const disk2 = join(tmp.dir, 'b.img');
    writeFileSync(disk2, '');
    truncateSync(disk2, 320 * 1024 * 1024);
    const { script, filter } = unpipe(readFileSync(join(GOLDEN, 'script.gf'), 'utf8'));
    const script2 = readFileSync(join(GOLDEN, 'script-ntfs-btrfs.gf'), 'utf8').replace(/\/dev\/sda/g, '/dev/sdb');
    // The compat script (stat, findfs, mke2journal*, tgz-in, ...) ran on extra.img and a blank disk as sda, sdb.
    const extra = join(tmp.dir, 'x.img');
    copyFileSync(fixture('extra.img'), extra);
    const disk4 = join(tmp.dir, 'd.img');
    writeFileSync(disk4, '');
    truncateSync(disk4, 128 * 1024 * 1024);
    const t = join(tmp.dir, 't');
    mkdirSync(join(t, 'sub'), { recursive: true });
    writeFileSync(join(t, 'sub/f'), 'hi\n');
    execFileSync('tar', ['-C', t, '-czf', join(tmp.dir, 'in.tgz'), '.']);
    execFileSync('tar', ['-C', t, '-cJf', join(tmp.dir, 'in.txz'), '.']);
    const sdX = (text: string) => text.replace(/\/dev\/sda/g, '/dev/sdc').replace(/\/dev\/sdb/g, '/dev/sdd');
    const script3 = sdX(readFileSync(join(GOLDEN, 'script-compat.gf'), 'utf8')).replace(/^(t[gx]z-in) (in\.t[gx]z)/gm, `$1 ${tmp.dir}/$2`);
    // fstrim, mklost-and-found, xfs-repair, list-md-devices: captured on ext4.img and a blank disk as sda, sdb.
    const ext4 = join(tmp.dir, 'e.img');
    copyFileSync(fixture('ext4.img'), ext4);
    const disk6 = join(tmp.dir, 'f.img');
    writeFileSync(disk6, '');
    truncateSync(disk6, 400 * 1024 * 1024);
    const sdEF = (text: string) => text.replace(/\/dev\/sda/g, '/dev/sde').replace(/\/dev\/sdb/g, '/dev/sdf');
    const script4 = sdEF(readFileSync(join(GOLDEN, 'script-extra.gf'), 'utf8'));
    const r = await runFish('appliance', `add-drive ${disk} format:raw\nadd-drive ${disk2} format:raw
add-drive ${extra} format:raw\nadd-drive ${disk4} format:raw\nadd-drive ${ext4} format:raw\nadd-drive ${disk6} format:raw
run\n${script}\necho @@split\n${script2}\necho @@split\n${script3}\necho @@split\n${script4}\necho @@split\n${PART_EDITS}`);
    const [out1, out2, out3, out4, out5] = r.out.split('@@split\n');
    // The partition editor through the agent, then the appliance kernel's view of the new table.
    expect(out5).toBe(PART_EDITS_OUT);
    expect(spawnSync('sgdisk', ['-v', disk6], { encoding: 'utf8' }).stdout).toMatch(/No problems found/);
    expect(out4).toBe(readFileSync(join(GOLDEN, 'guestfish-extra.out'), 'utf8'));
    // st_dev depends on where the disk sits (sda there, sdc here) and on the backend's numbering.
    const noDev = (text: string) => text.replace(/^(\s*dev: )\d+$/gm, '$1N');
    expect(noDev(out3!)).toBe(noDev(sdX(readFileSync(join(GOLDEN, 'guestfish-compat.out'), 'utf8'))));
    expect(filter(out1!)).toBe(readFileSync(join(GOLDEN, 'guestfish.out'), 'utf8'));
    expect(out2).toBe(readFileSync(join(GOLDEN, 'guestfish-ntfs-btrfs.out'), 'utf8'));
    // guestfish.err holds libguestfs's messages; ours carry the same program's words where it has them.
    const err = r.err.split('\n');
    expect(err[0]).toMatch(/^guestkit: error: e2fsck: .*need terminal for interactive repairs$/);
    expect(err.slice(1)).toEqual([
      expect.stringMatching(/^guestkit: error: set-e2label: .*Bad magic number in super-block while trying to open \/dev\/sda3/),
      "guestkit: error: e2fsck: only one of the options 'correct', 'forceall' may be specified",
      expect.stringMatching(/^guestkit: error: tune2fs-l: .*Bad magic number in super-block while trying to open \/dev\/sda3/),
      'guestkit: error: set-uuid: nonsense: not a valid UUID',
      'guestkit: error: resize2fs-size: 1000000000: size must be a round number of kilobytes',
      expect.stringMatching(/^guestkit: error: mkswap: .*parsing UUID failed/),
      expect.stringMatching(/^guestkit: error: swapon-label: .*cannot find the device for nosuch/),
      expect.stringMatching(/^guestkit: error: zerofree: .*failed to open filesystem \/dev\/sda3/),
      "guestkit: error: vfs-minimum-size: don't know how to get minimum size of 'swap' filesystems",
      expect.stringMatching(/^guestkit: error: ntfsresize: .*ERROR: Volume is scheduled for check\.; Run chkdsk \/f and please try again, or see option -f\.$/),
      'guestkit: error: mkfs-btrfs: metadata not one of the allowed values',
      expect.stringMatching(/^guestkit: error: ntfsfix: .*NTFS signature is missing\..*Volume is corrupt\. You should run chkdsk\.$/),
      expect.stringMatching(/^guestkit: error: ntfsresize: .*The device '\/dev\/sdb2' doesn't have a valid NTFS\./),
      'guestkit: error: mkfs-btrfs: datatype not one of the allowed values',
      'guestkit: error: mkfs-btrfs: nodesize must be > 0 and a power of two',
      'guestkit: error: mkfs-btrfs: list of devices must be non-empty',
      "guestkit: error: findfs-label: findfs: unable to resolve 'LABEL=nosuch'",
      "guestkit: error: findfs-uuid: findfs: unable to resolve 'UUID=00000000-0000-0000-0000-000000000000'",
      // With nothing mounted libguestfs says "call 'mount' first"; guestkit's statns answers for the empty root.
      'guestkit: error: stat: statns: /nonexistent: No such file or directory',
      expect.stringMatching(/^guestkit: error: mke2journal: .*invalid block size - 1000/),
      expect.stringMatching(/^guestkit: error: mkfs-b: .*1000.*power of 2/),
      "guestkit: error: zero-free-space: you must call 'mount' first to mount the root filesystem",
      "guestkit: error: mklost-and-found: you must call 'mount' first to mount the root filesystem",
      '',
    ]);
    // The image is left consistent: e2fsck on the host finds the ext4 clean.
    const fsck = spawnSync('e2fsck', ['-fn', `${disk}?offset=${2048 * 512}`], { encoding: 'utf8' });
    expect(fsck.status).toBe(0);
  }, 120_000);
});
