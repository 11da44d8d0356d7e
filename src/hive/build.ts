/**
 * Builds hives from a plain description, through the Hive write API, starting
 * from an empty hive made by Hive.create(). Used for test fixtures.
 *
 *   buildHive({
 *     keys: {
 *       'Microsoft\\Windows NT\\CurrentVersion': {
 *         ProductName: { type: REG_SZ, value: 'Windows 10 Pro' },
 *         CurrentMajorVersionNumber: { type: REG_DWORD, value: 10 },
 *       },
 *       'Empty\\Key': {},
 *     },
 *   })
 *
 * Value names '' and '@' both mean the default value. Keys are created in the
 * order given (parents first, automatically).
 */
import { Hive, type HiveCreateOptions } from './hive.js';
import { encodeValueData, REG_BINARY, REG_DWORD, REG_MULTI_SZ, REG_QWORD, REG_SZ } from './format.js';

export type HiveValueSpec =
  | { type: number; value: string | number | bigint | readonly string[] | Uint8Array }
  /** A string is REG_SZ, a number REG_DWORD, a bigint REG_QWORD, an array REG_MULTI_SZ, bytes REG_BINARY. */
  | string
  | number
  | bigint
  | readonly string[]
  | Uint8Array;

export interface HiveSpec extends HiveCreateOptions {
  keys: Record<string, Record<string, HiveValueSpec>>;
}

export function specToValue(spec: HiveValueSpec): { type: number; value: Uint8Array } {
  if (spec instanceof Uint8Array) return { type: REG_BINARY, value: spec };
  if (typeof spec === 'string') return { type: REG_SZ, value: encodeValueData(REG_SZ, spec) };
  if (typeof spec === 'number') return { type: REG_DWORD, value: encodeValueData(REG_DWORD, spec) };
  if (typeof spec === 'bigint') return { type: REG_QWORD, value: encodeValueData(REG_QWORD, spec) };
  if (Array.isArray(spec)) return { type: REG_MULTI_SZ, value: encodeValueData(REG_MULTI_SZ, spec as readonly string[]) };
  const s = spec as { type: number; value: string | number | bigint | readonly string[] | Uint8Array };
  return { type: s.type, value: encodeValueData(s.type, s.value) };
}

/** Creates (or finds) the key at a '\\'-separated path, creating missing parents. */
export function ensureKey(hive: Hive, path: string): number {
  let n = hive.root();
  for (const part of path.split('\\')) {
    if (part === '') continue;
    n = hive.nodeGetChild(n, part) ?? hive.nodeAddChild(n, part);
  }
  return n;
}

/** Adds the keys and values of a description to an open, writable hive. */
export function applySpec(hive: Hive, keys: HiveSpec['keys']): void {
  for (const [path, values] of Object.entries(keys)) {
    const node = ensureKey(hive, path);
    for (const [name, spec] of Object.entries(values)) {
      const { type, value } = specToValue(spec);
      hive.nodeSetValue(node, { key: name === '@' ? '' : name, type, value });
    }
  }
}

/** A new hive file with these keys and values. */
export function buildHive(spec: HiveSpec): Uint8Array {
  const hive = Hive.create(spec);
  applySpec(hive, spec.keys);
  return hive.commit();
}

/** Bytes of an empty hive (just a root key). */
export function emptyHive(opts: HiveCreateOptions = {}): Uint8Array {
  return Hive.create(opts).commit();
}
