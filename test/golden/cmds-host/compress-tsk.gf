run
mount /dev/sda /
write /hello "hello world\n"
mkdir /sub
write /sub/x "x\n"
ln-s hello /sub/link
compress-out gzip /hello co/hello.gz
compress-out gzip /hello co/hello9.gz level:9
compress-out bzip2 /hello co/hello.bz2
compress-out xz /hello co/hello.xz
-compress-out lzop /hello co/hello.lzo
-compress-out compress /hello co/hello.Z
-compress-out zstd /hello co/hello.zst
-compress-out bogus /hello co/hello.bogus
-compress-out gzip /hello co/hl.gz level:10
-compress-out gzip /hello co/hl.gz level:0
-compress-out xz /hello co/hl0.xz level:0
-compress-out gzip /nosuch co/n.gz
-compress-out gzip /sub co/d.gz
compress-device-out gzip /dev/sda co/sda.gz
cpio-out /sub co/sub.cpio
cpio-out /sub co/subcrc.cpio format:crc
-cpio-out /sub co/bad.cpio format:odc
-cpio-out /nosuch co/x.cpio
echo LSTAT
lstatns /hello
lstatns /sub/x
echo FIND
find-inode /dev/sda 12
echo DLI
umount /
download-inode /dev/sda 12 co/ino12
-download-inode /dev/sda 999999 co/inobad
echo WALK
filesystem-walk /dev/sda
echo BLOCKS
download-blocks /dev/sda 0 2 co/blocks
download-blocks /dev/sda 0 100 co/unalloc unallocated:true
