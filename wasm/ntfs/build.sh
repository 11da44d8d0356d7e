#!/usr/bin/env bash
# Build libntfs-3g (Debian bookworm ntfs-3g 1:2022.10.3-1+deb12u3) + our glue
# to WebAssembly with emcc, without autotools: a hand-written config.h and
# the 31 library .c files compiled directly (unix_io.c/win32_io.c are left
# out: NO_NTFS_DEVICE_DEFAULT_IO_OPS, glue.c brings its own device
# operations calling JS).
#
# Output: wasm/ntfs/build/ntfs.cjs + ntfs.wasm (gitignored).
# Cached: build/.stamp holds a hash of every input; if it matches, exit 0.
#
# The pin: bookworm-security's newest, 1:2022.10.3-1+deb12u4, is installed
# on the host but its source is not served (404); deb12u3 carries the same
# two security patches to libntfs-3g that dpkg-source applies here.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

PKG=ntfs-3g
PKGVER=1:2022.10.3-1+deb12u3
UPVER=2022.10.3
SRC="$HERE/src/$PKG-$UPVER"
OUT="$HERE/build"
OBJ="$OUT/obj"
JOBS="${JOBS:-2}"

source "$HERE/../common.sh"

CFLAGS=(-O2 -w -DHAVE_CONFIG_H -I"$HERE" -I"$SRC/include/ntfs-3g")

LIB_SRCS=(
  acls attrib attrlist bitmap bootsect cache collate compat compress debug
  device dir ea efs index inode ioctl lcnalloc logfile logging mft misc mst
  object_id realpath reparse runlist security unistr volume xattrs
)

LIB_FLAGS_ID="${CFLAGS[*]} | ${LIB_SRCS[*]}"
LINK_FLAGS=(-O2 -s EXPORT_NAME=createNtfsModule "${GLUE_MODULE_FLAGS[@]}")

STAMP_WANT="$(inputs_hash "$HERE/build.sh" "$HERE/config.h" "$HERE/glue.c" "${GLUE_SHARED_INPUTS[@]}")"
if up_to_date "$STAMP_WANT" "$OUT/ntfs.cjs" "$OUT/ntfs.wasm"; then
  exit 0
fi

T0=$(date +%s)

# ---- source ----
fetch_source ntfs "$SRC/libntfs-3g/volume.c"

mkdir -p "$OBJ"

# ---- library objects (rebuilt only when flags/config.h/version change) ----
LIBSTAMP_WANT="$(echo "$PKG=$PKGVER|$LIB_FLAGS_ID|$(sha256sum < "$HERE/config.h")" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$OBJ/.libstamp" || "$(cat "$OBJ/.libstamp")" != "$LIBSTAMP_WANT" ]]; then
  rm -f "$OBJ"/*.o "$OBJ/.libstamp"
  compile_objects ntfs "$SRC/libntfs-3g" "${LIB_SRCS[@]}"
  echo "$LIBSTAMP_WANT" > "$OBJ/.libstamp"
fi

# ---- glue + link ----
glue_cflags
"$EMCC" "${GLUE_CFLAGS[@]}" -Werror=incompatible-pointer-types -Werror=implicit-function-declaration \
  -Wno-unused-function -Wno-sign-compare -Wno-pointer-sign -c "$HERE/glue.c" -o "$OUT/glue.o"
"$EMCC" "${LINK_FLAGS[@]}" "$OBJ"/*.o "$OUT/glue.o" -o "$OUT/ntfs.js"
mv -f "$OUT/ntfs.js" "$OUT/ntfs.cjs"

echo "$STAMP_WANT" > "$OUT/.stamp"
echo "ntfs build: done in $(( $(date +%s) - T0 ))s ($(stat -c %s "$OUT/ntfs.wasm") bytes wasm)" >&2
