run
mount /dev/sda /
mkdir /c
upload corpus/empty /c/empty
upload corpus/known-1 /c/known-1
upload corpus/passwd /c/passwd
upload corpus/utf8.txt /c/utf8.txt
upload corpus/crlf.txt /c/crlf.txt
upload corpus/noeol.txt /c/noeol.txt
upload corpus/script.sh /c/script.sh
upload corpus/script.py /c/script.py
upload corpus/page.html /c/page.html
upload corpus/doc.xml /c/doc.xml
upload corpus/zeros /c/zeros
upload corpus/binary /c/binary
upload corpus/passwd.gz /c/passwd.gz
upload corpus/image.png /c/image.png
upload corpus/x86_64.bin /c/x86_64.bin
upload corpus/i386.so /c/i386.so
upload corpus/aarch64.bin /c/aarch64.bin
upload corpus/ppc64.bin /c/ppc64.bin
upload corpus/ppc64le.bin /c/ppc64le.bin
upload corpus/s390x.bin /c/s390x.bin
upload corpus/riscv64.bin /c/riscv64.bin
upload corpus/arm.bin /c/arm.bin
upload corpus/x86_64.bin.gz /c/x86_64.bin.gz
upload corpus/win32.exe /c/win32.exe
upload corpus/win64.exe /c/win64.exe
echo UMASK
get-umask
umask 077
get-umask
mkdir /um
touch /um/f
mkdir-mode /um/d 0777
mkfifo 0777 /um/p
write /um/w hello
mkdir-p /um/a/b
upload corpus/known-1 /um/up
mknod 0100777 0 0 /um/reg
ll /um
umask 0
touch /um/f0
mkdir /um/d0
mkdir-mode /um/dm0 0777
ll /um
-umask 01000
-umask -1
get-umask
echo GLOB
glob-expand /c/*.bin
glob-expand /dev/*
glob-expand /dev* directoryslash:false
glob-expand /dev*
glob-expand /nothing*
glob-expand /c/{passwd,known-1}
glob-expand /c/[pk]*
-glob-expand relative*
echo SUPPORTED
supported
echo FIND_INODE
lstatns /c/passwd
find-inode 12
-find-inode 999999
echo FS
filesystem-walk /dev/sda
