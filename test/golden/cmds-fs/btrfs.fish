sparse /tmp/cmdsfs/gold/b1.img 600M
sparse /tmp/cmdsfs/gold/b2.img 600M
run
part-disk /dev/sda mbr
mkfs-btrfs /dev/sda1
echo == btrfs-filesystem-show
btrfs-filesystem-show /dev/sda1
echo == btrfs-quota-enable-dev
btrfs-quota-enable /dev/sda1 true
echo == btrfs-quota-rescan-dev
btrfs-quota-rescan /dev/sda1
mount /dev/sda1 /
btrfs-subvolume-create /sub1
echo == btrfs-subvolume-snapshot
btrfs-subvolume-snapshot /sub1 /snap1 ro:true
echo == btrfs-subvolume-list
btrfs-subvolume-list /
echo == btrfs-subvolume-show
btrfs-subvolume-show /sub1
echo == btrfs-subvolume-show-dir
mkdir /dir1
-btrfs-subvolume-show /dir1
echo == btrfs-subvolume-show-root
-btrfs-subvolume-show /
echo == btrfs-qgroup-create
btrfs-qgroup-create 1/1000 /
btrfs-qgroup-create 2/1000 /
btrfs-qgroup-assign 1/1000 2/1000 /
echo == btrfs-qgroup-show
btrfs-qgroup-show /
btrfs-qgroup-remove 1/1000 2/1000 /
btrfs-qgroup-destroy 1/1000 /
btrfs-qgroup-limit /sub1 10737418240
echo == btrfs-qgroup-show-2
btrfs-qgroup-show /
echo == btrfs-balance-status
btrfs-balance-status /
echo == btrfs-balance-pause
-btrfs-balance-pause /
echo == btrfs-balance-cancel
-btrfs-balance-cancel /
echo == btrfs-balance-resume
-btrfs-balance-resume /
echo == btrfs-scrub-start
btrfs-scrub-start /
echo == btrfs-scrub-status
-btrfs-scrub-status /
echo == btrfs-scrub-cancel
-btrfs-scrub-cancel /
echo == btrfs-scrub-resume
-btrfs-scrub-resume /
echo == btrfs-filesystem-sync
btrfs-filesystem-sync /
btrfs-balance /
echo == btrfs-filesystem-defragment
btrfs-filesystem-defragment / flush:true compress:lzo
echo == btrfs-filesystem-defragment-bad
-btrfs-filesystem-defragment / compress:zstd
echo == btrfs-device-add
btrfs-device-add /dev/sdb /
btrfs-filesystem-show /dev/sda1
echo == btrfs-device-delete
btrfs-device-delete /dev/sdb /
btrfs-filesystem-show /dev/sda1
echo == btrfs-filesystem-resize
btrfs-filesystem-resize / size:400000000
-btrfs-filesystem-resize / size:0
btrfs-filesystem-resize /
btrfs-subvolume-delete /snap1
echo == btrfs-subvolume-list-2
btrfs-subvolume-list /
echo == btrfs-replace
btrfs-replace /dev/sda1 /dev/sdb /
btrfs-filesystem-show /dev/sdb
umount /
echo == btrfs-fsck
btrfs-fsck /dev/sdb
echo == btrfs-rescue-super-recover
btrfs-rescue-super-recover /dev/sdb
echo == btrfs-rescue-chunk-recover
btrfs-rescue-chunk-recover /dev/sdb
echo == btrfstune
btrfstune-enable-extended-inode-refs /dev/sdb
btrfstune-enable-skinny-metadata-extent-refs /dev/sdb
btrfstune-seeding /dev/sdb true
btrfstune-seeding /dev/sdb false
btrfs-set-seeding /dev/sdb true
btrfs-set-seeding /dev/sdb false
echo == btrfs-filesystem-show-notbtrfs
-btrfs-filesystem-show /dev/sda
echo == btrfs-image
mkfs ext4 /dev/sda1
mount /dev/sda1 /
btrfs-image /dev/sdb /img.out compresslevel:2
ls /
echo == end
