add-drive /tmp/gf-rw.img format:raw
run
mount /dev/sda /
echo ===mounts===
mounts
echo ===write /new x===
write /new "x"
cat /new
echo ===write-append /new yz\n===
write-append /new "yz\n"
cat /new
echo ===statns /new===
statns /new
echo ===touch /t===
touch /t
echo ===mkdir /d===
mkdir /d
echo ===mkdir-p /d2/a/b===
mkdir-p /d2/a/b
echo ===mkdir-p /d (existing)===
mkdir-p /d
echo ===-mkdir /d (existing)===
-mkdir /d
echo ===-mkdir /nope/x===
-mkdir /nope/x
echo ===rm /t===
rm /t
echo ===-rm /t (missing)===
-rm /t
echo ===rm-f /t (missing)===
rm-f /t
echo ===-rm /d (dir)===
-rm /d
echo ===rm-rf /d2===
rm-rf /d2
echo ===rm-rf /missing===
rm-rf /missing
echo ===-rmdir /home (non-empty)===
-rmdir /home
echo ===-rmdir /missing===
-rmdir /missing
echo ===chmod 0600 /new===
chmod 0600 /new
echo ===chown 1000 1000 /new===
chown 1000 1000 /new
echo ===ln-s /new /lnk===
ln-s /new /lnk
echo ===ln-s target-missing /lnk2===
ln-s target-missing /lnk2
echo ===-ln-s x /lnk (exists)===
-ln-s x /lnk
echo ===ln /new /hard===
ln /new /hard
echo ===cp /new /new-copy===
cp /new /new-copy
echo ===-cp /missing /x===
-cp /missing /x
echo ===mv /new-copy /moved===
mv /new-copy /moved
echo ===-mv /missing /x===
-mv /missing /x
echo ===chmod 0x1ed /moved===
chmod 0x1ed /moved
echo ===statns /moved===
statns /moved
echo ===chmod 0755 /d===
chmod 0755 /d
echo ===touch /t2 + chmod 493 /t2 (decimal)===
touch /t2
chmod 493 /t2
echo ===lstatns /t2===
lstatns /t2
echo ===chmod 0644 /t2===
chmod 0644 /t2
echo ===-chmod 0999 /t2===
-chmod 0999 /t2
echo ===-chmod abc /t2===
-chmod abc /t2
echo ===-chown -1 -1 /t2===
-chown -1 -1 /t2
echo ===-chmod 0644 /missing===
-chmod 0644 /missing
echo ===statns /new===
statns /new
echo ===lstatns /lnk===
lstatns /lnk
echo ===ls /===
ls /
echo ===ll /===
ll /
echo ===-write-append /missing-dir/x a===
-write-append /missing-dir/x "a"
echo ===write /empty ===
write /empty ""
echo ===filesize /empty===
filesize /empty
echo ===-write /d x (dir)===
-write /d "x"
echo ===write /sq single-quoted a-backslash-n-b===
write /sq 'a\nb'
cat /sq
echo ===write /dq double-quoted hex===
write /dq "A\x42\103\n"
cat /dq
echo ===cat of file without trailing newline (/new2)===
write /new2 "noeol"
cat /new2
echo ===read-file /new2===
read-file /new2
echo ===after-noeol===
echo ===sync===
sync
echo ===umount-all===
umount-all
echo ===mounts after===
mounts
echo ===end===
