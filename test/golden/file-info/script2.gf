run
mount /dev/sda /
upload initrd.gz /initrd.gz
upload initrd.cpio /initrd.cpio
upload initrd.xz /initrd.xz
echo CAT
initrd-cat /initrd.gz etc/hostname
initrd-cat /initrd.gz usr/lib/blob
echo ERRORS
-initrd-list /initrd.cpio
-initrd-list /initrd.xz
-initrd-cat /initrd.cpio usr/lib/blob
-filesize /nonexistent
-is-zero /nonexistent
-is-zero /sizes
-initrd-list /names/a-c
-initrd-cat /initrd.gz etc/nosuch
-initrd-cat /initrd.gz bin/sh
-initrd-cat /initrd.gz etc
-initrd-cat /nonexistent etc/hostname
echo END
