lstatnslist /etc "hostname localtime nope"
readlinklist /etc "localtime hostname nope"
readlinklist /home/user "host-link"
lstatnslist / "bin tmp"
