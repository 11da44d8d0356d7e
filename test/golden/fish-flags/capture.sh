#!/usr/bin/env bash
# Captures, with the real guestfish (libguestfs 1.48), the messages and results the
# fish-flags and fish-remote tests compare with. Run from the repository root after
# `npm run fixtures`; each launching case takes 15-40 s without KVM.
# NAME.out = stdout, NAME.err = stderr (when not empty), NAME.rc = exit status (when not 0).
set -uo pipefail
cd "$(dirname "$0")/../../.."
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg TZ=UTC LANG=C.UTF-8
g=test/golden/fish-flags
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cap() { # name, then the guestfish command line (run in $work)
  local name=$1; shift
  (cd "$work" && "$@") > "$g/$name.out" 2> "$g/$name.err" < /dev/null; local rc=$?
  [ -s "$g/$name.err" ] || rm -f "$g/$name.err"
  if [ $rc -ne 0 ]; then echo $rc > "$g/$name.rc"; else rm -f "$g/$name.rc"; fi
}
cap N-help guestfish -N help
cap N-bogus guestfish -N bogus
cap N-lv-badname guestfish -N lv:VGLV
cap live guestfish --live
cap domain guestfish -d nosuchguest
cap remote-no-pid env -u GUESTFISH_PID guestfish --remote echo hi
cap remote-bad-pid guestfish --remote=abc echo hi
cap remote-not-running guestfish --remote=999999 echo hi
cap listen-and-remote guestfish --listen --remote=1
cap listen-extra guestfish --listen echo hi
cap listen-file guestfish --listen -f x
cap version guestfish -V
cap cmd-help-cat guestfish -h cat
cap cmd-help-eq guestfish --cmd-help=echo
cap selinux guestfish --selinux echo ok
cap D guestfish -D echo ok
cap blocksize-no-a guestfish --blocksize=4096
cap key-bad guestfish --key foo echo ok
cap pipe guestfish echo hello : echo world
printf 'echo hello | tr a-z A-Z\necho two words | wc -w\n' > "$work/pipe.gf"
cap pipe-script sh -c 'guestfish < pipe.gf'
printf 'echo x | false\necho after\n' > "$work/pipe-fail.gf"
cap pipe-fail-script sh -c 'guestfish < pipe-fail.gf'
cap pipe-error-script sh -c 'guestfish --pipe-error < pipe-fail.gf'
# Remote control: a listener with no disks, commands, an error, a stdin script, exit.
cap remote-session sh -c '
  eval "$(guestfish --listen)"; echo "pid set: ${GUESTFISH_PID:+yes}"
  guestfish --remote echo hello remote; echo "rc=$?"
  guestfish --remote -- -nosuchcmd; echo "rc=$?"
  printf "echo from stdin\nversion-bogus\necho not reached\n" | guestfish --remote; echo "rc=$?"
  guestfish --remote echo still; echo "rc=$?"
  guestfish --remote exit; echo "rc=$?"'
cap listen-csh sh -c 'out=$(guestfish --listen --csh); echo "$out" | sed "s/[0-9][0-9]*/PID/"; guestfish --remote="${out##* }" exit'
# Prepared disks: what each type makes (launches the appliance).
cap N-disk guestfish -N disk:20M blockdev-getsize64 /dev/sda : list-partitions
cap N-part guestfish -N p.img=part:20M part-get-parttype /dev/sda : part-list /dev/sda
cap N-fs guestfish -N fs:ext4:20M:gpt list-filesystems : part-get-parttype /dev/sda
cap N-lvfs guestfish -N lvfs:/dev/vg1/lv1:ext3:24M lvs : list-filesystems
cap N-bootrootlv guestfish -N bootrootlv:/dev/VG/LV:ext2:ext4:64M:16M part-list /dev/sda : list-filesystems
cap N-two guestfish -N disk:8M -N part:8M list-devices : list-partitions
ls "$work" > "$g/N-files.out"
# Option checks that need no appliance.
cap key-bad-type guestfish --key dev:bogus:x
cap key-no-string guestfish --key dev:key
cap key-no-file guestfish --key dev:file
cap key-clevis guestfish --key dev:clevis echo ok
cap blocksize-bad guestfish --blocksize=1000 -a /dev/null
cap blocksize-bare guestfish --blocksize echo ok
cap connect-alone guestfish -c qemu:///system echo ok
cap remote-pid-junk guestfish --remote=123x echo
cap i-domain guestfish -i nosuchguest
cap keys-from-stdin guestfish --keys-from-stdin echo ok
cap f-missing guestfish -f /nonexistent/script.gf
