run
echo ===list-devices===
list-devices
echo ===list-partitions===
list-partitions
echo ===list-filesystems===
list-filesystems
echo ===vfs-type /dev/sda1===
vfs-type /dev/sda1
echo ===vfs-type /dev/sda2===
vfs-type /dev/sda2
echo ===vfs-label /dev/sda1===
vfs-label /dev/sda1
echo ===vfs-label /dev/sda2===
vfs-label /dev/sda2
echo ===vfs-uuid /dev/sda1===
vfs-uuid /dev/sda1
echo ===vfs-uuid /dev/sda2===
vfs-uuid /dev/sda2
echo ===blockdev-getsize64 /dev/sda===
blockdev-getsize64 /dev/sda
echo ===blockdev-getsize64 /dev/sda1===
blockdev-getsize64 /dev/sda1
echo ===blockdev-getsize64 /dev/sda2===
blockdev-getsize64 /dev/sda2
echo ===part-get-parttype /dev/sda===
part-get-parttype /dev/sda
echo ===part-list /dev/sda===
part-list /dev/sda
echo ===part-get-name /dev/sda 1===
part-get-name /dev/sda 1
echo ===part-get-gpt-guid /dev/sda 2===
part-get-gpt-guid /dev/sda 2
echo ===inspect-os===
inspect-os
echo ===-mount-ro /dev/sda /===
-mount-ro /dev/sda /
echo ===mount-ro /dev/sda2 /===
mount-ro /dev/sda2 /
echo ===-mkdir /boot (ro fs)===
-mkdir /boot
echo ===-mount-ro /dev/sda1 /boot (no mountpoint)===
-mount-ro /dev/sda1 /boot
echo ===mounts===
mounts
echo ===mountpoints===
mountpoints
echo ===ls /===
ls /
echo ===ls /home/user===
ls /home/user
echo ===ll /home/user===
ll /home/user
echo ===cat /etc/hostname===
cat /etc/hostname
echo ===cat /etc/os-release===
cat /etc/os-release
echo ===head-n 3 numbers===
head-n 3 /home/user/docs/numbers.txt
echo ===tail-n 2 numbers===
tail-n 2 /home/user/docs/numbers.txt
echo ===statns /home/user/hello.txt===
statns /home/user/hello.txt
echo ===lstatns /home/user/link-relative===
lstatns /home/user/link-relative
echo ===statvfs /===
statvfs /
echo ===is-file /etc/hostname===
is-file /etc/hostname
echo ===is-dir /etc===
is-dir /etc
echo ===is-symlink /home/user/link-relative===
is-symlink /home/user/link-relative
echo ===exists /nope===
exists /nope
echo ===readlink /home/user/link-absolute===
readlink /home/user/link-absolute
echo ===find /home===
find /home
echo ===checksum md5 /etc/hostname===
checksum md5 /etc/hostname
echo ===checksum sha256 /etc/hostname===
checksum sha256 /etc/hostname
echo ===read-file /etc/hostname===
read-file /etc/hostname
echo ===-cat /nope===
-cat /nope
echo ===end===
