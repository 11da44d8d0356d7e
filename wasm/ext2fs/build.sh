#!/usr/bin/env bash
# Build libext2fs (Debian bookworm e2fsprogs 1.47.0-2) + our glue to
# WebAssembly with emcc, without autotools: a hand-written config.h, the
# generated headers made here, and the .c files compiled directly.
#
# Output: wasm/ext2fs/build/ext2fs.cjs + ext2fs.wasm (gitignored).
# Cached: build/.stamp holds a hash of every input; if it matches, exit 0.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

PKG=e2fsprogs
PKGVER=1.47.0-2
UPVER=1.47.0
SRC="$HERE/src/$PKG-$UPVER"
OUT="$HERE/build"
OBJ="$OUT/obj"
GEN="$OUT/gen"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

source "$HERE/../common.sh"

CFLAGS=(-O2 -w -DHAVE_CONFIG_H -I"$HERE" -I"$GEN" -I"$GEN/ext2fs" -I"$SRC/lib" -I"$SRC/lib/ext2fs")

# lib/ext2fs sources we link (the linker drops what the glue never reaches)
EXT2FS_SRCS=(
  alloc alloc_sb alloc_stats alloc_tables badblocks bb_inode bitmaps bitops
  blkmap64_ba blkmap64_rb blknum block bmap check_desc closefs crc16 crc32c
  csum dblist dblist_dir dirblock dirhash dir_iterate expanddir ext_attr
  extent fallocate fileio freefs gen_bitmap gen_bitmap64 get_num_dirs
  get_pathname hashmap i_block icount ind_block inline inline_data inode
  io_manager link lookup mkdir mkjournal mmp namei newdir nls_utf8 openfs orphan
  progress rbtree read_bb res_gdt rw_bitmaps sha512 symlink unlink
  valid_blk version
)
ET_SRCS=(error_message et_name init_et com_err)

LIB_FLAGS_ID="${CFLAGS[*]} | ${EXT2FS_SRCS[*]} | ${ET_SRCS[*]} | punch-fix-1"
LINK_FLAGS=(-O2 -s EXPORT_NAME=createExt2fsModule "${GLUE_MODULE_FLAGS[@]}")

STAMP_WANT="$(inputs_hash "$HERE/build.sh" "$HERE/config.h" "$HERE/glue.c" "${GLUE_SHARED_INPUTS[@]}")"
if up_to_date "$STAMP_WANT" "$OUT/ext2fs.cjs" "$OUT/ext2fs.wasm"; then
  exit 0
fi

T0=$(date +%s)

# ---- source ----
fetch_source ext2fs "$SRC/lib/ext2fs/ext2fs.h"

mkdir -p "$OBJ" "$GEN/ext2fs"

# ---- generated files (what configure/make would make) ----
LIBSTAMP_WANT="$(echo "$PKG=$PKGVER|$LIB_FLAGS_ID|$(sha256sum < "$HERE/config.h")" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$OBJ/.libstamp" || "$(cat "$OBJ/.libstamp")" != "$LIBSTAMP_WANT" ]]; then
  rm -f "$OBJ"/*.o "$OBJ/.libstamp"

  # ext2_types.h: substitute the sizes (wasm32) like configure does
  sed -e 's/@ASM_TYPES_HEADER@//' -e 's/@PUBLIC_CONFIG_HEADER@//' \
      -e 's/@SIZEOF_SHORT@/2/g' -e 's/@SIZEOF_INT@/4/g' \
      -e 's/@SIZEOF_LONG@/4/g' -e 's/@SIZEOF_LONG_LONG@/8/g' \
      "$SRC/lib/ext2fs/ext2_types.h.in" > "$GEN/ext2fs/ext2_types.h"

  # ext2_err.et -> ext2_err.h/.c with e2fsprogs' own compile_et awk scripts
  sed -e "s/@E2FSPROGS_VERSION@/$UPVER/" "$SRC/lib/ext2fs/ext2_err.et.in" > "$GEN/ext2_err.et"
  (cd "$GEN" && LC_ALL=C awk -f "$SRC/lib/et/et_h.awk" outfile=ext2fs/ext2_err.h outfn=ext2_err.h ext2_err.et \
             && LC_ALL=C awk -f "$SRC/lib/et/et_c.awk" outfile=ext2_err.c outfn=ext2_err.c ext2_err.et)

  # crc32c_table.h from the host-compiled generator
  cc -O1 -I"$SRC/lib/ext2fs" -o "$GEN/gen_crc32ctable" "$SRC/lib/ext2fs/gen_crc32ctable.c"
  "$GEN/gen_crc32ctable" > "$GEN/ext2fs/crc32c_table.h"

  # punch.c with one fix: punch_extent_blocks() rejected a range ending at
  # the last block of the filesystem (">=" where ">" is meant), so deleting
  # a file that owns the last block failed with "Illegal block number"
  # (debugfs's punch shows the same bug).
  sed -e 's/(free_start + free_count) >= ext2fs_blocks_count(fs->super))/(free_start + free_count) > ext2fs_blocks_count(fs->super))/' \
      "$SRC/lib/ext2fs/punch.c" > "$GEN/punch.c"
  grep -q '(free_start + free_count) > ext2fs_blocks_count' "$GEN/punch.c" \
    || { echo "ext2fs build: punch.c fix did not apply" >&2; exit 1; }

  # compile, $JOBS at a time: xargs appends "-o OBJ SRC" to the emcc command
  {
    for f in "${EXT2FS_SRCS[@]}"; do printf '%s\n' -o "$OBJ/$f.o" "$SRC/lib/ext2fs/$f.c"; done
    for f in "${ET_SRCS[@]}"; do printf '%s\n' -o "$OBJ/et_$f.o" "$SRC/lib/et/$f.c"; done
    printf '%s\n' -o "$OBJ/ext2_err.o" "$GEN/ext2_err.c"
    printf '%s\n' -o "$OBJ/punch.o" "$GEN/punch.c"
  } | xargs -d '\n' -n 3 -P "$JOBS" "$EMCC" "${CFLAGS[@]}" -c
  for f in "${EXT2FS_SRCS[@]}"; do [[ -f "$OBJ/$f.o" ]] || { echo "ext2fs build: $f.c failed" >&2; exit 1; }; done
  echo "$LIBSTAMP_WANT" > "$OBJ/.libstamp"
fi

# ---- glue + link ----
glue_cflags
"$EMCC" "${GLUE_CFLAGS[@]}" -Werror=incompatible-pointer-types -Werror=implicit-function-declaration -Wno-unused-function -Wno-sign-compare -c "$HERE/glue.c" -o "$OBJ/glue.o"
"$EMCC" "${LINK_FLAGS[@]}" "$OBJ"/*.o -o "$OUT/ext2fs.js"
mv -f "$OUT/ext2fs.js" "$OUT/ext2fs.cjs"

echo "$STAMP_WANT" > "$OUT/.stamp"
echo "ext2fs build: done in $(( $(date +%s) - T0 ))s ($(stat -c %s "$OUT/ext2fs.wasm") bytes wasm)" >&2
