run
mount /dev/sda /
mkdir-p /var/log/journal/0123456789abcdef0123456789abcdef
upload j/test.journal /var/log/journal/0123456789abcdef0123456789abcdef/system.journal
-journal-next
-journal-get
journal-open /var/log/journal
journal-get-data-threshold
journal-next
journal-get
journal-get-realtime-usec
journal-next
journal-get
journal-next
journal-get-realtime-usec
journal-next
journal-skip -2
journal-get-realtime-usec
journal-skip 10
journal-skip -10
journal-next
journal-get-realtime-usec
journal-set-data-threshold 10
journal-get-data-threshold
journal-get
journal-set-data-threshold 0
journal-close
-journal-close
-journal-open /nosuch
