/**
 * inspect-list-applications2 for Linux: the package database that matches
 * the OS's package format, read from the guest (all its filesystems mounted
 * at their mountpoints), sorted by name as libguestfs sorts (byte order,
 * stable). A missing or corrupt database gives a warning and an empty list.
 */
import type { GuestReader } from '../guest-reader.js';
import type { Application2, OsFacts } from '../types.js';
import { parseApkInstalled } from './apk.js';
import { parseDpkgStatus } from './dpkg.js';
import { readFollowing } from './guest-path.js';
import { listPacmanApplications } from './pacman.js';
import { listRpmApplications } from './rpmdb.js';

/** libguestfs's cap on the dpkg status and apk installed files. */
const MAX_DB_TEXT = 50 * 1000 * 1000;

async function readDbText(r: GuestReader, path: string): Promise<string | null> {
  const bytes = await readFollowing(r, path, MAX_DB_TEXT);
  if (bytes === null) r.warn(`${path}: missing or too large: no applications listed`);
  return bytes === null ? null : new TextDecoder('utf-8').decode(bytes);
}

const byteOrder = (a: Application2, b: Application2) => Buffer.compare(Buffer.from(a.app2_name), Buffer.from(b.app2_name));

export async function listLinuxApplications(r: GuestReader, facts: OsFacts): Promise<Application2[]> {
  if (facts.type !== 'linux' && facts.type !== 'hurd') return [];
  let apps: Application2[] = [];
  try {
    switch (facts.packageFormat) {
      case 'rpm':
        apps = await listRpmApplications(r);
        break;
      case 'deb': {
        const text = await readDbText(r, '/var/lib/dpkg/status');
        if (text !== null) apps = parseDpkgStatus(text);
        break;
      }
      case 'apk': {
        const text = await readDbText(r, '/lib/apk/db/installed');
        if (text !== null) apps = parseApkInstalled(text);
        break;
      }
      case 'pacman':
        apps = await listPacmanApplications(r);
        break;
    }
  } catch (e) {
    r.warn(`${facts.packageFormat} database: ${(e as Error).message}: no applications listed`);
    return [];
  }
  return apps.sort(byteOrder);
}
