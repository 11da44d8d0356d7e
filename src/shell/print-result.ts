/** Prints a command's result the way guestfish does, by return kind. */
import type { CommandDef } from '../api/types.js';

export function formatResult(def: CommandDef, result: unknown): string | Uint8Array {
  switch (def.ret) {
    case 'void':
      return '';
    case 'string':
      // A NULL string (get-append unset) prints as C's printf does.
      return `${(result as string | null) ?? '(null)'}\n`;
    case 'strings':
      return (result as string[]).map((s) => `${s}\n`).join('');
    case 'bool':
      return result ? 'true\n' : 'false\n';
    case 'int':
    case 'int64':
      // An integer beyond 2^53 prints its exact value, as C's %ld would, not JS's rounded exponent-free form.
      if (def.fishOutput === 'hex') return `0x${(result as number).toString(16)}\n`;
      // C's %#o: a leading 0 unless the value is 0.
      if (def.fishOutput === 'octal') return `${result ? '0' : ''}${(result as number).toString(8)}\n`;
      return `${Number.isInteger(result) ? BigInt(result as number) : result}\n`;
    case 'buffer':
      return result as Uint8Array;
    case 'struct': {
      const r = result as Record<string, unknown>;
      const keys = def.fields ?? Object.keys(r);
      return keys.map((k) => `${k}: ${field(k, r[k])}\n`).join('');
    }
    case 'structs': {
      const keysOf = (r: Record<string, unknown>) => def.fields ?? Object.keys(r);
      return (result as Record<string, unknown>[])
        .map((r, i) => `[${i}] = {\n${keysOf(r).map((k) => `  ${k}: ${field(k, r[k])}\n`).join('')}}\n`)
        .join('');
    }
    case 'hash':
      return Object.entries(result as Record<string, string>).map(([k, v]) => `${k}: ${v}\n`).join('');
  }
}

/**
 * A struct field as guestfish prints it: xattr's attrval is a byte buffer (FBuffer), printed with
 * what is not printable ASCII as \xNN; every other field as it is.
 */
function field(key: string, value: unknown): unknown {
  if (key !== 'attrval' || typeof value !== 'string') return value;
  return value.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
