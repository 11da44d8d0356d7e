/**
 * Evaluates the C conditions of libguestfs's TestResult records (tests/c-api's
 * helpers: is_string_list, is_device_list, compare_buffers, check_hash,
 * match_re, get_key, STREQ, S_ISxxx, INT64_C) over guestkit's results. The
 * grammar is the slice of C they use: literals, ret/retN/size, ret->field,
 * calls, ! * / % & + - comparisons && ||, parentheses.
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type CValue = unknown;

export interface CScope {
  /** ret (the last command's result), ret1, ret2… (earlier results, ret1 the one before last), size. */
  vars: Record<string, CValue>;
  /** The host file standing for an upstream test-data path (check_file_md5's argument). */
  hostFile?: (upstreamPath: string) => string;
}

type Tok = { k: 'num' | 'str' | 'id' | 'op'; v: string };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"') {
      let s = '';
      i++;
      while (src[i] !== '"') {
        if (i >= src.length) throw new Error(`unterminated string in ${src}`);
        if (src[i] === '\\') {
          const e = src[i + 1]!;
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"' };
          const oct = /^[0-7]{1,3}/.exec(src.slice(i + 1));
          if (oct) { s += String.fromCharCode(parseInt(oct[0], 8)); i += 1 + oct[0].length; continue; }
          if (e === 'x') { s += String.fromCharCode(parseInt(src.slice(i + 2, i + 4), 16)); i += 4; continue; }
          if (!(e in map)) throw new Error(`unknown C escape \\${e}`);
          s += map[e];
          i += 2;
        } else s += src[i++];
      }
      i++;
      out.push({ k: 'str', v: s });
      continue;
    }
    const num = /^(0x[0-9a-fA-F]+|[0-9]+)[uUlL]*/.exec(src.slice(i));
    if (num) { out.push({ k: 'num', v: num[1]! }); i += num[0].length; continue; }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) { out.push({ k: 'id', v: id[0] }); i += id[0].length; continue; }
    const op = /^(->|==|!=|<=|>=|&&|\|\||[-+*/%&<>!(),])/.exec(src.slice(i));
    if (!op) throw new Error(`unexpected '${c}' in ${src}`);
    out.push({ k: 'op', v: op[0] });
    i += op[0].length;
  }
  return out;
}

const num = (v: CValue): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  throw new Error(`not a number: ${JSON.stringify(v)}`);
};
const truthy = (v: CValue): boolean => (v === null || v === undefined ? false : typeof v === 'string' || typeof v === 'object' ? true : num(v) !== 0);
const bytes = (v: CValue): Uint8Array => (v instanceof Uint8Array ? v : v === null ? new Uint8Array() : Buffer.from(String(v), 'latin1'));
const strings = (v: CValue): string[] => {
  // An RHashtable is a flat key, value, key, value... list in C.
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)) return Object.entries(v).flat().map(String);
  if (!Array.isArray(v)) throw new Error(`not a string list: ${JSON.stringify(v)}`);
  return v.map(String);
};

