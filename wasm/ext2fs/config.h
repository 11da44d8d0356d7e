/*
 * Hand-written config.h for building e2fsprogs' libext2fs with emscripten
 * (wasm32, musl-based libc). Replaces the one autoconf would generate; only
 * what lib/ext2fs and lib/et consult is defined. No threads, no mmap, no
 * ioctls: our io manager (glue.c) talks to the host through JS imports.
 */
#ifndef GK_EXT2FS_CONFIG_H
#define GK_EXT2FS_CONFIG_H

#define ENABLE_NLS 0
#undef ENABLE_NLS

#define HAVE_ERRNO_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_STDINT_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STDIO_H 1
#define HAVE_STDARG_H 1
#define HAVE_STRING_H 1
#define HAVE_STRINGS_H 1
#define HAVE_UNISTD_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_DIRENT_H 1
#define HAVE_SNPRINTF 1
#define HAVE_VPRINTF 1
#define HAVE_STRDUP 1
#define HAVE_STRNLEN 1
#define HAVE_STRCASECMP 1
#define HAVE_STRTOULL 1
#define HAVE_TYPE_SSIZE_T 1
#define HAVE_INTPTR_T 1
#define HAVE_POSIX_MEMALIGN 1
#define STDC_HEADERS 1

/* wasm32 under emscripten 3.1.6 (checked with a probe program) */
#define SIZEOF_SHORT 2
#define SIZEOF_INT 4
#define SIZEOF_LONG 4
#define SIZEOF_LONG_LONG 8
#define SIZEOF_OFF_T 8
#define SIZEOF_TIME_T 4

#define PACKAGE "e2fsprogs"
#define VERSION "1.47.0"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

/* what dirpaths.h would say; nothing here reads files from them */
#define LOCALEDIR "/usr/share/locale"
#define ROOT_SYSCONFDIR "/etc"

#endif
