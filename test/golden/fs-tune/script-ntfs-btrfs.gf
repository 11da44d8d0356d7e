part-init /dev/sda mbr
part-add /dev/sda p 2048 131071
part-add /dev/sda p 131072 -1
mkfs ntfs /dev/sda1
echo PROBE
ntfs-3g-probe true /dev/sda1
ntfs-3g-probe false /dev/sda1
echo FIX
ntfsfix /dev/sda1
ntfs-3g-probe true /dev/sda1
ntfsfix /dev/sda1 clearbadsectors:true
echo RESIZE
ntfsresize /dev/sda1 size:33554432 force:true
vfs-type /dev/sda1
ntfsresize /dev/sda1 force:true
-ntfsresize /dev/sda1
echo BTRFS
mkfs-btrfs /dev/sda2 label:btr nodesize:16384 sectorsize:4096
vfs-type /dev/sda2
vfs-label /dev/sda2
mkfs-btrfs /dev/sda2 datatype:single metadata:single
-mkfs-btrfs /dev/sda2 metadata:dup
vfs-label /dev/sda2
echo ERRORS
-ntfs-3g-probe true /dev/sda2
-ntfsfix /dev/sda2
-ntfsresize /dev/sda2
-mkfs-btrfs /dev/sda2 datatype:bogus
-mkfs-btrfs /dev/sda2 nodesize:1000
-mkfs-btrfs ""
echo END
