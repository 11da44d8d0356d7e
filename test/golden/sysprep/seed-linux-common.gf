# Files every Linux guest gets before a sysprep golden is captured: one or
# more for each default operation (and a few for non-default ones, which a
# default run must leave alone). Applied with: guestkit fish -a IMG -i -f FILE
mkdir-p /var/spool/abrt/ccpp-2024-01-01-1
write /var/spool/abrt/ccpp-2024-01-01-1/coredump "core"
write /etc/resolv.conf.bak "backup"
write /etc/motd~ "editor backup"
mkdir-p /srv/www
write /srv/www/index.html.bak "b"
mkdir-p /home/alice/.ssh
write /home/alice/notes.bak "not in the backup-files whitelist"
write /home/alice/.bash_history "ls"
write /home/alice/.ssh/authorized_keys "ssh-ed25519 AAAA alice"
mkdir-p /root/.ssh
write /root/.bash_history "rm -rf /"
write /root/.ssh/id_rsa "key"
write /root/install.log "install"
mkdir-p /etc/blkid
write /etc/blkid/blkid.tab "<device/>"
write /etc/blkid.tab.old "<device/>"
mkdir-p /etc/pki/CA/certs
write /etc/pki/CA/certs/local.crt "ca"
mkdir-p /var/crash/127.0.0.1-2024
write /var/crash/127.0.0.1-2024/vmcore "crash"
mkdir-p /var/spool/cron
write /var/spool/cron/root "* * * * * true"
mkdir-p /var/spool/at/spool
write /var/spool/at/.SEQ "0000a"
write /var/spool/at/a00001 "job"
write /var/spool/at/spool/a00002 "job"
mkdir-p /var/lib/dhcpd
write /var/lib/dhcpd/dhcpd.leases "lease"
mkdir-p /var/lib/dovecot
write /var/lib/dovecot/ssl-parameters.dat "dh"
mkdir-p /etc/firewalld/zones
write /etc/firewalld/zones/public.xml "<zone/>"
mkdir-p /etc/ipa
write /etc/ipa/default.conf "[global]"
write /etc/krb5.keytab "keytab"
mkdir-p /var/kerberos/krb5kdc
write /var/kerberos/krb5kdc/principal "db"
mkdir-p /var/log/audit
mkdir-p /var/log/journal/0123456789abcdef
mkdir-p /var/log/apt
write /var/log/messages "msg"
write /var/log/boot.log "boot"
write /var/log/boot.log.1 "boot"
write /var/log/audit/audit.log "audit"
write /var/log/journal/0123456789abcdef/system.journal "journal"
write /var/log/apt/history.log "apt"
write /var/log/wtmp "wtmp"
write /var/log/keep-me "not a log glob"
write /var/lib/logrotate.status "logrotate state"
mkdir-p /var/lib/dbus
write /etc/machine-id "0123456789abcdef0123456789abcdef\n"
write /var/lib/dbus/machine-id "0123456789abcdef0123456789abcdef\n"
mkdir-p /var/spool/mail
write /var/spool/mail/alice "From bob"
mkdir-p /etc/NetworkManager/system-connections
write /etc/NetworkManager/system-connections/eth0.nmconnection "[connection]"
mkdir-p /var/run/console
write /var/run/console/alice "pam"
write /var/run/utmp "utmp"
write /etc/passwd- "root:x:0:0::/root:/bin/sh\n"
write /etc/shadow- "root:*:19000::::::\n"
mkdir-p /var/log/puppet
write /var/log/puppet/puppet.log "puppet"
mkdir-p /var/lib/puppet/ssl/certs
write /var/lib/puppet/ssl/certs/node.pem "pem"
mkdir-p /var/lib/rpm
mkdir-p /var/log/samba/old
write /var/log/samba/log.smbd "smbd"
write /var/log/samba/old/log.nmbd "nmbd"
mkdir-p /var/lib/samba/private
write /var/lib/samba/private/secrets.tdb "tdb"
mkdir-p /etc/smolt
write /etc/smolt/uuid "smolt"
mkdir-p /etc/ssh
write /etc/ssh/ssh_host_ed25519_key "private"
write /etc/ssh/ssh_host_ed25519_key.pub "public"
write /etc/ssh/sshd_config "PermitRootLogin no\n"
mkdir-p /var/log/sssd
write /var/log/sssd/sssd.log "sssd"
mkdir-p /tmp/session
write /tmp/session/x "x"
write /tmp/.X0-lock "lock"
mkdir-p /var/tmp
write /var/tmp/cache "y"
mkdir-p /etc/udev/rules.d
write /etc/udev/rules.d/70-persistent-net.rules "SUBSYSTEM==net"
write /etc/udev/rules.d/99-local.rules "kept"
