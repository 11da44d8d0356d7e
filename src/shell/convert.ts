/** Turns fish words into typed arguments for a command definition. */
import type { ArgKind, CommandDef, OptArgKind } from '../api/types.js';
import { ErrnoError } from '../errors/index.js';
import type { Word } from './tokenize.js';

/** Integers as guestfish reads them: decimal, 0-prefixed octal, 0x hex, optional sign. */
export function parseInteger(text: string, what: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text.trim());
  if (!m) throw new ErrnoError('EINVAL', `${what}: invalid integer parameter (${text})`);
  const body = m[2]!;
  const v = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : body.length > 1 && body.startsWith('0') ? parseInt(body, 8) : parseInt(body, 10);
  return m[1] === '-' ? -v : v;
}

const TRUE = new Set(['1', 'true', 't', 'yes', 'y', 'on']);
const FALSE = new Set(['0', 'false', 'f', 'no', 'n', 'off']);

export function parseBool(text: string, what: string): boolean {
  const t = text.toLowerCase();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  throw new ErrnoError('EINVAL', `${what}: expecting a boolean (true or false), got '${text}'`);
}

function convert(kind: ArgKind | OptArgKind, text: string, what: string): unknown {
  switch (kind) {
    case 'Int':
    case 'Int64':
      return parseInteger(text, what);
    case 'Bool':
      return parseBool(text, what);
    case 'StringList':
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

/** Required arguments first, then `name:value` optional arguments. */
export function convertArgs(def: CommandDef, words: Word[]): FishCall {
  const need = def.args.length;
  const opts = def.optargs ?? [];
  if (words.length < need || words.length > need + opts.length) {
    const usage = [def.name, ...def.args.map((a) => a.name), ...opts.map((o) => `[${o.name}:..]`)].join(' ');
    throw new ErrnoError('EINVAL', `invalid number of arguments, expecting ${need}${opts.length ? ` to ${need + opts.length}` : ''} (usage: ${usage})`);
  }
  const args = def.args.map((a, i) => convert(a.kind, words[i]!.text, a.name));
  const optargs: Record<string, unknown> = {};
  for (const w of words.slice(need)) {
    const colon = w.text.indexOf(':');
    const name = colon > 0 ? w.text.slice(0, colon) : '';
    const od = opts.find((o) => o.name === name);
    if (!od) throw new ErrnoError('EINVAL', `optional argument "${w.text}" not recognized (expecting one of: ${opts.map((o) => o.name).join(', ')})`);
    optargs[name] = convert(od.kind, w.text.slice(colon + 1), name);
  }
  return { args, optargs };
}
