run
part-disk /dev/sda mbr
mkfs-btrfs /dev/sda1
echo == btrfs-filesystem-show
btrfs-filesystem-show /dev/sda1
-btrfs-filesystem-show /dev/sdc
mount /dev/sda1 /
btrfs-subvolume-create /sub1
btrfs-subvolume-snapshot /sub1 /snap1 ro:true
echo == btrfs-subvolume-list
btrfs-subvolume-list /
echo == btrfs-subvolume-show
btrfs-subvolume-show /snap1
mkdir /dir1
-btrfs-subvolume-show /dir1
echo == btrfs-qgroup
btrfs-quota-enable / true
btrfs-qgroup-create 1/1000 /
btrfs-qgroup-show /
btrfs-qgroup-destroy 1/1000 /
btrfs-quota-rescan /
echo == btrfs-balance
btrfs-balance-status /
-btrfs-balance-pause /
btrfs-balance /
btrfs-filesystem-sync /
echo == btrfs-scrub
btrfs-scrub-start /
echo == btrfs-defragment
btrfs-filesystem-defragment / flush:true compress:lzo
-btrfs-filesystem-defragment / compress:zstd
echo == btrfs-device
btrfs-device-add /dev/sdb /
btrfs-filesystem-show /dev/sda1
btrfs-device-delete /dev/sdb /
btrfs-filesystem-show /dev/sda1
echo == btrfs-resize
btrfs-filesystem-resize / size:400000000
-btrfs-filesystem-resize / size:0
btrfs-subvolume-delete /snap1
btrfs-subvolume-list /
umount /
echo == btrfs-offline
btrfs-quota-enable /dev/sda1 false
btrfs-fsck /dev/sda1
btrfs-rescue-super-recover /dev/sda1
btrfstune-enable-skinny-metadata-extent-refs /dev/sda1
btrfstune-seeding /dev/sda1 true
btrfstune-seeding /dev/sda1 false
btrfs-set-seeding /dev/sda1 false
echo == xfs
mkfs xfs /dev/sdb
xfs-info /dev/sdb
xfs-admin /dev/sdb label:LBL-TEST uuid:f0fa3a4e-936e-3306-1d06-8d168c63bb64
vfs-label /dev/sdb
vfs-uuid /dev/sdb
-xfs-admin /dev/sdb label:waytoolonglabel1234
mount /dev/sdb /
xfs-info /
xfs-growfs / datasec:true
-xfs-growfs / maxpct:-1
echo == remount
-remount /
remount / rw:false
remount / rw:true
mkdir /rw
umount /
echo == mkmountpoint
mkmountpoint /cd
mount /dev/sdb /cd
ls /cd
umount /cd
rmmountpoint /cd
-rmmountpoint /cd
echo == md
md-create md0 "/dev/sdc /dev/sdd" level:raid1
list-md-devices
md-stat /dev/md127
md-stop /dev/md127
list-md-devices
-md-create md1 "/dev/sdc" level:raid9
-md-create md1 "/dev/sdc /dev/sdd" nrdevices:3
-md-create md1 "/dev/sdc /dev/sdd" chunk:1000
echo == syslinux
mkfs vfat /dev/sda1
syslinux /dev/sda1
mount /dev/sda1 /
ls /
umount /
echo == extlinux
mkfs ext4 /dev/sda1
mount /dev/sda1 /
mkdir /boot
extlinux /boot
ls /boot
echo == available
available "btrfs xfs mdadm luks squashfs f2fs scrub syslinux extlinux"
echo == end
