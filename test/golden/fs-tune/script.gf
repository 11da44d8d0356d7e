part-init /dev/sda mbr
part-add /dev/sda p 2048 65535
part-add /dev/sda p 65536 98303
part-add /dev/sda p 98304 -1
mke2fs /dev/sda1 fstype:ext4 blocksize:1024 label:first uuid:11111111-2222-3333-4444-555555555555
echo LABEL
get-e2label /dev/sda1
vfs-label /dev/sda1
get-e2uuid /dev/sda1
set-e2label /dev/sda1 second
vfs-label /dev/sda1
set-label /dev/sda1 third
vfs-label /dev/sda1
set-uuid /dev/sda1 01234567-89ab-cdef-0123-456789abcdef
vfs-uuid /dev/sda1
set-e2uuid /dev/sda1 aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
get-e2uuid /dev/sda1
echo FSCK
-e2fsck /dev/sda1
e2fsck /dev/sda1 correct:true
e2fsck /dev/sda1 forceall:true
e2fsck-f /dev/sda1
fsck ext4 /dev/sda1
echo MINSIZE
vfs-minimum-size /dev/sda1
echo RESIZE
resize2fs-size /dev/sda1 16777216
e2fsck-f /dev/sda1
tune2fs-l /dev/sda1 | grep -E "^(Block count|Block size|Filesystem volume name|Filesystem UUID|Inode count|Reserved block count|Maximum mount count|Errors behavior|Filesystem magic number|Filesystem state):"
resize2fs /dev/sda1
tune2fs-l /dev/sda1 | grep "^Block count:"
e2fsck-f /dev/sda1
resize2fs-M /dev/sda1
vfs-minimum-size /dev/sda1
echo TUNE
tune2fs /dev/sda1 maxmountcount:25 mountcount:3 errorbehavior:remount-ro reservedblockspercentage:10 intervalbetweenchecks:86400 lastmounteddirectory:/srv group:5 user:7
tune2fs-l /dev/sda1 | grep -E "^(Maximum mount count|Mount count|Errors behavior|Reserved block count|Check interval|Last mounted on|Reserved blocks uid|Reserved blocks gid):"
echo SWAP
mkswap /dev/sda2 label:swappy uuid:12345678-1234-1234-1234-123456789abc
vfs-type /dev/sda2
vfs-label /dev/sda2
vfs-uuid /dev/sda2
swapon-device /dev/sda2
swapoff-device /dev/sda2
swapon-label swappy
swapoff-label swappy
swapon-uuid 12345678-1234-1234-1234-123456789abc
swapoff-uuid 12345678-1234-1234-1234-123456789abc
mkswap-L other /dev/sda2
vfs-label /dev/sda2
mkswap-U 87654321-4321-4321-4321-cba987654321 /dev/sda2
vfs-uuid /dev/sda2
mkswap /dev/sda2
vfs-label /dev/sda2
echo FILESWAP
mount /dev/sda1 /
fallocate64 /swapfile 1048576
mkswap-file /swapfile
swapon-file /swapfile
swapoff-file /swapfile
umount /
echo ZEROFREE
zerofree /dev/sda1
echo AVAIL
filesystem-available ext4
filesystem-available vfat
filesystem-available nosuchfs
echo VFAT
mkfs vfat /dev/sda3
set-label /dev/sda3 VFATLBL
vfs-label /dev/sda3
echo ERRORS
-set-e2label /dev/sda3 nope
-get-e2label /dev/sda3
-e2fsck /dev/sda1 correct:true forceall:true
-tune2fs-l /dev/sda3
-set-uuid /dev/sda1 nonsense
-resize2fs-size /dev/sda1 1000000000
-mkswap /dev/sda2 uuid:bad
-swapon-label nosuch
-zerofree /dev/sda3
-vfs-minimum-size /dev/sda2
-fsck ext4 /dev/sda3
echo END
