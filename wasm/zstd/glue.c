/*
 * guestkit's entry points into libzstd's decoder. Sizes and error codes come
 * back as one int (wasm32: sizes fit): >= 0 a size, < 0 minus a ZSTD_ErrorCode,
 * so the JS side never meets 64-bit values and can name the error itself.
 * One decode context, made on first use and kept: each call resets it.
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <stddef.h>
#include <stdlib.h>
#include "zstd.h"
#include "zstd_errors.h"

static ZSTD_DCtx *dctx;
/* streaming state: the positions after the last gk_stream call */
static size_t stream_pos[2];

static ZSTD_DCtx *context(void) {
  if (!dctx) dctx = ZSTD_createDCtx();
  return dctx;
}

static int result(size_t r) {
  if (ZSTD_isError(r)) return -(int)ZSTD_getErrorCode(r);
  return (int)r;
}

/* Length of the first frame in src (skippable frames included). */
int gk_frame_length(const void *src, size_t n) {
  return result(ZSTD_findFrameCompressedSize(src, n));
}

/* Decodes the frames in src into dst (at most cap bytes): the decoded length. */
int gk_decompress(void *dst, size_t cap, const void *src, size_t n) {
  ZSTD_DCtx *d = context();
  if (!d) return -(int)ZSTD_error_memory_allocation;
  return result(ZSTD_decompressDCtx(d, dst, cap, src, n));
}

/* Starts a streaming decode (frames read until a wanted size has come out). */
int gk_stream_begin(void) {
  ZSTD_DCtx *d = context();
  if (!d) return -(int)ZSTD_error_memory_allocation;
  return result(ZSTD_DCtx_reset(d, ZSTD_reset_session_only));
}

/*
 * One streaming step: reads from src+in_pos, writes to dst+out_pos; the new
 * positions are at gk_stream_pos(). Returns 0 when a frame is complete.
 */
int gk_stream(void *dst, size_t cap, size_t out_pos, const void *src, size_t n, size_t in_pos) {
  ZSTD_outBuffer out = { dst, cap, out_pos };
  ZSTD_inBuffer in = { src, n, in_pos };
  size_t r = ZSTD_decompressStream(context(), &out, &in);
  stream_pos[0] = in.pos;
  stream_pos[1] = out.pos;
  return result(r);
}

size_t *gk_stream_pos(void) { return stream_pos; }

/* Bytes the decode context holds (its window buffers after a streaming decode). */
int gk_context_size(void) { return dctx ? (int)ZSTD_sizeof_DCtx(dctx) : 0; }

/* Drops the streaming window buffers (a large window is only kept until the next call). */
void gk_context_free(void) {
  if (dctx) ZSTD_freeDCtx(dctx);
  dctx = NULL;
}

const char *gk_error_text(int code) { return ZSTD_getErrorString((ZSTD_ErrorCode)code); }
