sparse /tmp/cmdsfs/gold/k1.img 400M
sparse /tmp/cmdsfs/gold/k2.img 100M
sparse /tmp/cmdsfs/gold/k3.img 100M
run
-part-disk /dev/sda mbr
-mkfs xfs /dev/sda1
echo == xfs-info-dev
-xfs-info /dev/sda1
-mount /dev/sda1 /
echo == xfs-info-path
-xfs-info /
echo == xfs-growfs
-xfs-growfs / datasec:true
echo == xfs-growfs-bad
-xfs-growfs / maxpct:-1
-umount /
echo == xfs-admin
-xfs-admin /dev/sda1 label:LBL-TEST uuid:f0fa3a4e-936e-3306-1d06-8d168c63bb64
echo == xfs-admin-lazy
-xfs-admin /dev/sda1 lazycounter:false
-vfs-label /dev/sda1
-vfs-uuid /dev/sda1
echo == xfs-admin-bad
-xfs-admin /dev/sda1 label:waytoolonglabel1234
echo == xfs-info-after
-xfs-info /dev/sda1
echo == available
-available-all-groups
-available "btrfs xfs mdadm luks squashfs f2fs scrub ldm syslinux extlinux ntfs3g lvm2"
echo == mksquashfs
-mkfs ext4 /dev/sda1
-mount /dev/sda1 /
-mkdir /d
-write /d/hello hello
-write /d/skip.tmp x
-mksquashfs /d /tmp/cmdsfs/gold/sq.img excludes:"*.tmp"
echo == mksquashfs-bad
-mksquashfs /nonexist /tmp/cmdsfs/gold/sq2.img
-upload /tmp/cmdsfs/gold/sq.img /sq.img
-mkdir /mnt
echo == mount-loop
-mount-loop /sq.img /mnt
-ls /mnt
-mounts
-umount /mnt
echo == mount-loop-bad
-mount-loop /nonexist /mnt
echo == remount
-remount /
-remount / rw:false
-write /x data
-remount / rw:true
-write /x data
echo == scrub-freespace
-mkdir /scrubdir
-scrub-freespace /scrubdir
-ls /
-umount /
echo == mkmountpoint
-mkmountpoint /cd
-mkmountpoint /sq
-mount /dev/sda1 /cd
-mount-loop /cd/sq.img /sq
-ls /sq
-umount /sq
-umount /cd
-rmmountpoint /sq
-rmmountpoint /cd
-rmmountpoint /cd
echo == sfdisk-geometry
-sfdisk-disk-geometry /dev/sda
-sfdisk-kernel-geometry /dev/sda
echo == f2fs-expand
-f2fs-expand /dev/sda1
echo == md
-md-create md0 "/dev/sdb /dev/sdc" level:raid1
-list-md-devices
-md-detail /dev/md0
-md-stat /dev/md0
echo == md-create-bad
-md-create md1 "/dev/sdb" level:raid9
-md-create md1 "/dev/sdb" chunk:1000
-md-create md1 "/dev/sdb" nrdevices:1
-md-stop /dev/md0
-list-md-devices
-md-stat /dev/md0
echo == luks
-luks-format /dev/sdb 0
-luks-uuid /dev/sdb
-vfs-type /dev/sdb
-luks-add-key /dev/sdb 1
-cryptsetup-open /dev/sdb lukstest
-list-dm-devices
-mkfs ext2 /dev/mapper/lukstest
-cryptsetup-close /dev/mapper/lukstest
-cryptsetup-close /dev/sdb
-luks-kill-slot /dev/sdb 1
echo == luks-cipher
-luks-format-cipher /dev/sdc 0 aes-xts-plain64
-vfs-type /dev/sdc
echo == luks-bad
-cryptsetup-open /dev/sda1 x
echo == lvm-filter
-pvcreate /dev/sdb
-vgcreate VG /dev/sdb
-lvcreate LV VG 20
-lvs
-lvm-set-filter /dev/sdc
-lvs
-lvm-clear-filter
-lvs
echo == scrub-device
-scrub-device /dev/sdc
echo == ntfsclone
-mkfs ntfs /dev/sda1
-ntfsclone-out /dev/sda1 /tmp/cmdsfs/gold/ntfs.img metadataonly:true
-ntfsclone-in /tmp/cmdsfs/gold/ntfs.img /dev/sdc
-vfs-type /dev/sdc
echo == syslinux
-mkfs vfat /dev/sda1
-syslinux /dev/sda1
-mount /dev/sda1 /
-ls /
-umount /
echo == extlinux
-mkfs ext4 /dev/sda1
-mount /dev/sda1 /
-mkdir /boot
-extlinux /boot
-ls /boot
echo == end
