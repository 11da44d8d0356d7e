max-disks
get-path
set-path /tmp
get-path
path NULL
get-path
-config foo bar
-config -enable-kvm NULL
-config -kernel x
config -foo NULL
config -cpu host
list-events
event e1 close,launch "echo event $EVENT"
event e2 * "echo all"
list-events
delete-event e2
list-events
-delete-event nosuch
-event e3 bogus "echo x"
-get-libvirt-requested-credentials
-set-libvirt-supported-credentials ""
set-libvirt-supported-credentials "username passphrase"
-get-libvirt-requested-credential-prompt 0
-set-libvirt-supported-credentials "bogus"
-set-libvirt-requested-credential 0 abc
parse-environment-list "LIBGUESTFS_TRACE=1 LIBGUESTFS_PATH=/opt/x"
get-trace
parse-environment-list "LIBGUESTFS_TRACE=0 LIBGUESTFS_DEBUG=0"
get-trace
get-path
parse-environment-list ""
get-path
-get-umask
-umask 022
delete-event e1
c-pointer
-user-cancel
debug-drives
