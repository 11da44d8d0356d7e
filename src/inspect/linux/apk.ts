/**
 * Installed Alpine packages from /lib/apk/db/installed: stanzas of
 * "X:value" lines ended by a blank line, read as libguestfs reads them —
 * P name, V [epoch:]version[-rRELEASE] (the 'r' dropped), A arch, T
 * description, U url. (The origin, o:, is not reported: libguestfs leaves
 * the source package empty for apk.)
 */
import { emptyApplication, type Application2 } from '../types.js';
import { splitEvr } from './evr.js';

export function parseApkInstalled(text: string): Application2[] {
  const apps: Application2[] = [];
  let f: Partial<Record<'P' | 'A' | 'T' | 'U', string>> = {};
  let version: string | undefined;
  let release = '';
  let epoch = 0;
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') lines.push('');
  for (const line of lines) {
    if (line.length > 1 && line[1] !== ':') continue;
    const key = line[0];
    const value = line.slice(2);
    if (line === '') {
      if (f.P !== undefined && version !== undefined && epoch >= 0) {
        const app = emptyApplication(f.P);
        app.app2_epoch = epoch;
        app.app2_version = version;
        app.app2_release = release;
        app.app2_arch = f.A ?? '';
        app.app2_url = f.U ?? '';
        app.app2_description = f.T ?? '';
        apps.push(app);
      }
      f = {};
      version = undefined;
      release = '';
    } else if (key === 'P' || key === 'A' || key === 'T' || key === 'U') {
      f[key] = value;
    } else if (key === 'V') {
      const v = splitEvr(value);
      epoch = v.epoch;
      version = v.version;
      release = v.release?.startsWith('r') ? v.release.slice(1) : (v.release ?? '');
    }
  }
  return apps;
}
