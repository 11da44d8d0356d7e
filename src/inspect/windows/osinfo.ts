/**
 * The libosinfo short id of a Windows root (win7, win10, win2k19, ...), chosen
 * from the version, product variant, product name and build as libguestfs's
 * inspect-get-osinfo chooses it; 'unknown' when none fits.
 */
export interface WindowsVersionFacts {
  majorVersion: number;
  minorVersion: number;
  productName: string;
  productVariant: string;
  buildId: string;
}

export function windowsOsinfo(f: WindowsVersionFacts): string {
  const server = f.productVariant.includes('Server');
  const name = f.productName;
  if (f.majorVersion === 5) {
    if (f.minorVersion === 1) return 'winxp';
    if (f.minorVersion === 2) return name.includes('XP') ? 'winxp' : name.includes('R2') ? 'win2k3r2' : 'win2k3';
  }
  if (f.majorVersion === 6) {
    const byMinor: Record<number, [string, string]> = {
      0: ['win2k8', 'winvista'],
      1: ['win2k8r2', 'win7'],
      2: ['win2k12', 'win8'],
      3: ['win2k12r2', 'win8.1'],
    };
    const pair = byMinor[f.minorVersion];
    if (pair) return server ? pair[0] : pair[1];
  }
  if (f.majorVersion === 10 && f.minorVersion === 0) {
    if (server) {
      if (name.includes('2025')) return 'win2k25';
      if (name.includes('2022')) return 'win2k22';
      if (name.includes('2019')) return 'win2k19';
      return 'win2k16';
    }
    // Windows 11 still says 10.0: only the build tells them apart.
    if (!/^\d+$/.test(f.buildId)) return 'unknown';
    return Number(f.buildId) >= 22000 ? 'win11' : 'win10';
  }
  return 'unknown';
}
