add-drive-ro fixtures/out/mbr.img
run
echo ===list-devices===
list-devices
echo ===list-partitions===
list-partitions
echo ===list-filesystems===
list-filesystems
echo ===vfs-type /dev/sda1===
vfs-type /dev/sda1
echo ===vfs-type /dev/sda5===
vfs-type /dev/sda5
echo ===vfs-type /dev/sda6===
vfs-type /dev/sda6
echo ===-vfs-type /dev/sda2===
-vfs-type /dev/sda2
echo ===-vfs-type /dev/sda===
-vfs-type /dev/sda
echo ===vfs-label /dev/sda1===
vfs-label /dev/sda1
echo ===vfs-label /dev/sda5===
vfs-label /dev/sda5
echo ===vfs-label /dev/sda6===
vfs-label /dev/sda6
echo ===vfs-uuid /dev/sda1===
vfs-uuid /dev/sda1
echo ===vfs-uuid /dev/sda5===
vfs-uuid /dev/sda5
echo ===vfs-uuid /dev/sda6===
vfs-uuid /dev/sda6
echo ===blockdev-getsize64 /dev/sda===
blockdev-getsize64 /dev/sda
echo ===blockdev-getsize64 /dev/sda1===
blockdev-getsize64 /dev/sda1
echo ===blockdev-getsize64 /dev/sda2===
blockdev-getsize64 /dev/sda2
echo ===blockdev-getsize64 /dev/sda5===
blockdev-getsize64 /dev/sda5
echo ===blockdev-getsize64 /dev/sda6===
blockdev-getsize64 /dev/sda6
echo ===part-get-parttype /dev/sda===
part-get-parttype /dev/sda
echo ===part-list /dev/sda===
part-list /dev/sda
echo ===part-to-dev /dev/sda5===
part-to-dev /dev/sda5
echo ===part-to-partnum /dev/sda5===
part-to-partnum /dev/sda5
echo ===-inspect-os===
-inspect-os
echo ===-mount-ro /dev/sda2 / (extended)===
-mount-ro /dev/sda2 /
echo ===-mount-ro /dev/sda / (whole disk w/ partition table)===
-mount-ro /dev/sda /
echo ===-mount-ro /dev/sda9 /===
-mount-ro /dev/sda9 /
echo ===mount-ro /dev/sda1 /===
mount-ro /dev/sda1 /
echo ===-mount-ro /dev/sda5 /nonexistent-mp===
-mount-ro /dev/sda5 /nonexistent-mp
echo ===mount-ro /dev/sda5 /home===
mount-ro /dev/sda5 /home
echo ===mounts===
mounts
echo ===mountpoints===
mountpoints
echo ===ls /home===
ls /home
echo ===ll /home===
ll /home
echo ===statvfs /===
statvfs /
echo ===statvfs /home===
statvfs /home
echo ===cat /etc/hostname===
cat /etc/hostname
echo ===df===
df
echo ===df-h===
df-h
echo ===umount /home===
umount /home
echo ===mounts after umount===
mounts
echo ===end===
