/**
 * Finding the Windows system root on the filesystem mounted at '/', as
 * libguestfs does: the first of /windows, /winnt, /win32, /win, /reactos
 * (any case) that has system32/, system32/config/ and system32/cmd.exe; failing
 * that, the multi(...)/scsi(...) entries of boot.ini's [operating systems]
 * section, whose path is assumed to be on this same partition.
 */
import type { GuestReader } from '../guest-reader.js';

export const SYSTEMROOT_CANDIDATES = ['/windows', '/winnt', '/win32', '/win', '/reactos'];

const BOOT_INI_OS = /^(multi|scsi)\((\d+)\)disk\((\d+)\)rdisk\((\d+)\)partition\((\d+)\)([^=]+)=/;

async function isDirNocase(r: GuestReader, path: string): Promise<boolean> {
  const p = await r.caseInsensitive(path);
  return p !== null && (await r.isDir(p));
}

async function isFileNocase(r: GuestReader, path: string): Promise<boolean> {
  const p = await r.caseInsensitive(path);
  return p !== null && (await r.isFile(p));
}

/** A real system root, not just a directory that happens to have the name. */
export async function isSystemroot(r: GuestReader, root: string): Promise<boolean> {
  return (
    (await isDirNocase(r, `${root}/system32`)) &&
    (await isDirNocase(r, `${root}/system32/config`)) &&
    (await isFileNocase(r, `${root}/system32/cmd.exe`))
  );
}

/** System roots named by boot.ini text, in order ("\WINDOWS" → "/WINDOWS"). */
export function bootIniSystemroots(text: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('[operating systems]'));
  if (start < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith('multi(') && !l.startsWith('scsi(')) break;
    const m = BOOT_INI_OS.exec(l);
    if (m) out.push(m[6]!.replace(/\\/g, '/'));
  }
  return out;
}

/** The system root as stored on disk (e.g. "/Windows"), or null when '/' is no Windows root. */
export async function findSystemroot(r: GuestReader): Promise<string | null> {
  for (const cand of SYSTEMROOT_CANDIDATES) {
    const p = await r.caseInsensitive(cand);
    if (p !== null && (await isSystemroot(r, p))) return p;
  }
  const bootIni = await r.caseInsensitive('/boot.ini');
  if (bootIni === null) return null;
  const text = await r.readText(bootIni, 1024 * 1024);
  if (text === null) return null;
  for (const p of bootIniSystemroots(text)) {
    if (p.startsWith('/') && (await isSystemroot(r, p))) return p;
  }
  return null;
}
