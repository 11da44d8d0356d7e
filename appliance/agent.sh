#!/bin/sh
# guestkit appliance agent (busybox ash), started by /init with the path of the
# virtio-serial port. Protocol (see src/backend/appliance/agent-client.ts):
#
#   request:  "ID TYPE LEN1 LEN2\n", then LEN1 bytes of shell script, then LEN2
#             bytes that become the script's standard input.
#   response: "ID RC OUTLEN ERRLEN\n", then OUTLEN bytes of standard output and
#             ERRLEN bytes of standard error.
#
#   TYPE sh:   run the script (sourced in a subshell, so the helpers below are
#              available) and answer with its exit status and captured output.
#   TYPE get:  run the script; on success it has printed one appliance path:
#              answer RC 0 with the bytes of that file as output, streamed
#              (a file named /tmp/.stream.* is deleted afterwards).
#   TYPE quit: answer, then sync, unmount everything and power off.
#   TYPE cancel (LEN1 = LEN2 = 0): the host gave up on request ID (a timeout,
#              or its caller aborted): if ID is still running, its processes
#              are killed and it answers with what it captured, which the host
#              drops. A cancel for a request that has finished is ignored.
#
# Two processes share the port: a reader (the only one that reads it) takes
# each request into files and hands it on through a FIFO, acting on cancels
# at once; the executor runs requests one at a time and writes the replies.
# The host sends a request only after the previous reply, so the request
# files are never overwritten while in use.
#
# The agent announces "READY\n" once the port is open; data sent before the
# guest opens the port would be lost, so the host waits for it.
port=$1
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
cd /
exec 3<>"$port" || { echo "guestkit: cannot open $port"; reboot -f; }

# ------------------------------------------------- helpers for scripts

# Errors (src/backend/appliance/guest-errors.ts reads them): RC is the exit
# status of what failed. A script's own check fails with die, which states the
# errno; a failing program's message, when it ends in a strerror text as
# busybox's do ("prog: what: No such file or directory"), gives its errno
# exactly; only other wording leaves the host to guess.

# die ERRNO MESSAGE: fail with an errno name the host turns into its error code.
die() {
  echo "$1 $2" >&2
  exit 1
}

