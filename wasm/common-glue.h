/*
 * What wasm/ext2fs/glue.c and wasm/ntfs/glue.c share: the export macro, the
 * synchronous device imports of common-io.js (and the chunked transfer over
 * them), the output area results go to,
 * and the growing list readdir hands to JS. One translation unit includes it
 * (each glue.c), so the definitions here are static.
 */
#ifndef GK_COMMON_GLUE_H
#define GK_COMMON_GLUE_H

#include <stddef.h>
#include <stdlib.h>
#include <emscripten.h>
#include "common-errno.h"

#define EXPORT EMSCRIPTEN_KEEPALIVE

/* ---- JS imports (common-io.js) ---- */
/* Return the number of bytes transferred (a short count at the end of the
 * device), or -1 on a device error (the JS side keeps the exception). */
extern int gk_js_read(int dev, double offset, int len, void *buf);
extern int gk_js_write(int dev, double offset, int len, const void *buf);
extern int gk_js_flush(int dev);

/*
 * Moves up to len bytes between the device at offset and rbuf (a read) or
 * wbuf (a write), in calls of at most 1 GiB (an int): the bytes moved, fewer
 * at the end of the device. *failed is set when the device reported an error
 * (what moved before it is counted).
 */
static inline long long gk_js_transfer(int dev, long long offset, long long len,
				       char *rbuf, const char *wbuf, int *failed)
{
	long long done = 0;
	*failed = 0;
	while (done < len) {
		long long left = len - done;
		int chunk = left > (1 << 30) ? (1 << 30) : (int)left;
		int n = wbuf ? gk_js_write(dev, (double)(offset + done), chunk, wbuf + done)
			     : gk_js_read(dev, (double)(offset + done), chunk, rbuf + done);
		if (n < 0) {
			*failed = 1;
			break;
		}
		done += n;
		if (n < chunk)
			break; /* the end of the device */
	}
	return done;
}

/* ---- output area: results as doubles, so JS never has to know C struct layouts ---- */
static double gk_out[32];
EXPORT double *gk_outbuf(void) { return gk_out; }

/* A list of entries built for JS: a malloc'd buffer that grows by doubling. */
struct gk_list {
	char *buf;
	size_t len, cap;
	int count;
};

/* Room for n more bytes (the first buffer holds at least first_cap): where
 * they go, or NULL when memory is short (the list stays as it was). */
static inline char *gk_list_room(struct gk_list *l, size_t n, size_t first_cap)
{
	if (l->len + n > l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : first_cap;
		char *nb;
		while (ncap < l->len + n)
			ncap *= 2;
		nb = realloc(l->buf, ncap);
		if (!nb)
			return NULL;
		l->buf = nb;
		l->cap = ncap;
	}
	return l->buf + l->len;
}

/* Hands the list to JS: out[0] = the buffer (JS frees it with free()),
 * out[1] = bytes, out[2] = entries. */
static inline void gk_list_out(const struct gk_list *l)
{
	gk_out[0] = (double)(size_t)l->buf;
	gk_out[1] = (double)l->len;
	gk_out[2] = l->count;
}

#endif
