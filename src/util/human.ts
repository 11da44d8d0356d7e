/**
 * Sizes as GNU human_readable prints them with round-to-nearest, autoscale,
 * base 1024 and SI letters (the options virt-ls -h and virt-df -h use):
 * 19 → "19", 1024 → "1.0K", 2688895 → "2.6M", 12288 → "12K".
 */
const UNITS = ['K', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];

export function humanReadable(bytes: number): string {
  if (bytes < 1024) return String(bytes);
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (value < 10) {
    const tenths = Math.round(value * 10);
    if (tenths < 100) return `${Math.floor(tenths / 10)}.${tenths % 10}${UNITS[unit]}`;
    value = 10;
  }
  let whole = Math.round(value);
  if (whole >= 1024 && unit < UNITS.length - 1) return `1.0${UNITS[unit + 1]}`;
  return `${whole}${UNITS[unit]}`;
}
