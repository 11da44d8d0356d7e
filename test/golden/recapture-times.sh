#!/usr/bin/env bash
# Re-runs, with the real libguestfs tools, the goldens that print atime/ctime or depend
# on the current time, after the fixtures changed. Needs libguestfs-tools; run from the
# repository root after `npm run fixtures`. Each run takes 15-30 s without KVM.
set -euo pipefail
cd "$(dirname "$0")/../.."
export LIBGUESTFS_BACKEND=direct TZ=UTC
g=test/golden
ls_() { # name image dev args...
  local name=$1 img=$2 dev=$3; shift 3
  date -u +%s > "$g/$name.now.tmp"
  virt-ls -a "fixtures/out/$img" -m "$dev" "$@" > "$g/$name.out" 2> "$g/$name.err" && rm -f "$g/$name.err" || echo $? > "$g/$name.rc"
  if grep -q -- '--time-relative\|--time-days' <<< "$*"; then mv "$g/$name.now.tmp" "$g/$name.now"; else rm -f "$g/$name.now.tmp"; fi
}
ls_ virt-ls__ext4__lR_time-t_home ext4.img /dev/sda -lR --time-t /home
ls_ virt-ls__ext4__csv_lR_time-t_uids_home ext4.img /dev/sda --csv -lR --time-t --uids /home
ls_ virt-ls__ext4__lR_time-days_home ext4.img /dev/sda -lR --time-days /home
ls_ virt-ls__ext4__csv_lR_time-days_home ext4.img /dev/sda --csv -lR --time-days /home
ls_ virt-ls__ext4__lR_time-relative_home ext4.img /dev/sda -lR --time-relative /home
ls_ virt-ls__extra__lR_time-t_uids_modes extra.img /dev/sda -lR --time-t --uids /modes
ls_ virt-ls__extra__lR_time-days_modes extra.img /dev/sda -lR --time-days /modes
ls_ virt-ls__extra__lR_times_modes extra.img /dev/sda -lR --times /modes
TZ=America/New_York ls_ virt-ls__extra__lR_times_modes_TZ-NewYork extra.img /dev/sda -lR --times /modes
guestfish < $g/guestfish__ext4-ro.gf > $g/guestfish__ext4-ro.out 2> $g/guestfish__ext4-ro.err || echo $? > $g/guestfish__ext4-ro.rc
guestfish --ro -a fixtures/out/gpt.img < $g/guestfish__gpt.gf > $g/guestfish__gpt.out 2> $g/guestfish__gpt.err || echo $? > $g/guestfish__gpt.rc
echo "recaptured"
