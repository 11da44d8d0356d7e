/**
 * "[epoch:]version[-release]" as libguestfs splits it for dpkg, apk and pacman:
 * at the first ':' and then the first '-' (not the last, as dpkg itself would).
 */

/** libguestfs's parse_unsigned_int: a decimal that fits an int32, else -1 (the package is then skipped). */
export function parseEpoch(s: string): number {
  if (!/^\s*\+?\d+$/.test(s)) return -1;
  const n = Number.parseInt(s, 10);
  return n <= 0x7fffffff ? n : -1;
}

/** Epoch (0 when absent, -1 when unparseable), version, and release (undefined when there is no '-'). */
export function splitEvr(s: string): { epoch: number; version: string; release?: string } {
  let rest = s;
  let epoch = 0;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    epoch = parseEpoch(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  }
  const dash = rest.indexOf('-');
  if (dash < 0) return { epoch, version: rest };
  return { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
}
