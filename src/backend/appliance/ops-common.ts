/**
 * Helpers shared by the appliance operations (ops*.ts): device names between the
 * guest kernel's (/dev/vda) and the ones callers see (/dev/sda), and output parsing.
 */
import { sq } from './appliance-backend.js';

// ---------------------------------------------------------------- names

/** /dev/sda1 → /dev/vda1 (other names unchanged). */
export function toGuestDev(dev: string): string {
  return dev.replace(/^\/dev\/sd([a-z]+)(\d*)$/, '/dev/vd$1$2');
}

/** /dev/vda1 → /dev/sda1; /dev/mapper/vg-lv → /dev/vg/lv. */
export function fromGuestDev(dev: string): string {
  const m = /^\/dev\/vd([a-z]+)(\d*)$/.exec(dev);
  if (m) return `/dev/sd${m[1]}${m[2]}`;
  const lv = /^\/dev\/mapper\/((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(dev);
  if (lv) return `/dev/${lv[1]!.replace(/--/g, '-')}/${lv[2]!.replace(/--/g, '-')}`;
  return dev;
}

/** Sort key: drive letters by length then alphabet, then partition number. */
export function devOrder(a: string, b: string): number {
  const pa = /^\/dev\/sd([a-z]+)(\d*)$/.exec(a);
  const pb = /^\/dev\/sd([a-z]+)(\d*)$/.exec(b);
  if (pa && pb) {
    if (pa[1]!.length !== pb[1]!.length) return pa[1]!.length - pb[1]!.length;
    if (pa[1] !== pb[1]) return pa[1]! < pb[1]! ? -1 : 1;
    return Number(pa[2] || 0) - Number(pb[2] || 0);
  }
  if (pa) return -1;
  if (pb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Script lines that set $d to the guest device for `dev`, failing when it does not exist. */
export function devScript(dev: string): string {
  const g = toGuestDev(dev);
  return [
    `d=${sq(g)}`,
    // md arrays appear in /sys/block without a /dev node (the appliance has no udev): make it.
    `case $d in /dev/vd*) ;; /dev/md*) for s in /sys/block/md*; do [ -e "$s/dev" ] && [ ! -b "/dev/\${s##*/}" ] && mknod "/dev/\${s##*/}" b $(tr : ' ' < "$s/dev"); done ;; *) lvmup ;; esac`,
    `[ -b "$d" ] || die ENOENT ${sq(`${dev}: No such file or directory`)}`,
  ].join('\n');
}

export function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

export function nulList(buf: Buffer): string[] {
  return buf
    .toString('utf8')
    .split('\0')
    .filter((s) => s !== '');
}

