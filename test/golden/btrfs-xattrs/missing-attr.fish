getxattr /xattrs/file.txt user.nothing
