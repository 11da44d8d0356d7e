/**
 * Edits of a guest's registry hive (the SYSTEM hive for customize): the file is
 * read, changed with src/hive, and written back whole, so this works on every
 * backend that can read and write the guest's files.
 */
import type { Guestfs } from '../core/guestfs.js';
import { Hive } from '../hive/hive.js';
import { ErrnoError } from '../errors/index.js';

export const REG_SZ = 1;
export const REG_DWORD = 4;

export type RegValue = { type: 'sz'; value: string } | { type: 'dword'; value: number };

export interface RegEdit {
  /** Key path below the hive's root, e.g. ['ControlSet001', 'Services', 'firstboot']. */
  key: string[];
  values: Record<string, RegValue>;
}

function encode(v: RegValue): { type: number; value: Uint8Array } {
  if (v.type === 'sz') return { type: REG_SZ, value: new Uint8Array(Buffer.from(`${v.value}\0`, 'utf16le')) };
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v.value >>> 0);
  return { type: REG_DWORD, value: new Uint8Array(b) };
}

/** Applies the edits (creating missing keys) to the hive file at `hivePath` in the guest. */
export async function editHive(g: Guestfs, hivePath: string, edits: RegEdit[]): Promise<void> {
  if (!(await g.isFile(hivePath, { followsymlinks: true }))) throw new ErrnoError('ENOENT', `${hivePath}: the registry hive is missing`);
  const hive = Hive.open(await g.readFile(hivePath), { write: true, name: hivePath });
  for (const e of edits) {
    let node = hive.root();
    for (const name of e.key) node = hive.nodeGetChild(node, name) ?? hive.nodeAddChild(node, name);
    for (const [key, v] of Object.entries(e.values)) hive.nodeSetValue(node, { key, ...encode(v) });
  }
  await g.write(hivePath, hive.commit());
}

/** The guest path of the SYSTEM hive and the current control set, from inspection. */
export function windowsSystem(facts: { windowsSystemHive?: string; windowsCurrentControlSet?: string; windowsSystemroot?: string }): { hive: string; controlSet: string } {
  const hive = facts.windowsSystemHive ?? (facts.windowsSystemroot ? `${facts.windowsSystemroot}/System32/config/SYSTEM` : undefined);
  if (!hive) throw new ErrnoError('EINVAL', 'inspection did not find the Windows SYSTEM hive');
  return { hive, controlSet: facts.windowsCurrentControlSet ?? 'ControlSet001' };
}
