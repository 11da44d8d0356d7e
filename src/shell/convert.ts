/** Turns fish words into typed arguments for a command definition. */
import type { ArgKind, CommandDef, OptArgKind } from '../api/types.js';
import { synopsis } from './synopsis.js';
import { UsageError } from './usage-error.js';
import type { Word } from './tokenize.js';

/**
 * Integers as guestfish reads them (strtoll with base 0): decimal, 0-prefixed octal,
 * 0x hex, optional sign. Its messages name the command and the argument, with
 * xstrtoll's status: 4 when no digits, 2 when junk follows them.
 */
export function parseInteger(text: string, command: string, arg: string, bits: 32 | 64 = 64): number {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(.*)$/s.exec(text);
  if (!m) throw new UsageError(`${command}: ${arg}: invalid integer parameter (xstrtoll returned 4)\n`);
  if (m[3] !== '') throw new UsageError(`${command}: ${arg}: invalid integer parameter (xstrtoll returned 2)\n`);
  const body = m[2]!;
  const digits = /^0[xX]/.test(body) ? `0x${body.slice(2)}` : body.length > 1 && body.startsWith('0') ? `0o${body.slice(1)}` : body;
  const v = m[1] === '-' ? -BigInt(digits) : BigInt(digits);
  const limit = 1n << BigInt(bits - 1);
  if (v < -limit || v >= limit) throw new UsageError(`${command}: ${arg}: integer out of range\n`);
  return Number(v);
}

const TRUE = new Set(['1', 'true', 't', 'yes', 'y', 'on']);
const FALSE = new Set(['0', 'false', 'f', 'no', 'n', 'off']);

export function parseBool(text: string): boolean {
  const t = text.toLowerCase();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  throw new UsageError(`guestfish: '${text}': invalid boolean value, use 'true' or 'false'\n`);
}

function convert(kind: ArgKind | OptArgKind, text: string, command: string, arg: string): unknown {
  switch (kind) {
    case 'Int':
      return parseInteger(text, command, arg, 32);
    case 'Int64':
      return parseInteger(text, command, arg, 64);
    case 'Bool':
      return parseBool(text);
    case 'StringList':
    case 'DeviceList':
    case 'FilenameList':
    case 'PathnameList':
      return text.split(/\s+/).filter((s) => s !== '');
    case 'OptString':
      return text === 'NULL' || text === '' ? null : text;
    default:
      return text;
  }
}

export interface FishCall {
  args: unknown[];
  optargs: Record<string, unknown>;
}

/**
 * Required arguments first, then `name:value` optional arguments. Key arguments
 * take no word: `readKey` supplies them (after the words are checked, as guestfish asks).
 */
export function convertArgs(def: CommandDef, words: Word[], readKey?: (argName: string) => string): FishCall {
  const need = def.args.filter((a) => a.kind !== 'Key').length;
  const opts = def.optargs ?? [];
  if (words.length < need || words.length > need + opts.length) throw UsageError.arity(def.name, synopsis(def));
  let w = 0;
  const args = def.args.map((a) => {
    if (a.kind !== 'Key') return convert(a.kind, words[w++]!.text, def.name, a.name);
    if (!readKey) throw new UsageError(`${def.name}: ${a.name}: no way to read a key\n`);
    return readKey(a.name);
  });
  const optargs: Record<string, unknown> = {};
  for (const w of words.slice(need)) {
    const colon = w.text.indexOf(':');
    const name = colon > 0 ? w.text.slice(0, colon) : '';
    const od = opts.find((o) => o.name === name);
    if (!od) throw new UsageError(`${def.name}: unknown optional argument "${w.text}"\n`);
    optargs[name] = convert(od.kind, w.text.slice(colon + 1), def.name, name);
  }
  return { args, optargs };
}
