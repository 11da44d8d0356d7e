/**
 * Installed Arch packages from /var/lib/pacman/local/NAME-VER/desc, read as
 * libguestfs reads them: "%KEY%" lines each followed by one value line;
 * %NAME%, %VERSION% ([epoch:]ver-rel) and %ARCH% are required, %DESC% is the
 * description (no summary), %URL% the url. A desc file that is missing,
 * larger than 8 KiB or lacks a required field is skipped.
 */
import type { GuestReader } from '../guest-reader.js';
import { emptyApplication, type Application2 } from '../types.js';
import { splitEvr } from './evr.js';

const DB = '/var/lib/pacman/local';
const MAX_DESC = 8192;

export function parsePacmanDesc(text: string): Application2 | undefined {
  const v: Record<string, string> = {};
  let key: string | undefined;
  for (const line of text.split('\n')) {
    if (line === '') {
      key = undefined;
      continue;
    }
    if (key !== undefined) {
      v[key] = line;
      key = undefined;
      continue;
    }
    if (['%NAME%', '%VERSION%', '%DESC%', '%URL%', '%ARCH%'].includes(line)) key = line;
  }
  const name = v['%NAME%'];
  const full = v['%VERSION%'];
  const arch = v['%ARCH%'];
  if (name === undefined || full === undefined || arch === undefined) return undefined;
  const { epoch, version, release } = splitEvr(full);
  if (release === undefined) return undefined;
  if (epoch < 0 || version === '' || release === '') return undefined;
  const app = emptyApplication(name);
  app.app2_epoch = epoch;
  app.app2_version = version;
  app.app2_release = release;
  app.app2_arch = arch;
  app.app2_url = v['%URL%'] ?? '';
  app.app2_description = v['%DESC%'] ?? '';
  return app;
}

export async function listPacmanApplications(r: GuestReader): Promise<Application2[]> {
  const entries = await r.ls(DB);
  if (!entries) {
    r.warn(`${DB}: cannot list the pacman database: no applications listed`);
    return [];
  }
  const apps: Application2[] = [];
  for (const e of entries) {
    if (!(await r.isDir(`${DB}/${e}`))) continue;
    const text = await r.readText(`${DB}/${e}/desc`, MAX_DESC);
    const app = text === null ? undefined : parsePacmanDesc(text);
    if (app) apps.push(app);
    else r.warn(`${DB}/${e}/desc: missing, too large or incomplete: skipped`);
  }
  return apps;
}
