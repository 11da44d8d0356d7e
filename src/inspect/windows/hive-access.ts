/**
 * Opening a guest's registry hive for inspection: the bytes come through the
 * GuestReader (either backend) and are parsed by src/hive. Every failure is a
 * warning and a null, never a throw, so one corrupt hive costs only its facts.
 */
import { Hive } from '../../hive/index.js';
import type { GuestReader } from '../guest-reader.js';

/** Real SOFTWARE hives reach a few hundred MiB; read-file must hold one whole. */
const HIVE_MAX_BYTES = 1024 * 1024 * 1024;

export async function openGuestHive(r: GuestReader, path: string): Promise<Hive | null> {
  const bytes = await r.readBytes(path, HIVE_MAX_BYTES);
  if (!bytes) {
    r.warn(`${path}: cannot read the registry hive`);
    return null;
  }
  try {
    const hive = Hive.open(bytes, { name: path });
    for (const w of hive.warnings) r.warn(`${path}: ${w}`);
    return hive;
  } catch (e) {
    r.warn(`${path}: ${(e as Error).message}`);
    return null;
  }
}

/**
 * Runs one fact's extraction: a HiveError (corrupt cell, wrong value type) becomes a
 * warning and `fallback`, so the other facts from the same hive are still read.
 */
export function hiveFact<T>(r: GuestReader, what: string, fallback: T, f: () => T): T {
  try {
    return f();
  } catch (e) {
    r.warn(`${what}: ${(e as Error).message}`);
    return fallback;
  }
}

/** The values of a key by exact name (libguestfs looks these up with List.assoc, case-sensitively). */
export function valuesByName(hive: Hive, node: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of hive.nodeValues(node)) {
    const k = hive.valueKey(v);
    if (!m.has(k)) m.set(k, v);
  }
  return m;
}
