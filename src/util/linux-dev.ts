/**
 * The dev_t Linux gives a /dev/sdXN device (SCSI disk majors: 8 for the first
 * 16 disks, then 65..71, 16 minors each), so st_dev reads as in the appliance.
 */
export function sdDevNumber(device: string): number {
  const m = /^\/dev\/sd([a-z]+)(\d*)$/.exec(device);
  if (!m) return 0;
  let disk = 0;
  for (const c of m[1]!) disk = disk * 26 + (c.charCodeAt(0) - 96);
  disk -= 1;
  const part = m[2] ? Number(m[2]) : 0;
  const major = disk < 16 ? 8 : 65 + Math.floor((disk - 16) / 16);
  const minor = (disk % 16) * 16 + part;
  return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}
