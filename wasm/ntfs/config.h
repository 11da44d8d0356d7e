/*
 * Hand-written config.h for building ntfs-3g's libntfs-3g with emscripten
 * (wasm32, musl-based libc). Replaces the one autoconf would generate; only
 * what the library sources and headers consult is defined.
 *
 * Deliberately absent: the default (unix) device operations
 * (NO_NTFS_DEVICE_DEFAULT_IO_OPS: glue.c brings its own, calling JS),
 * POSIX ACLs and xattr mappings (no user mapping: every file has the same
 * owner and permissions, as with a plain `mount -t ntfs-3g`), syslog,
 * mntent (no "is it mounted?" checks: the device is ours), NFC conversion
 * (macOS only), threads, mmap.
 */
#ifndef GK_NTFS_CONFIG_H
#define GK_NTFS_CONFIG_H

#define PACKAGE "ntfs-3g"
#define PACKAGE_NAME "ntfs-3g"
#define PACKAGE_VERSION "2022.10.3"
#define VERSION "2022.10.3"

#define STDC_HEADERS 1
#define HAVE_CTYPE_H 1
#define HAVE_ERRNO_H 1
#define HAVE_FCNTL_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_LIMITS_H 1
#define HAVE_LOCALE_H 1
#define HAVE_STDARG_H 1
#define HAVE_STDDEF_H 1
#define HAVE_STDINT_H 1
#define HAVE_STDIO_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRING_H 1
#define HAVE_STRINGS_H 1
#define HAVE_SYS_PARAM_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_SYS_SYSMACROS_H 1
#define HAVE_TIME_H 1
#define HAVE_UNISTD_H 1
#define HAVE_WCHAR_H 1
#define HAVE_ENDIAN_H 1
#define HAVE_BYTESWAP_H 1

#define HAVE_MBSINIT 1
#define HAVE_STRSEP 1
#define HAVE_FFS 1
#define HAVE_GETTIMEOFDAY 1
#define HAVE_CLOCK_GETTIME 1
#define HAVE_REALPATH 1
#define HAVE_STRUCT_STAT_ST_ATIM 1
#define HAVE_STRUCT_STAT_ST_BLOCKS 1

/* makedev/major/minor come from <sys/sysmacros.h> */
#define MAJOR_IN_SYSMACROS 1

/* glue.c provides the device operations */
#define NO_NTFS_DEVICE_DEFAULT_IO_OPS 1

/* wasm32 is little-endian */
#undef WORDS_BIGENDIAN

#define SIZEOF_SHORT 2
#define SIZEOF_INT 4
#define SIZEOF_LONG 4
#define SIZEOF_LONG_LONG 8
#define SIZEOF_OFF_T 8

/* cache sizes: include/ntfs-3g/param.h */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif

#endif
