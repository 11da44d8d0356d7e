/**
 * Installed RPM packages from the guest's rpmdb.sqlite (rpm ≥ 4.16: Fedora ≥ 33,
 * RHEL ≥ 9), read in process with sql.js (SQLite compiled to WebAssembly).
 * Fields are filled as libguestfs fills them from librpm: name, epoch,
 * version, release, arch, URL, summary, description, with "(none)" for an
 * absent string tag (librpm's headerFormat) — vendor and source RPM are
 * decoded but, like libguestfs, not reported. gpg-pubkey pseudo-packages are
 * listed too, as libguestfs lists them.
 */
import initSqlJs from 'sql.js';
import type { GuestReader } from '../guest-reader.js';
import { emptyApplication, type Application2 } from '../types.js';
import { guestRealpath } from './guest-path.js';
import { parseRpmHeader, rpmNumber, rpmString, RPMTAG } from './rpm-header.js';

/** Where rpm keeps its database: /usr/lib/sysimage/rpm since Fedora 36, /var/lib/rpm before (often a symlink now). */
export const RPMDB_DIRS = ['/usr/lib/sysimage/rpm', '/var/lib/rpm'];
/** A desktop install's database is 100–200 MB; the whole file is read into memory. */
const MAX_RPMDB = 1024 * 1024 * 1024;
/** Older backends this reader does not decode: Berkeley DB (RHEL ≤ 8) and ndb (SUSE). */
const OTHER_BACKENDS = ['Packages', 'Packages.db'];

/** A package as its header describes it (more than Application2 carries). */
export interface RpmPackage {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  summary: string;
  description: string;
  url: string;
  vendor: string;
  sourceRpm: string;
}

export function rpmPackageOf(blob: Uint8Array): RpmPackage {
  const t = parseRpmHeader(blob);
  return {
    name: rpmString(t, RPMTAG.NAME), epoch: rpmNumber(t, RPMTAG.EPOCH), version: rpmString(t, RPMTAG.VERSION),
    release: rpmString(t, RPMTAG.RELEASE), arch: rpmString(t, RPMTAG.ARCH), summary: rpmString(t, RPMTAG.SUMMARY),
    description: rpmString(t, RPMTAG.DESCRIPTION), url: rpmString(t, RPMTAG.URL), vendor: rpmString(t, RPMTAG.VENDOR),
    sourceRpm: rpmString(t, RPMTAG.SOURCERPM),
  };
}

let sqlJs: ReturnType<typeof initSqlJs> | undefined;

/**
 * The header blobs of the Packages table, in rowid order. rpm keeps the
 * database in WAL mode; a cleanly shut down guest has everything in the main
 * file, which is opened as a rollback-journal database (header bytes 18/19)
 * because the -wal/-shm files are not there.
 */
export async function readRpmdbBlobs(file: Uint8Array): Promise<Uint8Array[]> {
  const bytes = new Uint8Array(file);
  if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) bytes[18] = bytes[19] = 1;
  sqlJs ??= initSqlJs();
  const SQL = await sqlJs;
  const db = new SQL.Database(bytes);
  try {
    const blobs: Uint8Array[] = [];
    const stmt = db.prepare('SELECT blob FROM Packages ORDER BY hnum');
    try {
      while (stmt.step()) {
        const v = stmt.get()[0];
        if (v instanceof Uint8Array) blobs.push(v);
      }
    } finally {
      stmt.free();
    }
    return blobs;
  } finally {
    db.close();
  }
}

function applicationOf(p: RpmPackage): Application2 {
  const app = emptyApplication(p.name);
  app.app2_epoch = p.epoch;
  app.app2_version = p.version;
  app.app2_release = p.release;
  app.app2_arch = p.arch;
  app.app2_url = p.url;
  app.app2_summary = p.summary;
  app.app2_description = p.description;
  return app;
}

/** The guest's installed RPMs (unsorted), or [] with a warning when the database is missing, old-format or corrupt. */
export async function listRpmApplications(r: GuestReader): Promise<Application2[]> {
  let file: Uint8Array | null = null;
  for (const dir of RPMDB_DIRS) {
    const real = await guestRealpath(r, `${dir}/rpmdb.sqlite`);
    if (real && (file = await r.readBytes(real, MAX_RPMDB))) break;
    if (real && (await r.isFile(real))) {
      r.warn(`${dir}/rpmdb.sqlite: unreadable or larger than ${MAX_RPMDB} bytes: no applications listed`);
      return [];
    }
  }
  if (!file) {
    for (const dir of RPMDB_DIRS) {
      for (const name of OTHER_BACKENDS) {
        if (await r.exists(`${dir}/${name}`)) {
          r.warn(`${dir}/${name}: this rpm database format is not supported (only rpmdb.sqlite): no applications listed`);
          return [];
        }
      }
    }
    r.warn('no rpm database found: no applications listed');
    return [];
  }
  let blobs: Uint8Array[];
  try {
    blobs = await readRpmdbBlobs(file);
  } catch (e) {
    r.warn(`rpmdb.sqlite: cannot read the database (${(e as Error).message}): no applications listed`);
    return [];
  }
  const apps: Application2[] = [];
  blobs.forEach((blob, i) => {
    try {
      apps.push(applicationOf(rpmPackageOf(blob)));
    } catch (e) {
      r.warn(`rpmdb.sqlite: package header ${i + 1} is corrupt (${(e as Error).message}): skipped`);
    }
  });
  // libguestfs collects the packages newest first before its (stable) sort by name.
  return apps.reverse();
}