/** /dev/sda1 and /dev/vda1 are the same device to the tests (tests-main.c's compare_devices). */
export function sameDevice(a: string, b: string): boolean {
  const strip = (d: string) => d.replace(/^\/dev\//, '').replace(/^(?:sd|hd|vd|ubd|xvd)/, '');
  return strip(a) === strip(b);
}

function hashGet(h: CValue, key: string): string | null {
  if (h && typeof h === 'object' && !Array.isArray(h)) {
    const v = (h as Record<string, unknown>)[key];
    return v === undefined ? null : String(v);
  }
  if (Array.isArray(h)) {
    for (let i = 0; i + 1 < h.length; i += 2) if (h[i] === key) return String(h[i + 1]);
    return null;
  }
  throw new Error(`not a hash: ${JSON.stringify(h)}`);
}

const S_IFMT = 0o170000;
const FILE_TYPES: Record<string, number> = { S_ISREG: 0o100000, S_ISDIR: 0o040000, S_ISLNK: 0o120000, S_ISCHR: 0o020000, S_ISBLK: 0o060000, S_ISFIFO: 0o010000, S_ISSOCK: 0o140000 };

const FUNCTIONS: Record<string, (args: CValue[], scope: CScope) => CValue> = {
  check_file_md5: ([ret, file], scope) => {
    const path = scope.hostFile?.(String(file));
    if (!path) throw new Error(`no host file for ${String(file)}`);
    return createHash('md5').update(readFileSync(path)).digest('hex') === ret ? 0 : -1;
  },
  is_string_list: ([ret, n, ...want]) => {
    const got = strings(ret);
    return got.length === num(n) && want.length === num(n) && got.every((s, i) => s === want[i]) ? 1 : 0;
  },
  is_device_list: ([ret, n, ...want]) => {
    const got = strings(ret);
    return got.length === num(n) && want.length === num(n) && got.every((s, i) => sameDevice(s, String(want[i]))) ? 1 : 0;
  },
  compare_buffers: ([a, sa, b, sb]) => {
    const x = bytes(a).subarray(0, num(sa));
    const y = bytes(b).subarray(0, num(sb));
    if (num(sa) !== num(sb)) return num(sa) - num(sb);
    return Buffer.compare(Buffer.from(x), Buffer.from(y));
  },
  STREQ: ([a, b]) => (a === b ? 1 : 0),
  STRNEQ: ([a, b]) => (a !== b ? 1 : 0),
  get_key: ([h, k]) => hashGet(h, String(k)),
  check_hash: ([h, k, want]) => (hashGet(h, String(k)) === want ? 0 : -1),
  match_re: ([s, re]) => (s !== null && new RegExp(String(re)).test(String(s)) ? 1 : 0),
  INT64_C: ([v]) => v,
  UINT64_C: ([v]) => v,
  ...Object.fromEntries(Object.entries(FILE_TYPES).map(([f, t]) => [f, ([m]: CValue[]) => ((num(m) & S_IFMT) === t ? 1 : 0)])),
};

class Evaluator {
  private p = 0;
  constructor(private readonly toks: Tok[], private readonly scope: CScope) {}

  private peek(): Tok | undefined { return this.toks[this.p]; }
  private eat(v: string): boolean {
    const t = this.peek();
    if (t?.k === 'op' && t.v === v) { this.p++; return true; }
    return false;
  }

  run(): CValue {
    const v = this.binary(0);
    if (this.p !== this.toks.length) throw new Error(`trailing tokens at ${this.toks[this.p]!.v}`);
    return v;
  }

  private static readonly LEVELS: string[][] = [['||'], ['&&'], ['==', '!='], ['<', '>', '<=', '>='], ['&'], ['+', '-'], ['*', '/', '%']];

  /** Precedence climbing; && and || short-circuit like C. */
  private binary(level: number): CValue {
    if (level === Evaluator.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (!(t?.k === 'op' && Evaluator.LEVELS[level]!.includes(t.v))) return left;
      this.p++;
      if (t.v === '&&' && !truthy(left)) { this.skip(level + 1); left = 0; continue; }
      if (t.v === '||' && truthy(left)) { this.skip(level + 1); left = 1; continue; }
      const right = this.binary(level + 1);
      left = this.apply(t.v, left, right);
    }
  }

  /** Parses an operand without evaluating it (the short-circuited side). */
  private skip(level: number): void {
    const saved = { ...this.scope.vars };
    try { this.binary(level); } catch { /* not evaluated in C either */ }
    this.scope.vars = saved;
  }

  private apply(op: string, a: CValue, b: CValue): CValue {
    switch (op) {
      case '&&': return truthy(a) && truthy(b) ? 1 : 0;
      case '||': return truthy(a) || truthy(b) ? 1 : 0;
      case '==': return num(a) === num(b) ? 1 : 0;
      case '!=': return num(a) !== num(b) ? 1 : 0;
      case '<': return num(a) < num(b) ? 1 : 0;
      case '>': return num(a) > num(b) ? 1 : 0;
      case '<=': return num(a) <= num(b) ? 1 : 0;
      case '>=': return num(a) >= num(b) ? 1 : 0;
      case '&': return num(a) & num(b);
      case '+': return num(a) + num(b);
      case '-': return num(a) - num(b);
      case '*': return num(a) * num(b);
      case '/': return Math.trunc(num(a) / num(b));
      case '%': return num(a) % num(b);
    }
    throw new Error(`operator ${op}`);
  }

  private unary(): CValue {
    if (this.eat('!')) return truthy(this.unary()) ? 0 : 1;
    if (this.eat('-')) return -num(this.unary());
    return this.postfix();
  }

  private postfix(): CValue {
    let v = this.primary();
    while (this.eat('->')) {
      const field = this.toks[this.p++]!.v;
      if (!v || typeof v !== 'object' || !(field in v)) throw new Error(`result has no field ${field}: ${JSON.stringify(v)}`);
      v = (v as Record<string, unknown>)[field];
    }
    return v;
  }

  private primary(): CValue {
    const t = this.toks[this.p++];
    if (!t) throw new Error('unexpected end of condition');
    if (t.k === 'num') return t.v.startsWith('0x') ? parseInt(t.v, 16) : t.v.length > 1 && t.v.startsWith('0') ? parseInt(t.v, 8) : Number(t.v);
    if (t.k === 'str') return t.v;
    if (t.k === 'op' && t.v === '(') {
      const v = this.binary(0);
      if (!this.eat(')')) throw new Error('missing )');
      return v;
    }
    if (t.k === 'id') {
      if (this.eat('(')) {
        const args: CValue[] = [];
        if (!this.eat(')')) {
          do args.push(this.binary(0)); while (this.eat(','));
          if (!this.eat(')')) throw new Error('missing ) after arguments');
        }
        const f = FUNCTIONS[t.v];
        if (!f) throw new Error(`unknown check function ${t.v}`);
        return f(args, this.scope);
      }
      if (t.v === 'NULL') return null;
      if (t.v in this.scope.vars) return this.scope.vars[t.v];
      throw new Error(`unknown name ${t.v}`);
    }
    throw new Error(`unexpected '${t.v}'`);
  }
}

/** True when the condition holds; throws on a condition it cannot read or a result of the wrong shape. */
export function evalCheck(expr: string, scope: CScope): boolean {
  return truthy(new Evaluator(lex(expr), scope).run());
}