# rp PATH [FOLLOW]: resolve the guest PATH under /sysroot as a chroot would,
# following symbolic links (absolute targets are relative to the guest root,
# ".." stops at it). The final component is followed unless FOLLOW is 0.
# Sets RP; fails with ELOOP after 40 links.
rp() {
  _p=$1 _o= _n=0 _f=${2:-1}
  while :; do
    while [ "${_p#/}" != "$_p" ]; do _p=${_p#/}; done
    [ -z "$_p" ] && break
    _c=${_p%%/*}
    if [ "$_c" = "$_p" ]; then _p=; else _p=${_p#*/}; fi
    case $_c in
      .) continue ;;
      ..) _o=${_o%/*}; continue ;;
    esac
    if [ -L "/sysroot$_o/$_c" ] && { [ -n "$_p" ] || [ "$_f" != 0 ]; }; then
      _n=$((_n + 1))
      [ $_n -gt 40 ] && { echo "ELOOP $1: Too many levels of symbolic links" >&2; return 1; }
      _t=$(readlink "/sysroot$_o/$_c")
      case $_t in /*) _o= ;; esac
      _p=$_t/$_p
    else
      _o=$_o/$_c
    fi
  done
  RP=/sysroot$_o
}

# loadmod NAME: load one module unless it is loaded: from the tools image, or
# from the initramfs (the boot modules, and all of them when there is no image).
loadmod() {
  [ -d "/sys/module/$1" ] && return 0
  if [ -e "/usr/lib/guestkit/modules/$1.ko" ]; then insmod "/usr/lib/guestkit/modules/$1.ko" 2>/dev/null
  else insmod "/lib/modules/$1.ko" 2>/dev/null; fi
}

# needmod NAME: load a module listed in /lib/modules/lazy with its dependencies.
needmod() {
  while read -r _m _order; do
    [ "$_m" = "$1" ] || continue
    for _x in $_order; do loadmod "$_x"; done
  done < /lib/modules/lazy
}

# needfs TYPE: load what the kernel needs to mount a filesystem of this type.
needfs() {
  case $1 in
    vfat|msdos) needmod vfat; needmod nls_cp437; needmod nls_ascii; needmod nls_iso8859_1; needmod nls_utf8 ;;
    iso9660|udf) needmod isofs ;;
    ntfs|ntfs3) needmod ntfs3 ;;
    LVM2_member) needmod dm_mod ;;
    *) needmod "$1" ;;
  esac
}

# global_filter: /dev/sd* is the appliance's tools disk (the user's drives are /dev/vd*): never scanned.
LVM_CONFIG='activation{udev_sync=0 udev_rules=0 verify_udev_operations=1 monitoring=0} devices{obtain_device_list_from_udev=0 global_filter=["r|^/dev/sd|"]} global{use_lvmetad=0}'

# lvmup: activate every LVM volume group once (if lvm is in the appliance).
lvmup() {
  [ -e /run/lvm-up ] && return 0
  : > /run/lvm-up
  command -v lvm >/dev/null 2>&1 || return 0
  needmod dm_mod
  mkdir -p /run/lvm /run/lock/lvm
  # With udev_rules=0 vgchange makes the /dev/mapper nodes and /dev/VG/LV links
  # itself (a vgmknodes run after it cost another ~0.6 s under TCG).
  lvm vgchange -ay --sysinit --config "$LVM_CONFIG" >/dev/null 2>&1
  return 0
}

# toolsok: fail when /init could not mount the tools image (the host then rebuilds it).
toolsok() {
  [ -e /run/guestkit-tools-failed ] || return 0
  echo "EIO the appliance's tools image could not be mounted: $(cat /run/guestkit-tools-failed)" >&2
  return 1
}

# attach SECONDS [reseed]: start the session: set the clock (a VM restored from a
# saved state wakes up with the time it was saved at), load the block driver,
# which probes the drives qemu was started with (the saved state never saw
# them), and print how many there are. With "reseed" (a restored VM) the
# standard input (host randomness) is mixed into the kernel's pool and the
# kernel's random generator is reseeded from it (/bin/reseed: ioctl
# RNDRESEEDCRNG), so that sessions restored from one state do not share random numbers
# (filesystem UUIDs, machine ids).
attach() {
  toolsok || return 1
  date -s "@$1" >/dev/null 2>&1
  if [ "$2" = reseed ]; then
    cat > /dev/urandom
    /bin/reseed || { echo "EIO cannot reseed the random generator" >&2; return 1; }
  fi
  needmod virtio_blk
  # Bind the block devices not bound yet (preload loaded the driver with
  # autoprobing off), in device order: vda is the first drive.
  _i=0
  while [ -e "/sys/bus/virtio/devices/virtio$_i" ]; do
    _v=/sys/bus/virtio/devices/virtio$_i
    read -r _id < "$_v/device"
    [ "$_id" = 0x0002 ] && [ ! -e "$_v/driver" ] && echo "virtio$_i" > /sys/bus/virtio/drivers_probe
    _i=$((_i + 1))
  done
  _n=0
  for _d in /sys/block/vd*; do [ -e "$_d" ] && _n=$((_n + 1)); done
  echo "$_n"
}

# preload: modules most sessions need, loaded before the VM state is saved so
# that restored sessions have them already. The block driver is loaded with
# autoprobing off: it binds no drive until attach asks it to.
preload() {
  toolsok || return 1
  echo 0 > /sys/bus/virtio/drivers_autoprobe
  needmod virtio_blk
  needfs xfs; needfs vfat; needmod dm_mod; needfs iso9660
  # Programs most sessions run, read from the tools image now so that their
  # pages are in the saved state rather than read from the disk after a restore.
  blkid -V >/dev/null 2>&1
  lvm version >/dev/null 2>&1
  return 0
}

# setumask: the `umask` command's mask (kept in /run/umask, as each script runs in
# a fresh subshell) applies to every later script; 022 until it is set.
setumask() {
  [ -f /run/umask ] && read -r _u < /run/umask && umask "$_u"
  return 0
}

# ------------------------------------------------- main loop

# killtree PID: stop PID, kill its descendants, then PID itself.
killtree() {
  local _s _l _c
  kill -STOP "$1" 2>/dev/null || return 0
  for _s in /proc/[0-9]*/stat; do
    read -r _l < "$_s" 2>/dev/null || continue
    _l=${_l##*) }
    _l=${_l#* }
    [ "${_l%% *}" = "$1" ] || continue
    _c=${_s#/proc/}
    killtree "${_c%/stat}"
  done
  kill -KILL "$1" 2>/dev/null
}

reply() { # ID RC: send the captured output
  # Both sizes from one command: each $(...) is a fork, which TCG makes costly.
  _r=$1 _c=$2
  set -- $(stat -c %s /tmp/.out /tmp/.err)
  printf '%s %s %s %s\n' "$_r" "$_c" "$1" "$2" >&3
  cat /tmp/.out /tmp/.err >&3
}

readn() { # N FILE: read exactly N bytes from the port into FILE
  if [ "$1" -gt 0 ]; then
    dd bs=65536 count="$1" iflag=count_bytes,fullblock of="$2" 2>/dev/null <&3
  else
    : > "$2"
  fi
}

reader() { # the only reader of the port
  while read -r _id _type _l1 _l2 <&3; do
    if [ "$_type" = cancel ]; then
      # remembered too for a request whose process is not recorded yet (see run)
      printf '%s\n' "$_id" > /run/agent.cancel
      if read -r _cid _cpid < /run/agent.cur 2>/dev/null && [ "$_cid" = "$_id" ]; then
        killtree "$_cpid"
      fi
      continue
    fi
    readn "${_l1:-0}" /tmp/.req
    readn "${_l2:-0}" /tmp/.in
    printf '%s %s\n' "$_id" "$_type" >&4
  done
}

run() { # ID: run the request's script in the background, where the reader can kill it
  ( setumask; . /tmp/.req ) < /tmp/.in > /tmp/.out 2> /tmp/.err 3>&- 4>&- &
  _pid=$!
  printf '%s %s\n' "$1" "$_pid" > /run/agent.cur
  if read -r _x < /run/agent.cancel 2>/dev/null && [ "$_x" = "$1" ]; then killtree "$_pid"; fi
  wait "$_pid"
  _rc=$?
  rm -f /run/agent.cur
  return $_rc
}

rm -f /run/agent.q /run/agent.cur /run/agent.cancel
mkfifo /run/agent.q
exec 4<>/run/agent.q
reader &
printf 'READY\n' >&3
while read -r id type <&4; do
  case $type in
    sh)
      run "$id"
      reply "$id" $?
      ;;
    get)
      run "$id"
      rc=$?
      if [ $rc != 0 ]; then
        reply "$id" $rc
      else
        read -r f < /tmp/.out
        size=$(stat -L -c %s "$f")
        printf '%s 0 %s 0\n' "$id" "$size" >&3
        dd if="$f" bs=1048576 count="$size" iflag=count_bytes 2>/dev/null >&3
        # Files staged for streaming (tar-out) are removed once sent.
        case $f in /tmp/.stream.*) rm -f "$f" ;; esac
      fi
      ;;
    quit)
      printf '%s 0 0 0\n' "$id" >&3
      break
      ;;
    *)
      printf 'unknown request type %s\n' "$type" > /tmp/.err
      : > /tmp/.out
      reply "$id" 127
      ;;
  esac
done
sync
umount -a -r 2>/dev/null
sync
exec reboot -f
