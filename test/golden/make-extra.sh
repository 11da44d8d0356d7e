#!/usr/bin/env bash
# Builds the extra exploration image used by the *__extra__* goldens:
# sizes for -h rounding, names for sort order / CSV quoting, special modes, device nodes.
# Usage: make-extra.sh OUT.img   (needs root for mknod/chown; e2fsprogs >= 1.43 for mkfs -d)
# NOTE: atime/ctime of inodes come from the build time, only mtimes are fixed.
set -euo pipefail
out=$1; work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
t=$work/t; mkdir -p "$t/sizes" "$t/names/a/b" "$t/modes" "$t/dev"
for s in 0 1 999 1000 1023 1024 1025 1075 1076 1126 1127 1535 1536 1587 1996 1997 2047 2048 9999 10188 10189 10239 10240 10291 10292 10752 102400 1048575 1048576 1100000 1153433 1153434 10485760 10433331 10433332; do
  truncate -s "$s" "$t/sizes/s$s"
done
cd "$t/names"
for n in a-c a.d B _x Z '~t' 'a b' 10 9 .hidden a,comma 'q"uote' "new
line" "tab	x" a/b/c 'x,y "z"'; do printf 'x\n' > "$n"; done
cd "$t/modes"
for m in 4755 2755 6755 1755 0000 0777 0700 0444 2644 4644 1644 7777; do printf 'm\n' > "f$m"; chmod "$m" "f$m"; done
mkdir d1777 d2755 d0700; chmod 1777 d1777; chmod 2755 d2755; chmod 0700 d0700
mknod "$t/dev/null" c 1 3; mknod "$t/dev/sda" b 8 0; mknod "$t/dev/big" c 259 1048575; mkfifo "$t/dev/fifo"
chown 65534:65534 "$t/modes/f0777"; chown 123456:7 "$t/modes/f0700"
find "$t" -depth -exec touch -h -d @1700000000 {} +
touch -h -d @0 "$t/modes/f0444"; touch -h -d @4102444800 "$t/modes/f0000"   # epoch, 2100-01-01
rm -f "$out"; truncate -s 64M "$out"
E2FSPROGS_FAKE_TIME=1700000000 mkfs.ext4 -q -F -L extra -U 44444444-0000-0000-0000-000000000001 \
  -E hash_seed=5cf4e5f2-4f2e-4b7f-9d44-7a3f1d1e2b3c -d "$t" "$out"
