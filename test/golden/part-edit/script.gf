part-init /dev/sda gpt
part-add /dev/sda p 2048 10239
part-add /dev/sda p 10240 20479
part-add /dev/sda p 20480 30719
echo DISKGUID
part-set-disk-guid /dev/sda 01234567-89AB-CDEF-0123-456789ABCDEF
part-get-disk-guid /dev/sda
echo ATTR0
part-get-gpt-attributes /dev/sda 1
part-set-gpt-attributes /dev/sda 1 4
part-get-gpt-attributes /dev/sda 1
echo NAME
part-set-name /dev/sda 1 hello
part-get-name /dev/sda 1
echo MBRPARTTYPE-GPT
part-get-mbr-part-type /dev/sda 1
echo BOOT
part-set-bootable /dev/sda 3 true
part-get-bootable /dev/sda 3
part-get-gpt-type /dev/sda 3
echo TYPE
part-set-gpt-type /dev/sda 2 C12A7328-F81F-11D2-BA4B-00A0C93EC93B
part-get-gpt-type /dev/sda 2
part-set-gpt-guid /dev/sda 2 11111111-2222-3333-4444-555555555555
part-get-gpt-guid /dev/sda 2
echo DEL
part-del /dev/sda 2
part-list /dev/sda
echo RESIZE
part-resize /dev/sda 3 40959
part-list /dev/sda
echo BADGUID
-part-set-gpt-guid /dev/sda 1 nonsense
-part-set-disk-guid /dev/sda nonsense
echo MBR
part-init /dev/sdb mbr
part-add /dev/sdb p 2048 10239
part-add /dev/sdb e 10240 100000
part-add /dev/sdb l 12288 20479
part-add /dev/sdb l 22528 30719
part-get-mbr-part-type /dev/sdb 1
part-get-mbr-part-type /dev/sdb 2
part-get-mbr-part-type /dev/sdb 5
part-set-mbr-id /dev/sdb 1 0x7
part-get-mbr-id /dev/sdb 1
part-set-bootable /dev/sdb 1 true
part-get-bootable /dev/sdb 1
-part-set-name /dev/sdb 1 foo
-part-get-gpt-attributes /dev/sdb 1
-part-get-disk-guid /dev/sdb
part-del /dev/sdb 5
part-list /dev/sdb
part-resize /dev/sdb 1 -1
part-resize /dev/sdb 1 11000
part-list /dev/sdb
