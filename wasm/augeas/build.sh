#!/usr/bin/env bash
# Build augeas (Debian bookworm augeas 1.14.0-1+deb12u1) to WebAssembly with
# emcc, without autotools: a hand-written config.h, the library's .c files
# compiled directly, plus the gnulib pieces it really needs (GNU regex,
# argz, dynarray: musl has none of them).
#
# libxml2 is left out: augeas uses it only for aug_to_xml(), which compat.c
# turns into a clean "not supported" error (include/libxml/tree.h holds
# the few opaque declarations augeas's sources need to compile). SELinux is
# stubbed as "disabled" (include/selinux/selinux.h). No readline, no tools.
#
# The module keeps its files in emscripten's MEMFS only (never NODERAWFS):
# augeas cannot touch the host. The host side copies the lenses and the
# guest's files in and the saved files out (src/augeas/augeas.ts).
#
# Output (gitignored): wasm/augeas/build/augeas.cjs + augeas.wasm, and the
# lenses of the same source in wasm/augeas/build/lenses/*.aug.
# Cached: build/.stamp holds a hash of every input; if it matches, exit 0.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

PKG=augeas
PKGVER=1.14.0-1+deb12u1
UPVER=1.14.0
SRC="$HERE/src/$PKG-$UPVER"
OUT="$HERE/build"
OBJ="$OUT/obj"
GEN="$OUT/gen"
JOBS="${JOBS:-2}"
(( JOBS > 2 )) && JOBS=2   # shared 2-core machine

source "$HERE/../common.sh"

CFLAGS=(-O2 -w -std=gnu11 -DHAVE_CONFIG_H -I"$HERE" -I"$HERE/include" -I"$GEN" -I"$SRC/src" -I"$SRC/gnulib/lib")

# libaugeas + libfa sources (src/Makefile.am; xml.c replaced by compat.c;
# parser.c and lexer.c come generated in the upstream tarball)
AUG_SRCS=(
  augeas augrun pathx internal memory ref syntax parser builtin lens regexp
  transform ast get put info errcode jmt lexer fa hash
)
# gnulib: GNU regex (re_compile_pattern/re_search/re_match), argz, and the
# dynarray helpers regexec.c uses
GNULIB_SRCS=(
  regex argz
  malloc/dynarray_at_failure malloc/dynarray_emplace_enlarge
  malloc/dynarray_finalize malloc/dynarray_resize malloc/dynarray_resize_clear
)

# the augeas API the TypeScript side calls
EXPORTS=(
  aug_init aug_close aug_error aug_error_message aug_error_minor_message
  aug_error_details aug_get aug_set aug_setm aug_rm aug_match aug_insert
  aug_mv aug_cp aug_rename aug_label aug_defvar aug_defnode aug_load
  aug_load_file aug_save aug_transform aug_preview aug_source
  malloc free
)

LIB_FLAGS_ID="${CFLAGS[*]} | ${AUG_SRCS[*]} | ${GNULIB_SRCS[*]}"
LINK_FLAGS=(
  -O2 "${NODE_MODULE_FLAGS[@]}" -s EXPORT_NAME=createAugeasModule
  -s ALLOW_MEMORY_GROWTH=1 -s INITIAL_MEMORY=33554432 -s MAXIMUM_MEMORY=2147483648
  -s TOTAL_STACK=8388608
  -s FORCE_FILESYSTEM=1 -s EXPORTED_RUNTIME_METHODS=FS
  -s EXPORTED_FUNCTIONS="$(printf '_%s,' "${EXPORTS[@]}" | sed 's/,$//')"
)

STAMP_WANT="$(inputs_hash "$HERE/build.sh" "$HERE/config.h" "$HERE/compat.c" \
  "$HERE/include/selinux/selinux.h" "$HERE/include/libxml/tree.h")"
if up_to_date "$STAMP_WANT" "$OUT/augeas.cjs" "$OUT/augeas.wasm" "$OUT/lenses/hosts.aug"; then
  exit 0
fi

T0=$(date +%s)

# ---- source ----
fetch_source augeas "$SRC/src/augeas.h"

mkdir -p "$OBJ" "$GEN"

# ---- generated headers (what configure/make would make) + compile ----
LIBSTAMP_WANT="$(echo "$PKG=$PKGVER|$LIB_FLAGS_ID|$(cat "$HERE/config.h" "$HERE/include/selinux/selinux.h" \
  "$HERE/include/libxml/tree.h" | sha256sum)" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$OBJ/.libstamp" || "$(cat "$OBJ/.libstamp")" != "$LIBSTAMP_WANT" ]]; then
  rm -f "$OBJ"/*.o "$OBJ/.libstamp"
  # the lens search path inside MEMFS: /usr/share/augeas/lenses[/dist]
  echo '#define DATADIR "/usr/share"' > "$GEN/datadir.h"
  # gnulib's argz.h needs no substitutions
  cp "$SRC/gnulib/lib/argz.in.h" "$GEN/argz.h"

  # compile, $JOBS at a time: xargs appends "-o OBJ SRC" to the emcc command
  {
    for f in "${AUG_SRCS[@]}"; do printf '%s\n' -o "$OBJ/$f.o" "$SRC/src/$f.c"; done
    for f in "${GNULIB_SRCS[@]}"; do printf '%s\n' -o "$OBJ/gl_${f//\//_}.o" "$SRC/gnulib/lib/$f.c"; done
  } | xargs -d '\n' -n 3 -P "$JOBS" "$EMCC" "${CFLAGS[@]}" -c
  for f in "${AUG_SRCS[@]}"; do [[ -f "$OBJ/$f.o" ]] || { echo "augeas build: $f.c failed" >&2; exit 1; }; done
  for f in "${GNULIB_SRCS[@]}"; do [[ -f "$OBJ/gl_${f//\//_}.o" ]] || { echo "augeas build: gnulib $f.c failed" >&2; exit 1; }; done
  echo "$LIBSTAMP_WANT" > "$OBJ/.libstamp"
fi

# ---- compat + link ----
glue_cflags
"$EMCC" "${GLUE_CFLAGS[@]}" -Werror=implicit-function-declaration -Wno-unused-function \
  -c "$HERE/compat.c" -o "$OBJ/compat.o"
"$EMCC" "${LINK_FLAGS[@]}" "$OBJ"/*.o -o "$OUT/augeas.js"
mv -f "$OUT/augeas.js" "$OUT/augeas.cjs"

# ---- lenses of the same source ----
rm -rf "$OUT/lenses"
mkdir -p "$OUT/lenses"
cp "$SRC"/lenses/*.aug "$OUT/lenses/"

echo "$STAMP_WANT" > "$OUT/.stamp"
echo "augeas build: done in $(( $(date +%s) - T0 ))s ($(stat -c %s "$OUT/augeas.wasm") bytes wasm," \
     "$(ls "$OUT/lenses" | wc -l) lenses, $(du -sb "$OUT/lenses" | cut -f1) bytes)" >&2
