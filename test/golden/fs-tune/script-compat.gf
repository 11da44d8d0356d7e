mount /dev/sda /
echo STAT
stat /sizes/s1024
lstat /dev/null
lstatlist /modes "f4755 f0444"
echo FINDFS
findfs-label extra
findfs-uuid 44444444-0000-0000-0000-000000000001
echo-daemon "a b  c d"
write-file /wf "hello world" 5
cat /wf
write-file /wf2 "hello" 0
cat /wf2
zero-free-space /names
ls /names
tgz-in in.tgz /names
txz-in in.txz /modes/d0700
ls /names/sub
cat /modes/d0700/sub/f
umount /
echo JOURNAL
part-init /dev/sdb mbr
part-add /dev/sdb p 2048 65535
part-add /dev/sdb p 65536 -1
mke2journal-L 1024 jlabel /dev/sdb1
vfs-type /dev/sdb1
vfs-label /dev/sdb1
mke2fs-JL ext4 1024 /dev/sdb2 jlabel
vfs-type /dev/sdb2
mke2journal 4096 /dev/sdb1
mke2journal-U 4096 11111111-2222-3333-4444-555555555555 /dev/sdb1
vfs-uuid /dev/sdb1
mke2fs-JU ext4 4096 /dev/sdb2 11111111-2222-3333-4444-555555555555
mke2fs-J ext3 4096 /dev/sdb2 /dev/sdb1
vfs-type /dev/sdb2
mkfs-b ext4 4096 /dev/sdb2
vfs-type /dev/sdb2
echo ERRORS
-findfs-label nosuch
-findfs-uuid 00000000-0000-0000-0000-000000000000
-stat /nonexistent
-mke2journal 1000 /dev/sdb1
-mkfs-b ext4 1000 /dev/sdb2
-zero-free-space /nonexistent
echo END
