add-drive-ro fixtures/out/ext4.img
run
mount-ro /dev/sda /
echo before
cat /nope
echo notreached
