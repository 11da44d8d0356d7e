/* guestkit: SELinux is not used in the WASM build; transform.c only
 * asks whether it is enabled (never) before copying file contexts. */
#ifndef GK_SELINUX_STUB_H
#define GK_SELINUX_STUB_H
#include <errno.h>
typedef char *security_context_t;
static inline int is_selinux_enabled(void) { return 0; }
static inline int fgetfilecon(int fd, char **con) { (void) fd; *con = 0; errno = ENOTSUP; return -1; }
static inline int fsetfilecon(int fd, const char *con) { (void) fd; (void) con; errno = ENOTSUP; return -1; }
static inline void freecon(char *con) { (void) con; }
#endif
