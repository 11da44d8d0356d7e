echo MD
list-md-devices
echo LOSTFOUND
mount /dev/sda /
rm-rf /lost+found
mklost-and-found /
is-dir /lost+found
fstrim /
umount /
echo XFS
mkfs xfs /dev/sdb
xfs-repair /dev/sdb
xfs-repair /dev/sdb nomodify:true
xfs-repair /dev/sdb nomodify:true noprefetch:true forcelogzero:true
echo ERRORS
-mklost-and-found /
-xfs-repair /dev/sda
echo END
