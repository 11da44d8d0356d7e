# Red Hat family extras (after seed-linux-common.gf).
mkdir-p /etc/sysconfig/network-scripts
write /etc/sysconfig/network-scripts/ifcfg-eth0 "DEVICE=eth0\nHWADDR=52:54:00:12:34:56\nHOSTNAME=web1\nDHCP_HOSTNAME=web1\nONBOOT=yes\n"
mkdir-p /var/account
write /var/account/pacct "acct"
write /var/account/pacct.1 "acct"
mkdir-p /var/cache/dnf/fedora-abc/packages
write /var/cache/dnf/fedora-abc/packages/bash.rpm "rpm"
mkdir-p /var/lib/dhclient
write /var/lib/dhclient/dhclient-eth0.leases "lease"
mkdir-p /etc/pki/consumer
write /etc/pki/consumer/cert.pem "not rhel: kept"
mkdir-p /usr/lib/sysimage/rpm
write /usr/lib/sysimage/rpm/__db.001 "rpm db env"
write /usr/lib/sysimage/rpm/rpmdb.sqlite "kept"
mkdir-p /var/lib/yum
write /var/lib/yum/uuid "dnf guest: kept"
