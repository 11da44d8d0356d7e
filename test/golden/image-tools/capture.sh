#!/bin/bash
# Captures the virt-copy-in/-out, virt-tar-in/-out, virt-edit and virt-get-kernel
# goldens in this directory (libguestfs 1.48, LIBGUESTFS_BACKEND=direct). Run from
# the repository root after fixtures/make-all.sh; takes several minutes (one appliance per case).
# Each case NAME stores NAME.out (stdout), NAME.err (stderr), NAME.rc (exit status), and, when
# the case writes files on the host, NAME.tree (what landed there: type mode size mtime name [-> target]).
set -u
# force_tcg: on this host qemu aborts on /dev/kvm (nested KVM refusing an MSR).
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg LANG=C.UTF-8 TZ=UTC
HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$(pwd)/fixtures/out
W=$(mktemp -d /tmp/gkcap.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"
tree() { (cd "$1" && find . -mindepth 1 -printf '%y %m %s %T@ %p -> %l\n' | sed 's/\.0000000000 / /; s/ -> $//' | LC_ALL=C sort); }
# case NAME [--tree DIR] -- command...
case_() {
  local name=$1; shift; local dir=''
  if [ "$1" = --tree ]; then dir=$2; shift 2; fi
  shift # --
  "$@" >"$HERE/$name.out" 2>"$HERE/$name.err"; echo $? >"$HERE/$name.rc"
  [ -n "$dir" ] && tree "$dir" >"$HERE/$name.tree"
  sed -i "s#$W#WORK#g; s#$FIX#FIXTURES#g" "$HERE/$name.err" "$HERE/$name.out"
  echo "$name rc=$(cat "$HERE/$name.rc")"
}
D=$FIX/debian-efi.img
mkdir out1 out2 out3
# copy-out
case_ copy-out__file --tree out1 -- virt-copy-out -a "$D" /etc/hostname out1
case_ copy-out__dir --tree out2 -- virt-copy-out -a "$D" /etc out2
case_ copy-out__missing -- virt-copy-out -a "$D" /nope out3
case_ copy-out__dest-missing -- virt-copy-out -a "$D" /etc/hostname nodir
echo x > notadir
case_ copy-out__dest-file -- virt-copy-out -a "$D" /etc/hostname notadir
case_ copy-out__no-args -- virt-copy-out -a "$D"
case_ copy-out__no-a -- virt-copy-out /etc out3
case_ copy-out__m -- virt-copy-out -a "$D" -m /dev/sda2 /etc/hostname out3
# copy-in
cp "$D" rw.img
mkdir -p in/tree/sub && echo hello > in/tree/sub/f.txt && ln -s sub/f.txt in/tree/link && chmod 0750 in/tree/sub && touch -d @1600000000 in/tree/sub/f.txt
echo one > in/one.txt && chmod 0600 in/one.txt && touch -d @1650000000 in/one.txt
case_ copy-in__file-and-dir -- virt-copy-in -a rw.img in/one.txt in/tree /root
case_ copy-in__verify -- virt-ls -a rw.img -lR --time-t /root
case_ copy-in__dest-missing -- virt-copy-in -a rw.img in/one.txt /nope
case_ copy-in__dest-file -- virt-copy-in -a rw.img in/one.txt /etc/hostname
case_ copy-in__src-missing -- virt-copy-in -a rw.img in/missing /root
# tar-out / tar-in
case_ tar-out__etc -- sh -c "virt-tar-out -a '$D' /etc - | tar -tvf - --full-time --numeric-owner"
case_ tar-out__missing -- virt-tar-out -a "$D" /nope out.tar
mkdir tin && echo t > tin/t.txt && tar -C tin -cf t.tar t.txt
case_ tar-in__ok -- virt-tar-in -a rw.img t.tar /root
case_ tar-in__verify -- virt-ls -a rw.img -l /root
python3 - <<'PY'
import tarfile, io
with tarfile.open('evil.tar', 'w', format=tarfile.GNU_FORMAT) as t:
    ti = tarfile.TarInfo('../evil.txt'); d = b'evil\n'; ti.size = len(d); t.addfile(ti, io.BytesIO(d))
PY
case_ tar-in__dotdot -- virt-tar-in -a rw.img evil.tar /root
case_ tar-in__dotdot-verify -- virt-ls -a rw.img -R /
case_ tar-in__dest-missing -- virt-tar-in -a rw.img t.tar /nope
case_ tar-in__not-tar -- virt-tar-in -a rw.img notadir /root
# edit
case_ edit__e -- virt-edit -a rw.img /etc/hostname -e 's/^/X-/'
case_ edit__e-verify -- virt-cat -a rw.img /etc/hostname
case_ edit__b -- virt-edit -a rw.img -b .orig /etc/hosts -e 's/localhost/LH/'
case_ edit__b-verify -- virt-ls -a rw.img -l /etc
case_ edit__missing -- virt-edit -a rw.img /nope -e 's/a/b/'
case_ edit__dir -- virt-edit -a rw.img /etc -e 's/a/b/'
case_ edit__die -- virt-edit -a rw.img /etc/hostname -e 'die "stop\n"'
case_ edit__no-file -- virt-edit -a rw.img
case_ edit__editor -- env EDITOR="sed -i s/X-/Y-/" virt-edit -a rw.img /etc/hostname
case_ edit__editor-verify -- virt-cat -a rw.img /etc/hostname
case_ edit__m -- virt-edit -a rw.img -m /dev/sda2 /etc/hostname -e 's/Y-/Z-/'
# get-kernel
mkdir k1 k2
case_ get-kernel__fedora --tree k1 -- virt-get-kernel -a "$FIX/fedora.img" -o k1
case_ get-kernel__unversioned --tree k2 -- virt-get-kernel -a "$FIX/fedora.img" -o k2 --unversioned-names --prefix fc
case_ get-kernel__no-kernel -- virt-get-kernel -a "$D" -o k1
case_ get-kernel__no-os -- virt-get-kernel -a "$FIX/ext4.img" -o k1
case_ get-kernel__help -- virt-get-kernel --help
case_ edit__help -- virt-edit --help
