add-drive fixtures/out/ext4.img format:raw readonly:true
run
echo ===list-devices===
list-devices
echo ===list-partitions===
list-partitions
echo ===list-filesystems===
list-filesystems
echo ===vfs-type /dev/sda===
vfs-type /dev/sda
echo ===vfs-label /dev/sda===
vfs-label /dev/sda
echo ===vfs-uuid /dev/sda===
vfs-uuid /dev/sda
echo ===blockdev-getsize64 /dev/sda===
blockdev-getsize64 /dev/sda
echo ===blockdev-getsz /dev/sda===
blockdev-getsz /dev/sda
echo ===mount-ro /dev/sda /===
mount-ro /dev/sda /
echo ===mounts===
mounts
echo ===mountpoints===
mountpoints
echo ===ls /home/user===
ls /home/user
echo ===ls /===
ls /
echo ===ll /home/user===
ll /home/user
echo ===ll /===
ll /
echo ===cat /etc/hostname===
cat /etc/hostname
echo ===head-n 3 numbers===
head-n 3 /home/user/docs/numbers.txt
echo ===tail-n 2 numbers===
tail-n 2 /home/user/docs/numbers.txt
echo ===head numbers===
head /home/user/docs/numbers.txt
echo ===tail numbers===
tail /home/user/docs/numbers.txt
echo ===head-n 0x2 numbers===
head-n 0x2 /home/user/docs/numbers.txt
echo ===head-n 010 numbers===
head-n 010 /home/user/docs/numbers.txt
echo ===head-n -399998 numbers===
head-n -399998 /home/user/docs/numbers.txt
echo ===tail-n -399999 numbers===
tail-n -399999 /home/user/docs/numbers.txt
echo ===head-n 0 numbers===
head-n 0 /home/user/docs/numbers.txt
echo ===head /etc/os-release===
head /etc/os-release
echo ===statns /home/user/hello.txt===
statns /home/user/hello.txt
echo ===lstatns /home/user/link-relative===
lstatns /home/user/link-relative
echo ===statns /home/user/link-relative===
statns /home/user/link-relative
echo ===stat /home/user/hello.txt===
-stat /home/user/hello.txt
echo ===lstat /home/user/link-relative===
-lstat /home/user/link-relative
echo ===statvfs /===
statvfs /
echo ===is-file /etc/hostname===
is-file /etc/hostname
echo ===is-file /etc===
is-file /etc
echo ===is-file /home/user/link-relative===
is-file /home/user/link-relative
echo ===is-file /home/user/link-relative followsymlinks:true===
is-file /home/user/link-relative followsymlinks:true
echo ===is-file /nope===
is-file /nope
echo ===is-dir /etc===
is-dir /etc
echo ===is-dir /etc/hostname===
is-dir /etc/hostname
echo ===is-symlink /home/user/link-relative===
is-symlink /home/user/link-relative
echo ===is-symlink /home/user/hello.txt===
is-symlink /home/user/hello.txt
echo ===is-symlink /home/user/dangling===
is-symlink /home/user/dangling
echo ===is-fifo /var/log/fifo===
is-fifo /var/log/fifo
echo ===exists /etc/hostname===
exists /etc/hostname
echo ===exists /nope===
exists /nope
echo ===exists /home/user/dangling===
exists /home/user/dangling
echo ===readlink /home/user/link-absolute===
readlink /home/user/link-absolute
echo ===readlink /home/user/link-relative===
readlink /home/user/link-relative
echo ===readlink /home/user/long-symlink===
readlink /home/user/long-symlink
echo ===find /home===
find /home
echo ===find /===
find /
echo ===find /etc===
find /etc
echo ===checksum md5 /etc/hostname===
checksum md5 /etc/hostname
echo ===checksum sha256 /etc/hostname===
checksum sha256 /etc/hostname
echo ===checksum sha1 /etc/hostname===
checksum sha1 /etc/hostname
echo ===read-file /etc/hostname===
read-file /etc/hostname
echo ===read-lines /etc/os-release===
read-lines /etc/os-release
echo ===filesize /home/user/docs/numbers.txt===
filesize /home/user/docs/numbers.txt
echo ===cat utf8===
cat "/ünïcødé/日本語.txt"
echo ===cat spaces===
cat "/dir with spaces/file with spaces.txt"
echo ===ls utf8 dir===
ls /ünïcødé
echo ===cat /var/empty/empty-file===
cat /var/empty/empty-file
echo ===df===
df
echo ===du /home===
du /home
echo ===-cat /nope===
-cat /nope
echo ===-ls /etc/hostname===
-ls /etc/hostname
echo ===-cat /etc===
-cat /etc
echo ===-mount /dev/sda9 /===
-mount /dev/sda9 /
echo ===-mkdir /x (ro)===
-mkdir /x
echo ===-head-n 3 /nope===
-head-n 3 /nope
echo ===-readlink /etc/hostname===
-readlink /etc/hostname
echo ===-statns /nope===
-statns /nope
echo ===-checksum bogus /etc/hostname===
-checksum bogus /etc/hostname
echo ===-cat relative===
-cat etc/hostname
echo ===-vfs-type /dev/sdb===
-vfs-type /dev/sdb
echo ===-nosuchcommand===
-nosuchcommand foo
echo ===-cat (no args)===
-cat
echo ===-cat too many===
-cat /a /b
echo ===-head-n notanumber===
-head-n abc /etc/hostname
echo ===umount-all===
umount-all
echo ===mounts after===
mounts
echo ===end===
