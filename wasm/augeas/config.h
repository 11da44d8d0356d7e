/*
 * Hand-written config.h for augeas 1.14.0 (+ the gnulib pieces it needs)
 * compiled with emcc for wasm32 (emscripten's musl libc). Replaces
 * autotools configure, which is far too slow here (see design.md).
 */
#ifndef GK_AUGEAS_CONFIG_H
#define GK_AUGEAS_CONFIG_H

#define PACKAGE "augeas"
#define PACKAGE_NAME "augeas"
#define PACKAGE_VERSION "1.14.0"
#define VERSION "1.14.0"

/* augeas */
#define HAVE_OPEN_MEMSTREAM 1
#define HAVE_USELOCALE 1
#define HAVE_STRERROR_R 1        /* musl: the XSI variant (no __USE_GNU) */
#define HAVE_STDLIB_H 1
/* no HAVE_SELINUX, no HAVE_LIBXML (aug_to_xml is stubbed: compat.c) */

/* libc facts (musl) */
#define HAVE_ALLOCA 1
#define HAVE_ALLOCA_H 1
#define HAVE_ISBLANK 1
#define HAVE_DECL_ISBLANK 1
#define HAVE_LANGINFO_CODESET 1
#define HAVE_WCHAR_H 1
#define HAVE_WCTYPE_H 1
#define HAVE_WCRTOMB 1
#define HAVE_MBRTOWC 1
#define HAVE_WCSCOLL 1
#define HAVE_MEMPCPY 1
#define HAVE_STDINT_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_UNISTD_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_STRING_H 1
#define HAVE_STRINGS_H 1
#define STDC_HEADERS 1
#define _GNU_SOURCE 1
#define _ALL_SOURCE 1
#define _DEFAULT_SOURCE 1

/* gnulib regex (GNU re_* API, which musl lacks): large offsets, and our
 * own symbol names so nothing clashes with musl's POSIX regcomp & co. */
#define _REGEX_INCLUDE_LIMITS_H 1
#define _REGEX_LARGE_OFFSETS 1
#define GNULIB_REGEX_SINGLE_THREAD 1
#define re_syntax_options rpl_re_syntax_options
#define re_set_syntax rpl_re_set_syntax
#define re_compile_pattern rpl_re_compile_pattern
#define re_compile_fastmap rpl_re_compile_fastmap
#define re_search rpl_re_search
#define re_search_2 rpl_re_search_2
#define re_match rpl_re_match
#define re_match_2 rpl_re_match_2
#define re_set_registers rpl_re_set_registers
#define re_comp rpl_re_comp
#define re_exec rpl_re_exec
#define regcomp rpl_regcomp
#define regexec rpl_regexec
#define regerror rpl_regerror
#define regfree rpl_regfree

/* attribute macros gnulib's own configure would define */
#define _GL_ATTRIBUTE_PURE __attribute__ ((__pure__))
#define _GL_ATTRIBUTE_CONST __attribute__ ((__const__))
#define _GL_ATTRIBUTE_MALLOC __attribute__ ((__malloc__))
#define _GL_ATTRIBUTE_NODISCARD
#define _GL_ATTRIBUTE_MAYBE_UNUSED __attribute__ ((__unused__))
#define _GL_ATTRIBUTE_FALLTHROUGH __attribute__ ((__fallthrough__))
#define _GL_ATTRIBUTE_FORMAT(spec) __attribute__ ((__format__ spec))
#define _GL_ATTRIBUTE_NONNULL(args) __attribute__ ((__nonnull__ args))
#define _GL_ATTRIBUTE_DEALLOC(f, i)
#define _GL_ATTRIBUTE_DEALLOC_FREE
#define _GL_ATTRIBUTE_ALLOC_SIZE(args) __attribute__ ((__alloc_size__ args))
#define _GL_ATTRIBUTE_RETURNS_NONNULL __attribute__ ((__returns_nonnull__))
#define _GL_ATTRIBUTE_ALWAYS_INLINE __attribute__ ((__always_inline__))
#define _GL_ATTRIBUTE_ARTIFICIAL
#define _GL_ATTRIBUTE_COLD __attribute__ ((__cold__))
#define _GL_ATTRIBUTE_DEPRECATED
#define _GL_ATTRIBUTE_ERROR(msg)
#define _GL_ATTRIBUTE_WARNING(msg)
#define _GL_ATTRIBUTE_EXTERNALLY_VISIBLE
#define _GL_ATTRIBUTE_LEAF
#define _GL_ATTRIBUTE_NOINLINE __attribute__ ((__noinline__))
#define _GL_ATTRIBUTE_NOTHROW
#define _GL_ATTRIBUTE_PACKED __attribute__ ((__packed__))
#define _GL_ATTRIBUTE_REPRODUCIBLE
#define _GL_ATTRIBUTE_SENTINEL(pos)
#define _GL_ATTRIBUTE_UNSEQUENCED
#define _GL_UNUSED __attribute__ ((__unused__))
#define _GL_UNUSED_LABEL
#ifndef FALLTHROUGH
# define FALLTHROUGH __attribute__ ((__fallthrough__))
#endif
#define _GL_INLINE_HEADER_BEGIN
#define _GL_INLINE_HEADER_END
#define _GL_INLINE static inline
#define _GL_EXTERN_INLINE static inline
#define _GL_CMP(n1, n2) (((n1) > (n2)) - ((n1) < (n2)))
#define _GL_HAS_C_ATTRIBUTE(x) 0
#define _GL_GNUC_PREREQ(major, minor) ((major) < __GNUC__ + ((minor) <= __GNUC_MINOR__))

/* gnulib's configure makes config.h include <stdbool.h> (C23 bool) */
#include <stdbool.h>
/* transform.c uses va_start without <stdarg.h> (glibc's stdio.h brings it) */
#include <stdarg.h>

/* glibc's <sys/types.h> has 'uint' (augeas uses it); musl does not */
typedef unsigned int uint;

/* GNU extensions augeas calls that musl does not have: compat.c */
char *canonicalize_file_name(const char *name);

#endif
