sparse /tmp/cmdsfs/gold/m1.img 200M
sparse /tmp/cmdsfs/gold/m2.img 100M
sparse /tmp/cmdsfs/gold/m3.img 100M
sparse /tmp/cmdsfs/gold/m4.img 100M
sparse /tmp/cmdsfs/gold/m5.img 100M
sparse /tmp/cmdsfs/gold/m6.img 100M
run
-part-disk /dev/sda mbr
echo == md
-md-create md0 "/dev/sdb /dev/sdc" level:raid1
-list-md-devices
-md-detail /dev/md127
-md-stat /dev/md127
-md-stop /dev/md127
-list-md-devices
-md-stat /dev/md127
echo == md-missing
-md-create r5 "/dev/sdb /dev/sdc" level:raid5 missingbitmap:2 chunk:65536
-list-md-devices
-md-stat /dev/md127
-md-stop /dev/md127
echo == md-bad
-md-create md1 "/dev/sdb /dev/sdc" nrdevices:3
echo == luks
-luks-format /dev/sdd 0
-vfs-type /dev/sdd
-luks-add-key /dev/sdd 1
-cryptsetup-open /dev/sdd lukstest
-list-dm-devices
-mkfs ext2 /dev/mapper/lukstest
-vfs-type /dev/mapper/lukstest
-cryptsetup-open /dev/sdd lukstest
-cryptsetup-close /dev/mapper/lukstest
-cryptsetup-close /dev/sdd
-luks-kill-slot /dev/sdd 1
-cryptsetup-open /dev/sdd lukstest2
echo == luks-cipher
-luks-format-cipher /dev/sde 0 aes-cbc-essiv:sha256
-vfs-type /dev/sde
echo == luks-bad
-mkfs ext4 /dev/sda1
-cryptsetup-open /dev/sda1 x
echo == lvm-filter
-pvcreate /dev/sdf
-vgcreate VG /dev/sdf
-lvcreate LV VG 20
-lvs
-lvm-set-filter /dev/sda
-lvs
-lvm-set-filter "/dev/sda1 /dev/sdf"
-lvs
-lvm-clear-filter
-lvs
echo == ntfsclone
-mkfs ntfs /dev/sda1
-ntfsclone-out /dev/sda1 /tmp/cmdsfs/gold/ntfs.img metadataonly:true
-lvremove /dev/VG/LV
-vgremove VG
-pvremove /dev/sdf
-ntfsclone-in /tmp/cmdsfs/gold/ntfs.img /dev/sdf
-vfs-type /dev/sdf
echo == end
