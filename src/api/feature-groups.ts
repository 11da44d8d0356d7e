/**
 * libguestfs's optional feature groups (available, feature-available): the
 * commands of each group guestkit may have and the appliance programs they run.
 * A group is available on a backend when guestkit has at least one of its
 * commands for that backend and, on the appliance, every program is there.
 */
export interface FeatureGroup {
  readonly commands: readonly string[];
  /** Programs the appliance must have (looked up with `command -v`). */
  readonly programs: readonly string[];
}

export const FEATURE_GROUPS: Readonly<Record<string, FeatureGroup>> = {
  acl: { commands: ['acl-get-file', 'acl-set-file', 'acl-delete-def-file'], programs: ['getfacl'] },
  augeas: { commands: ['aug-init', 'aug-get', 'aug-set', 'aug-save'], programs: [] },
  blkdiscard: { commands: ['blkdiscard'], programs: ['blkdiscard'] },
  blkdiscardzeroes: { commands: ['blkdiscardzeroes'], programs: ['blockdev'] },
  btrfs: { commands: ['mkfs-btrfs', 'btrfs-subvolume-create', 'btrfs-subvolume-list', 'btrfs-filesystem-sync', 'btrfs-filesystem-show', 'btrfs-image', 'btrfstune-seeding'], programs: ['btrfs', 'btrfs-image', 'btrfstune'] },
  extlinux: { commands: ['extlinux'], programs: ['extlinux'] },
  f2fs: { commands: ['f2fs-expand'], programs: ['resize.f2fs'] },
  fstrim: { commands: ['fstrim'], programs: ['fstrim'] },
  gdisk: { commands: ['part-get-gpt-type', 'part-set-gpt-type', 'part-get-gpt-guid', 'part-set-gpt-guid', 'part-get-disk-guid', 'part-expand-gpt'], programs: [] },
  grub: { commands: ['grub-install'], programs: ['grub-install'] },
  hivex: { commands: ['hivex-open', 'hivex-root', 'hivex-commit'], programs: [] },
  inotify: { commands: ['inotify-init', 'inotify-read'], programs: [] },
  journal: { commands: ['journal-open', 'journal-next'], programs: [] },
  ldm: { commands: ['ldmtool-scan', 'ldmtool-create-all', 'list-ldm-volumes'], programs: ['ldmtool'] },
  libtsk: { commands: ['filesystem-walk', 'find-inode'], programs: [] },
  libyara: { commands: ['yara-load', 'yara-scan'], programs: [] },
  linuxcaps: { commands: ['cap-get-file', 'cap-set-file'], programs: ['getcap'] },
  linuxfsuuid: { commands: ['mke2fs-JU', 'mkswap-U', 'swapon-uuid', 'swapoff-uuid'], programs: ['mkswap'] },
  linuxmodules: { commands: ['modprobe'], programs: [] },
  linuxxattrs: { commands: ['getxattrs', 'lgetxattrs', 'setxattr', 'lsetxattr', 'removexattr', 'lremovexattr', 'lxattrlist'], programs: [] },
  luks: { commands: ['cryptsetup-open', 'cryptsetup-close', 'luks-format', 'luks-format-cipher', 'luks-add-key', 'luks-kill-slot', 'luks-uuid'], programs: ['cryptsetup'] },
  lvm2: { commands: ['pvcreate', 'vgcreate', 'lvcreate', 'lvremove', 'lvm-remove-all'], programs: ['lvm'] },
  mdadm: { commands: ['md-create', 'md-detail', 'md-stat', 'md-stop'], programs: ['mdadm'] },
  mknod: { commands: ['mknod', 'mkfifo', 'mknod-b', 'mknod-c'], programs: [] },
  ntfs3g: { commands: ['ntfs-3g-probe', 'ntfsfix', 'ntfsclone-in', 'ntfsclone-out'], programs: ['ntfs-3g'] },
  ntfsprogs: { commands: ['ntfsresize', 'ntfsresize-size'], programs: ['ntfsresize'] },
  realpath: { commands: ['realpath'], programs: [] },
  rsync: { commands: ['rsync', 'rsync-in', 'rsync-out'], programs: ['rsync'] },
  scrub: { commands: ['scrub-device', 'scrub-file', 'scrub-freespace'], programs: ['scrub'] },
  selinux: { commands: ['getcon', 'setcon'], programs: [] },
  selinuxrelabel: { commands: ['selinux-relabel'], programs: ['setfiles'] },
  sleuthkit: { commands: ['download-inode', 'download-blocks'], programs: ['icat'] },
  squashfs: { commands: ['mksquashfs'], programs: ['mksquashfs'] },
  syslinux: { commands: ['syslinux'], programs: ['syslinux'] },
  wipefs: { commands: ['wipefs'], programs: ['wipefs'] },
  xfs: { commands: ['xfs-info', 'xfs-admin', 'xfs-growfs', 'xfs-repair'], programs: ['xfs_db', 'xfs_admin', 'xfs_growfs', 'xfs_info', 'xfs_repair'] },
  xz: { commands: ['txz-in', 'txz-out'], programs: ['xz'] },
  zerofree: { commands: ['zerofree'], programs: ['zerofree'] },
};
