/**
 * Export of a key tree as regedit text, in the form `hivexregedit --export`
 * prints it: keys depth-first with subkeys sorted by name, values sorted by
 * name, the default value as @, REG_DWORD as dword:, every other type
 * (strings included) as hex(TYPE): bytes, one value per line.
 */
import { REG_DWORD } from './format.js';
import type { Hive } from './hive.js';

const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** One value line, e.g. `"Name"=dword:0000000a`. */
export function regValueLine(hive: Hive, value: number): string {
  const key = hive.valueKey(value);
  const { type, bytes } = hive.valueValue(value);
  const name = key === '' ? '@' : quote(key);
  if (type === REG_DWORD && bytes.length === 4) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
    return `${name}=dword:${n.toString(16).padStart(8, '0')}`;
  }
  return `${name}=hex(${type.toString(16)}):${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(',')}`;
}

/**
 * Regedit text for a key and everything below it. `prefix` is put before each
 * key path (e.g. 'HKEY_LOCAL_MACHINE\\SOFTWARE'); paths start with '\\'.
 */
export function exportReg(hive: Hive, node: number = hive.root(), prefix = ''): string {
  const out: string[] = ['Windows Registry Editor Version 5.00', ''];
  const base = hive.nodePath(node);
  const visit = (n: number, path: string, depth: number): void => {
    if (depth > 512) throw new Error('key tree too deep');
    out.push(`[${prefix}${path}]`);
    const vals = hive.nodeValues(n).map((v) => ({ v, k: hive.valueKey(v) }));
    vals.sort((a, b) => byCodePoint(a.k, b.k));
    for (const { v } of vals) out.push(regValueLine(hive, v));
    out.push('');
    const kids = hive.nodeChildren(n).map((c) => ({ c, name: hive.nodeName(c) }));
    kids.sort((a, b) => byCodePoint(a.name, b.name));
    for (const { c, name } of kids) visit(c, path === '\\' ? `\\${name}` : `${path}\\${name}`, depth + 1);
  };
  visit(node, base, 0);
  return out.join('\n') + '\n';
}
