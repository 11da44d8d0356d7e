/**
 * Parsers of guest program output that several appliance operations share:
 * blkid's `-o export` fields and busybox stat's STAT_FORMAT line.
 */
import { lines } from './ops-common.js';

/** `blkid -o export` of one device: NAME=value lines. */
export function parseExport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines(text)) {
    const eq = l.indexOf('=');
    if (eq > 0) out[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return out;
}

export const STAT_FORMAT = '%d %i %f %h %u %g %t %T %s %o %b %X %Y %Z|%x|%y|%z';

function nsecOf(human: string): number {
  const m = /\.(\d{1,9})/.exec(human);
  return m ? Number(m[1]!.padEnd(9, '0')) : 0;
}

export function parseStat(out: string): Record<string, number> {
  const [nums = '', ax = '', mx = '', cx = ''] = out.trim().split('|');
  const f = nums.split(' ');
  const n = (i: number) => Number(f[i]);
  const major = parseInt(f[6]!, 16);
  const minor = parseInt(f[7]!, 16);
  const rdev = (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) * 0x1000);
  return {
    st_dev: n(0), st_ino: n(1), st_mode: parseInt(f[2]!, 16), st_nlink: n(3), st_uid: n(4), st_gid: n(5),
    st_rdev: rdev, st_size: n(8), st_blksize: n(9), st_blocks: n(10),
    st_atime_sec: n(11), st_atime_nsec: nsecOf(ax), st_mtime_sec: n(12), st_mtime_nsec: nsecOf(mx),
    st_ctime_sec: n(13), st_ctime_nsec: nsecOf(cx),
    st_spare1: 0, st_spare2: 0, st_spare3: 0, st_spare4: 0, st_spare5: 0, st_spare6: 0,
  };
}

/**
 * A virtio disk's device number as libguestfs reports it, where the disks are
 * SCSI (major 8): virtio-blk also gives each disk 16 minors, so only the major changes.
 */
export function sdDevice(dev: number, virtblkMajor: number): number {
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & ~0xff);
  if (!virtblkMajor || major !== virtblkMajor || minor > 255) return dev;
  return 8 * 256 + minor;
}
