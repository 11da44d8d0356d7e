#!/usr/bin/env bash
# Makes the diff benchmark's image pair in OUTDIR (not committed): bench-diff-a.img, a
# Linux-like guest (inspection finds it) with NFILES small files in 200 directories, and
# bench-diff-b.img, a copy edited with debugfs so that it differs in a few hundred files:
# NCHANGE removed, NCHANGE added, NCHANGE rewritten with other content, NCHANGE chmod'ed.
# Usage: make-diff-images.sh OUTDIR [NFILES] [NCHANGE]   (defaults 20000 and 100)
set -euo pipefail
out=$(mkdir -p "$1" && cd "$1" && pwd) nfiles=${2:-20000} nchange=${3:-100}
a=$out/bench-diff-a.img b=$out/bench-diff-b.img
stamp="$nfiles $nchange $(sha256sum "$0" | cut -c1-16)"
if [ -f "$b" ] && [ "$(cat "$out/.bench-diff-stamp" 2>/dev/null)" = "$stamp" ]; then exit 0; fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
tree=$work/tree
mkdir -p "$tree"/{bin,etc,usr/share}
printf 'bench-diff\n' > "$tree/etc/hostname"
printf 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' > "$tree/etc/os-release"
printf '/dev/sda / ext4 defaults 0 1\n' > "$tree/etc/fstab"
printf '\177ELF\2\1\1\0\0\0\0\0\0\0\0\0\2\0\076\0\1\0\0\0' > "$tree/bin/sh"; head -c 40 /dev/zero >> "$tree/bin/sh"
per=$(( (nfiles + 199) / 200 ))
# One awk process writes every file (a shell loop of 20,000 printfs is slow).
awk -v root="$tree/usr/share" -v per="$per" -v n="$nfiles" 'BEGIN {
  for (d = 0; d < 200; d++) system("mkdir -p " root "/d" d);
  for (i = 0; i < n; i++) { d = i % 200; f = root "/d" d "/file" i ".txt"; printf "line one of %d\nline two\n", i > f; close(f) }
}'
find "$tree" -exec touch -h -d @1700000000 {} +
rm -f "$a" "$b"; truncate -s 256M "$a"
mkfs.ext4 -q -F -N $((nfiles + 2000)) -d "$tree" "$a"
cp "$a" "$b"
printf 'new content\n' > "$work/new"
printf 'rewritten, longer than before\n' > "$work/rewritten"
awk -v n="$nfiles" -v c="$nchange" -v new="$work/new" -v rw="$work/rewritten" 'BEGIN {
  step = int(n / (4 * c)); if (step < 1) step = 1
  for (k = 0; k < c; k++) {
    i = 4 * k * step; p = "/usr/share/d" (i % 200) "/file" i ".txt"; print "rm " p
    j = i + step; q = "/usr/share/d" (j % 200) "/file" j ".txt"; print "rm " q; print "write " rw " " q
    m = i + 2 * step; print "sif /usr/share/d" (m % 200) "/file" m ".txt mode 0100600"
    print "write " new " /usr/share/d" (k % 200) "/added" k ".txt"
  }
}' > "$work/edit.cmds"
debugfs -w -f "$work/edit.cmds" "$b" >/dev/null 2>&1
echo "$stamp" > "$out/.bench-diff-stamp"
