#!/usr/bin/env bash
# Captures the virt-diff goldens listed in cases.txt (or only the NAMEs given) into this
# directory: NAME.out, and NAME.err/NAME.rc when stderr was not empty or the exit status not 0;
# NAME.now (date -u +%s) for the relative-time cases. Run from anywhere, as root, after
# `npm run fixtures`. Each case boots a libguestfs appliance per side (30-90 s each here).
#
# Under load the two libguestfs appliances sometimes number the guest disk differently, and
# every file then differs in st_dev ("# changed: st_dev" on each line, see NOTES.md): such a
# run is retried, up to 3 times.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../../../fixtures/out"
export LIBGUESTFS_BACKEND=direct TZ=UTC LANG=C.UTF-8
grep -v '^#' "$here/cases.txt" | while IFS=$'\t' read -r name args; do
  if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then continue; fi
  for try in 1 2 3; do
    case $name in time-relative|time-days) date -u +%s > "$here/$name.now" ;; esac
    # shellcheck disable=SC2086
    virt-diff $args > "$here/$name.out" 2> "$here/$name.err" < /dev/null
    rc=$?
    grep -Eq '^#[ ,]changed:[ ,]st_dev' "$here/$name.out" || break
    echo "$name: st_dev differs between the appliances, retrying"
  done
  rm -f "$here/$name.rc"
  [ $rc != 0 ] && echo $rc > "$here/$name.rc"
  [ -s "$here/$name.err" ] || rm -f "$here/$name.err"
  echo "$name: rc=$rc"
done
