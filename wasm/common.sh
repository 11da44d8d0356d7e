# Shared by wasm/*/build.sh (sourced after each sets PKG, PKGVER, SRC, OUT, HERE,
# LIB_FLAGS_ID and LINK_FLAGS): the emcc environment, fetching the pinned Debian
# source, and the input hash that makes a repeat build a no-op.

# emcc cannot find acorn without NODE_PATH; its sanity check costs ~3.7 s per call.
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"
export EMCC_SKIP_SANITY_CHECK=1
EMCC="${EMCC:-emcc}"

# Flags every Node-side module shares: a factory function, no exit handling, no main.
NODE_MODULE_FLAGS=(
  -s MODULARIZE=1 -s ENVIRONMENT=node
  -s NODEJS_CATCH_EXIT=0 -s NODEJS_CATCH_REJECTION=0
  -s INVOKE_RUN=0 -s EXIT_RUNTIME=0 -s ASSERTIONS=0
)

# The link flags of a glue module (wasm/ext2fs, wasm/ntfs: a library and our glue.c) beside its
# EXPORT_NAME: a growing heap, no emulated filesystem, the device hooks of common-io.js.
GLUE_MODULE_FLAGS=(
  "${NODE_MODULE_FLAGS[@]}"
  -s ALLOW_MEMORY_GROWTH=1 -s INITIAL_MEMORY=16777216 -s MAXIMUM_MEMORY=2147483648
  -s FILESYSTEM=0
  -s EXPORTED_FUNCTIONS=_malloc,_free
  --js-library "$HERE/../common-io.js"
)
# What every glue.c build also depends on: the shared C headers and the device hooks.
GLUE_SHARED_INPUTS=("$HERE/../common-errno.h" "$HERE/../common-glue.h" "$HERE/../common-io.js")

# fetch_source LABEL MARKER: apt-get source $PKG=$PKGVER into $HERE/src unless MARKER exists.
fetch_source() {
  if [[ ! -f "$2" ]]; then
    echo "$1 build: fetching $PKG=$PKGVER source" >&2
    mkdir -p "$HERE/src"
    (cd "$HERE/src" && apt-get source "$PKG=$PKGVER" >/dev/null)
  fi
  [[ -f "$2" ]] || { echo "$1 build: no source at $SRC" >&2; exit 1; }
}

# inputs_hash FILE...: the source pin, flags, emscripten version, this file and FILEs.
inputs_hash() {
  {
    echo "$PKG=$PKGVER"
    echo "$LIB_FLAGS_ID"
    echo "${LINK_FLAGS[*]}"
    dpkg-query -W -f='${Version}' emscripten 2>/dev/null || true
    cat "${BASH_SOURCE[0]}" "$@"
  } | sha256sum | cut -d' ' -f1
}

# up_to_date STAMP OUTPUT...: the last build had these inputs and its outputs are all there.
up_to_date() {
  local stamp=$1; shift
  [[ -f "$OUT/.stamp" && "$(cat "$OUT/.stamp")" == "$stamp" ]] || return 1
  local f
  for f in "$@"; do [[ -e "$f" ]] || return 1; done
}

# GLUE_CFLAGS: CFLAGS with the libraries' -w swapped for -Wall, for our own glue code.
# Whole words only: a path that contains "-w" (a worktree named wt-w…) stays as it is.
glue_cflags() {
  GLUE_CFLAGS=()
  local f
  for f in "${CFLAGS[@]}"; do
    if [[ $f == -w ]]; then GLUE_CFLAGS+=(-Wall); else GLUE_CFLAGS+=("$f"); fi
  done
}

# compile_objects LABEL DIR NAME...: DIR/NAME.c -> $OBJ/<basename of NAME>.o with $CFLAGS,
# $JOBS at a time (xargs appends "-o OBJ SRC" to the emcc command); fails naming a file that did not compile.
compile_objects() {
  local label=$1 dir=$2 f; shift 2
  for f in "$@"; do printf '%s\n' -o "$OBJ/${f##*/}.o" "$dir/$f.c"; done \
    | xargs -d '\n' -n 3 -P "$JOBS" "$EMCC" "${CFLAGS[@]}" -c
  for f in "$@"; do [[ -f "$OBJ/${f##*/}.o" ]] || { echo "$label build: $f.c failed" >&2; exit 1; }; done
}
