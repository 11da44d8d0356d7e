run
mount /dev/sda /
is-blockdev /dev/sda
is-blockdev /dev/null
is-chardev /dev/null
is-chardev /dev/big
is-fifo /dev/fifo
is-socket /dev/fifo
is-blockdev /nonexistent
is-fifo /sizes
echo FILESIZE
filesize /sizes/s1048575
filesize /sizes/s0
filesize /names/a-c
echo ZERO
is-zero /sizes/s1048576
is-zero /sizes/s0
is-zero /names/a-c
echo INITRD
upload initrd.gz /initrd.gz
upload initrd.cpio /initrd.cpio
upload initrd.xz /initrd.xz
initrd-list /initrd.gz
