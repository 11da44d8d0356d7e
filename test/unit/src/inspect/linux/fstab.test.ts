/** fstab lines → (mountable, mountpoint) through the DeviceIndex, as libguestfs resolves them. */
import { describe, expect, it } from 'vitest';
import { makeDeviceIndex } from '../../../../../src/inspect/device-index.js';
import { guestReader, type CallFn } from '../../../../../src/inspect/guest-reader.js';
import { canonicalPath, parseFstab, resolveFstab } from '../../../../../src/inspect/linux/fstab.js';

const dev = makeDeviceIndex(
  [
    { device: '/dev/sda1', type: 'vfat', uuid: '1234-ABCD', label: 'EFI' },
    { device: '/dev/sda2', type: 'ext4', uuid: 'aaaaaaaa-0000-0000-0000-000000000002', label: 'root' },
    { device: '/dev/sda3', type: 'btrfs', uuid: 'bbbbbbbb-0000-0000-0000-000000000003', label: 'data' },
    { device: '/dev/vg0/home', type: 'xfs', uuid: 'cccccccc-0000-0000-0000-000000000004', label: '' },
    { device: '/dev/vg--x/lv--y', type: 'swap', uuid: 'dddddddd-0000-0000-0000-000000000005', label: '' },
  ],
  ['/dev/sda'],
  ['/dev/sda1', '/dev/sda2', '/dev/sda3', '/dev/sda4'],
  ['/dev/vg0/home', '/dev/vg--x/lv--y'],
);
// GPT names and GUIDs of the partitions, for PARTUUID= and PARTLABEL=.
const gpt: Record<number, [string, string]> = { 1: ['EFI System', '6A1B2C3D-0000-4000-8000-000000000001'], 4: ['srv', '6A1B2C3D-0000-4000-8000-000000000004'] };
const call: CallFn = async (name, args) => {
  const part = String(args[0]);
  if (name === 'part-to-dev') return '/dev/sda';
  if (name === 'part-to-partnum') return Number(part.slice(-1));
  const entry = gpt[Number(args[1])];
  if (!entry) throw new Error('not GPT');
  return name === 'part-get-name' ? entry[0] : entry[1];
};

async function resolve(text: string, root = '/dev/sda2') {
  const warnings: string[] = [];
  const r = guestReader(call, (m) => warnings.push(m));
  const entries = await resolveFstab(parseFstab(text, r.warn), { root, dev, r });
  return { entries, warnings };
}

describe('fstab', () => {
  it('canonicalises mountpoints', () => {
    expect(canonicalPath('///usr//local//')).toBe('/usr/local');
    expect(canonicalPath('none')).toBe('none');
  });

  it('resolves UUID=, LABEL=, PARTUUID=, PARTLABEL=, /dev/mapper, /dev/VG/LV and guest disk names', async () => {
    const { entries, warnings } = await resolve(`# comment
UUID=aaaaaaaa-0000-0000-0000-000000000002 / ext4 errors=remount-ro 0 1
LABEL="EFI" /boot/efi vfat umask=0077 0 1
/dev/mapper/vg0-home /home xfs defaults 0 2
/dev/mapper/vg----x-lv----y none swap sw 0 0
PARTUUID=6a1b2c3d-0000-4000-8000-000000000004 /srv ext4 defaults 0 2
PARTLABEL=srv /srv2 ext4 defaults 0 2
/dev/vda1 //mnt//efi2/ vfat defaults 0 0
/dev/vg0/home /home2 xfs defaults 0 0
/dev/root /again-root ext4 defaults 0 0
`);
    expect(entries).toEqual([
      ['/dev/sda2', '/'],
      ['/dev/sda1', '/boot/efi'],
      ['/dev/vg0/home', '/home'],
      ['/dev/vg--x/lv--y', 'none'],
      ['/dev/sda4', '/srv'],
      ['/dev/sda4', '/srv2'],
      ['/dev/sda1', '/mnt/efi2'],
      ['/dev/vg0/home', '/home2'],
      ['/dev/sda2', '/again-root'],
    ]);
    expect(warnings).toEqual([]);
  });

  it('turns btrfs subvol= into btrfsvol:DEV/SUBVOL', async () => {
    const { entries } = await resolve('UUID=bbbbbbbb-0000-0000-0000-000000000003 / btrfs subvol=root,compress=zstd:1 0 0\nLABEL=data /var btrfs defaults,subvol=/@var 0 0\nLABEL=data /data btrfs defaults 0 0\n');
    expect(entries).toEqual([['btrfsvol:/dev/sda3/root', '/'], ['btrfsvol:/dev/sda3//@var', '/var'], ['/dev/sda3', '/data']]);
  });

  it('drops pseudo filesystems, removable media and system mountpoints', async () => {
    const { entries, warnings } = await resolve(`proc /proc proc defaults 0 0
tmpfs /tmp tmpfs defaults 0 0
/dev/fd0 /mnt/floppy auto noauto 0 0
/dev/cdrom /mnt/cd iso9660 noauto 0 0
/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0
/dev/sda2 /sys/kernel/x ext4 defaults 0 0
devpts /dev/pts devpts gid=5 0 0
/.swap swap swap defaults 0 0
`);
    expect(entries).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('skips lines naming devices that are not there, and malformed lines, with a warning', async () => {
    const { entries, warnings } = await resolve('UUID=ffffffff-dead / ext4 defaults 0 1\n/dev/sda2 / ext4 defaults 0 1\nLABEL=nope /x ext4 defaults 0 0\n/dev/vdz9 /y ext4 defaults 0 0\nbroken-line-with-two fields\n');
    expect(entries).toEqual([['/dev/sda2', '/']]);
    expect(warnings).toHaveLength(4);
    expect(warnings.join('\n')).toMatch(/fstab:1: UUID=ffffffff-dead \(\/\) does not match any device/);
    expect(warnings.join('\n')).toMatch(/fstab:5: cannot parse/);
  });

  it('keeps only the first of several root lines, first', async () => {
    const { entries, warnings } = await resolve('LABEL=EFI /boot/efi vfat defaults 0 0\n/dev/sda2 / ext4 defaults 0 1\n/dev/sda3 / btrfs defaults 0 1\n');
    expect(entries).toEqual([['/dev/sda2', '/'], ['/dev/sda1', '/boot/efi']]);
    expect(warnings.join('\n')).toMatch(/several different root filesystems/);
  });
});
