run
mount /dev/sda /
mkdir /w
-inotify-add-watch /w 4095
-inotify-read
inotify-init 0
inotify-add-watch /w 4095
touch /w/a
write /w/b hi
inotify-read
inotify-files
inotify-add-watch /w 256
touch /w/c
inotify-read
inotify-rm-watch 1
touch /w/d
inotify-read
-inotify-rm-watch 99
-inotify-add-watch /nosuch 4095
inotify-add-watch /w/a 2
write /w/a more
inotify-read
inotify-close
-inotify-read
inotify-init 0
inotify-files
