# Debian family extras (after seed-linux-common.gf).
mkdir-p /var/log/account
write /var/log/account/pacct "acct"
write /var/log/account/pacct.0 "acct"
mkdir-p /var/cache/apt/archives/partial
write /var/cache/apt/archives/bash_5.2_amd64.deb "deb"
write /var/cache/apt/archives/partial/zsh.deb "deb"
mkdir-p /var/lib/dhcp
write /var/lib/dhcp/dhclient.leases "lease"
mkdir-p /etc/sysconfig/network-scripts
write /etc/sysconfig/network-scripts/ifcfg-eth0 "HWADDR=52:54:00:12:34:56\n"
