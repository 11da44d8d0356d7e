/*
 * The errno values of this libc (emscripten's) that both glue.c files report to
 * JS by their Linux names, so JS never sees the numbers, which differ from
 * Linux's. One list for wasm/ext2fs and wasm/ntfs; src/errors/codes.ts lists
 * every name here (test/unit/src/fs/wasm-errno.test.ts checks it).
 *
 * ENOTSUP is EOPNOTSUPP's value here, so only EOPNOTSUPP is listed.
 */
#ifndef GK_COMMON_ERRNO_H
#define GK_COMMON_ERRNO_H

#include <errno.h>

#define GK_ERRNO_NAMES(X) \
	X(EPERM) X(ENOENT) X(EIO) X(ENXIO) X(E2BIG) X(EBADF) X(ENOMEM) \
	X(EACCES) X(EFAULT) X(EBUSY) X(EEXIST) X(EXDEV) X(ENODEV) \
	X(ENOTDIR) X(EISDIR) X(EINVAL) X(EFBIG) X(ENOSPC) X(EROFS) \
	X(EMLINK) X(ERANGE) X(ENAMETOOLONG) X(ENOTEMPTY) X(ELOOP) \
	X(ENODATA) X(EOVERFLOW) X(EOPNOTSUPP) X(ENOSYS) X(EBADMSG) \
	X(ESTALE) X(EILSEQ) X(ENOTTY) X(ETXTBSY)

/* The Linux name of an errno value, or 0 when it is not one of the above. */
static const char *gk_errno_name(long code)
{
	switch (code) {
#define GK_ERRNO_CASE(e) case e: return #e;
	GK_ERRNO_NAMES(GK_ERRNO_CASE)
#undef GK_ERRNO_CASE
	default: return 0;
	}
}

#endif
