lgetxattrs /xattrs/nothing
