/**
 * Sizes as gnulib's human_readable prints them with the options virt-ls -h and
 * virt-df -h use (round to nearest, ties to even; autoscale; base 1024; SI letters):
 * 19 → "19", 1024 → "1.0K", 1076 → "1.1K", 10189 → "10K", 10752 → "10K", 2688895 → "2.6M".
 * The rounding follows gnulib's integer arithmetic (tenths plus a rounding state), not
 * floating point, so that ties and near-ties come out as they do there.
 */
const UNITS = ['K', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
const BASE = 1024;

export function humanReadable(bytes: number): string {
  let amt = bytes;
  if (amt < BASE) return String(amt);
  let tenths = 0;
  // 0: exact; 1: below a half; 2: exactly a half; 3: above a half.
  let rounding = 0;
  let exponent = 0;
  do {
    const r10 = (amt % BASE) * 10 + tenths;
    const r2 = (r10 % BASE) * 2 + (rounding >> 1);
    amt = Math.floor(amt / BASE);
    tenths = Math.floor(r10 / BASE);
    rounding = r2 < BASE ? (r2 + rounding !== 0 ? 1 : 0) : 2 + (BASE < r2 + rounding ? 1 : 0);
    exponent++;
  } while (BASE <= amt && exponent < UNITS.length);

  let fraction = '';
  if (amt < 10) {
    if (2 < rounding + (tenths & 1)) {
      tenths++;
      rounding = 0;
      if (tenths === 10) {
        amt++;
        tenths = 0;
      }
    }
    if (amt < 10) {
      fraction = `.${tenths}`;
      tenths = rounding = 0;
    }
  }
  if (5 < tenths + (0 < rounding + (amt & 1) ? 1 : 0)) {
    amt++;
    if (amt === BASE && exponent < UNITS.length) {
      exponent++;
      fraction = '.0';
      amt = 1;
    }
  }
  return `${amt}${fraction}${UNITS[exponent - 1]}`;
}
