#!/usr/bin/env bash
# Captures virt-filesystems (libguestfs 1.48) on the fixtures for test/filesystems-golden.test.ts:
# one NAME.args (the arguments after -a IMAGE) and NAME.out per case, NAME = IMAGE__case.
# Needs libguestfs-tools; on hosts whose /dev/kvm qemu cannot use, LIBGUESTFS_BACKEND_SETTINGS=force_tcg.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../../../fixtures/out
export LIBGUESTFS_BACKEND=direct
capture() { # capture IMAGE CASE ARGS...
  local image=$1 name=$2; shift 2
  printf '%s\n' "$@" > "$here/${image}__${name}.args"
  (cd "$out" && virt-filesystems -a "$image" "$@") > "$here/${image}__${name}.out"
}
capture fedora-xfs.img all_long_uuid --all --long --uuid
capture fedora-optxfs.img all_long_h --all --long -h
capture mbr.img partitions_long --partitions --long
capture windows-dual.img filesystems_csv --filesystems --long --csv
capture gpt.img extra_blockdevices --extra --block-devices --long --no-title
capture opensuse.img filesystems_long --filesystems --long
