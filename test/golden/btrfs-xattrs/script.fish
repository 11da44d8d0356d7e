getxattrs /xattrs/file.txt
lgetxattrs /xattrs/file.txt
getxattrs /xattrs/link
lgetxattrs /xattrs/link
getxattrs /xattrs/dir
lgetxattrs /xattrs/collide.txt
lgetxattrs /xattrs/many.txt
lgetxattrs /xattrs/none.txt
lxattrlist /xattrs "file.txt link dir none.txt collide.txt missing"
getxattr /xattrs/file.txt user.binary
getxattr /xattrs/file.txt security.selinux
lgetxattr /xattrs/link trusted.note
getxattr /xattrs/file.txt system.posix_acl_access
getxattr /xattrs/big-value.bin user.big
