#!/usr/bin/env bash
# Build libzstd's decoder (Debian bookworm libzstd 1.5.4+dfsg2-5: lib/common and
# lib/decompress only, no legacy formats, no threads, no x86 assembly) + our glue
# to a standalone WebAssembly module with emcc, without the emscripten JS loader:
# src/compress/zstd.ts instantiates it synchronously (new WebAssembly.Module/Instance).
#
# Output: wasm/zstd/build/zstd.wasm (gitignored).
# Cached: build/.stamp holds a hash of every input; if it matches, exit 0.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

PKG=libzstd
PKGVER=1.5.4+dfsg2-5
UPVER=1.5.4+dfsg2
SRC="$HERE/src/$PKG-$UPVER"
OUT="$HERE/build"
OBJ="$OUT/obj"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

source "$HERE/../common.sh"

# ZSTD_DISABLE_ASM: the amd64 Huffman loops are assembly; DEBUGLEVEL=0: no asserts.
CFLAGS=(-O3 -w -DZSTD_LEGACY_SUPPORT=0 -DZSTD_DISABLE_ASM -DZSTD_NO_TRACE -DDEBUGLEVEL=0
        -DXXH_NAMESPACE=ZSTD_ -I"$SRC/lib" -I"$SRC/lib/common")
ZSTD_SRCS=(
  common/entropy_common common/error_private common/fse_decompress common/xxhash common/zstd_common
  decompress/huf_decompress decompress/zstd_ddict decompress/zstd_decompress decompress/zstd_decompress_block
)
EXPORTS=(gk_frame_length gk_decompress gk_stream_begin gk_stream gk_stream_pos
         gk_context_size gk_context_free gk_error_text malloc free)

LIB_FLAGS_ID="${CFLAGS[*]} | ${ZSTD_SRCS[*]}"
LINK_FLAGS=(
  -O3 --no-entry -s STANDALONE_WASM=1 -s FILESYSTEM=0
  -s ALLOW_MEMORY_GROWTH=1 -s INITIAL_MEMORY=2097152 -s MAXIMUM_MEMORY=1073741824 -s TOTAL_STACK=131072
  -s EXPORTED_FUNCTIONS="$(printf '_%s,' "${EXPORTS[@]}" | sed 's/,$//')"
)

STAMP_WANT="$(inputs_hash "$HERE/build.sh" "$HERE/glue.c")"
if up_to_date "$STAMP_WANT" "$OUT/zstd.wasm"; then
  exit 0
fi

T0=$(date +%s)
fetch_source zstd "$SRC/lib/zstd.h"
mkdir -p "$OBJ"

LIBSTAMP_WANT="$(echo "$PKG=$PKGVER|$LIB_FLAGS_ID" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$OBJ/.libstamp" || "$(cat "$OBJ/.libstamp")" != "$LIBSTAMP_WANT" ]]; then
  rm -f "$OBJ"/*.o "$OBJ/.libstamp"
  compile_objects zstd "$SRC/lib" "${ZSTD_SRCS[@]}"
  echo "$LIBSTAMP_WANT" > "$OBJ/.libstamp"
fi

glue_cflags
"$EMCC" "${GLUE_CFLAGS[@]}" -Werror=implicit-function-declaration -c "$HERE/glue.c" -o "$OBJ/glue.o"
"$EMCC" "${LINK_FLAGS[@]}" "$OBJ"/*.o -o "$OUT/zstd.wasm"

echo "$STAMP_WANT" > "$OUT/.stamp"
echo "zstd build: done in $(( $(date +%s) - T0 ))s ($(stat -c %s "$OUT/zstd.wasm") bytes wasm)" >&2
