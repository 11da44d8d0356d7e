/**
 * A reader for the small subset of OCaml that libguestfs's generator uses to
 * write its per-command test records: string literals (with `^`), integers,
 * constructors with one argument, tuples, lists, and `(* comments *)`.
 * Anything else is read as an opaque word so the caller can skip it.
 */

export type OValue =
  | { t: 'str'; v: string }
  | { t: 'int'; v: number }
  | { t: 'ctor'; name: string; arg?: OValue }
  | { t: 'tuple'; items: OValue[] }
  | { t: 'list'; items: OValue[] };

export interface Token {
  kind: 'str' | 'int' | 'ident' | 'punct';
  text: string;
}

/** OCaml escapes: \n \t \r \b \\ \" \' \ddd (decimal) \xhh \o ooo, and backslash-newline. */
function readEscape(src: string, i: number): { text: string; next: number } {
  const c = src[i]!;
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', '\\': '\\', '"': '"', "'": "'", ' ': ' ' };
  if (c in simple) return { text: simple[c]!, next: i + 1 };
  if (/[0-9]/.test(c)) return { text: String.fromCharCode(parseInt(src.slice(i, i + 3), 10)), next: i + 3 };
  if (c === 'x') return { text: String.fromCharCode(parseInt(src.slice(i + 1, i + 3), 16)), next: i + 3 };
  if (c === 'o') return { text: String.fromCharCode(parseInt(src.slice(i + 1, i + 4), 8)), next: i + 4 };
  if (c === '\n') {
    let j = i + 1;
    while (src[j] === ' ' || src[j] === '\t') j++;
    return { text: '', next: j };
  }
  throw new Error(`unknown OCaml escape \\${c}`);
}

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (src.startsWith('(*', i)) {
      let depth = 1;
      i += 2;
      while (i < src.length && depth > 0) {
        if (src.startsWith('(*', i)) { depth++; i += 2; } else if (src.startsWith('*)', i)) { depth--; i += 2; } else i++;
      }
      continue;
    }
    if (c === '"') {
      let text = '';
      i++;
      while (src[i] !== '"') {
        if (i >= src.length) throw new Error('unterminated string');
        if (src[i] === '\\') {
          const e = readEscape(src, i + 1);
          text += e.text;
          i = e.next;
        } else text += src[i++];
      }
      i++;
      out.push({ kind: 'str', text });
      continue;
    }
    const quoted = /^\{([a-z_]*)\|/.exec(src.slice(i, i + 20));
    if (quoted) {
      const close = `|${quoted[1]}}`;
      const end = src.indexOf(close, i + quoted[0].length);
      if (end < 0) throw new Error('unterminated quoted string');
      out.push({ kind: 'str', text: src.slice(i + quoted[0].length, end) });
      i = end + close.length;
      continue;
    }
    if (c === "'" && src[i + 2] === "'") { out.push({ kind: 'str', text: src[i + 1]! }); i += 3; continue; }
    const num = /^-?[0-9][0-9_]*L?/.exec(src.slice(i, i + 30));
    if (num && (c !== '-' || /[0-9]/.test(src[i + 1] ?? ''))) {
      out.push({ kind: 'int', text: num[0].replace(/[_L]/g, '') });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_'.]*/.exec(src.slice(i, i + 200));
    if (id) { out.push({ kind: 'ident', text: id[0] }); i += id[0].length; continue; }
    const two = src.slice(i, i + 2);
    if (['::', '->', '<-', ':=', '||', '&&', '<>', '<=', '>=', '=='].includes(two)) { out.push({ kind: 'punct', text: two }); i += 2; continue; }
    out.push({ kind: 'punct', text: c });
    i++;
  }
  return out;
}

/** A cursor over tokens that parses OCaml values (see the header for the subset). */
export class ValueParser {
  pos = 0;
  /** Names bound by `let … in` (and the generator's constants, given by the caller). */
  readonly env = new Map<string, OValue>();
  constructor(readonly toks: Token[], constants: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(constants)) this.env.set(k, { t: 'str', v });
  }

  peek(o = 0): Token | undefined { return this.toks[this.pos + o]; }
  isPunct(text: string, o = 0): boolean { const t = this.peek(o); return t?.kind === 'punct' && t.text === text; }
  expect(text: string): void {
    if (!this.isPunct(text)) throw new Error(`expected '${text}' at token ${this.pos}, got '${this.peek()?.text}'`);
    this.pos++;
  }

  /** value {, value} — a bare tuple. */
  expr(): OValue {
    const first = this.concat();
    if (!this.isPunct(',')) return first;
    const items = [first];
    while (this.isPunct(',')) { this.pos++; items.push(this.concat()); }
    return { t: 'tuple', items };
  }

  private concat(): OValue {
    if (this.peek()?.kind === 'ident' && this.peek()!.text === 'let') return this.letIn();
    let v = this.product();
    while (this.isPunct('^')) {
      this.pos++;
      const r = this.product();
      if (v.t !== 'str' || r.t !== 'str') throw new Error('^ on non-strings');
      v = { t: 'str', v: v.v + r.v };
    }
    return v;
  }

  /** `let name = value in body` */
  private letIn(): OValue {
    this.pos++;
    const name = this.peek()!.text;
    this.pos++;
    this.expect('=');
    const value = this.concat();
    if (this.peek()?.text !== 'in') throw new Error(`expected 'in' after let ${name}`);
    this.pos++;
    this.env.set(name, value);
    return this.concat();
  }

  /** Integer products (`1024 * 1024`), the only arithmetic the test records use on known values. */
  private product(): OValue {
    let v = this.primary();
    while (this.isPunct('*') && v.t === 'int') {
      this.pos++;
      const r = this.primary();
      if (r.t !== 'int') throw new Error('* on non-integers');
      v = { t: 'int', v: v.v * r.v };
    }
    return v;
  }

  /**
   * `(Unix.stat "F").Unix.st_size - N)` after its opening parenthesis: a host
   * file's size less N, known only where the test runs: a placeholder.
   */
  private hostFileSize(): OValue | undefined {
    const [a, b, c, d, e] = [0, 1, 2, 3, 4].map((o) => this.peek(o));
    if (!(a?.text === '(' && b?.text === 'Unix.stat' && c?.kind === 'str' && d?.text === ')' && e?.text === '.')) return undefined;
    this.pos += 6;
    let delta = 0;
    if (this.isPunct('-')) { this.pos++; delta = -Number(this.peek()!.text); this.pos++; }
    this.expect(')');
    return { t: 'str', v: `\${size:${c.text}:${delta}}` };
  }

  /** Functions of the generator's OCaml the test records call. */
  private apply(fn: string): OValue | undefined {
    if (fn === 'string_of_int') {
      const v = this.primary();
      if (v.t === 'str' && v.v.startsWith('${size:')) return v;
      if (v.t !== 'int') throw new Error('string_of_int of a non-integer');
      return { t: 'str', v: String(v.v) };
    }
    if (fn === 'Digest.to_hex' && this.isPunct('(') && this.peek(1)?.text === 'Digest.file' && this.peek(2)?.kind === 'str') {
      // The MD5 of a host file, known only where the test runs: kept as a placeholder.
      const file = this.peek(2)!.text;
      this.pos += 3;
      this.expect(')');
      return { t: 'str', v: `\${md5:${file}}` };
    }
    return undefined;
  }

  private startsValue(): boolean {
    const t = this.peek();
    if (!t) return false;
    return t.kind === 'str' || t.kind === 'int' || (t.kind === 'punct' && (t.text === '(' || t.text === '['));
  }

  primary(): OValue {
    const t = this.peek();
    if (!t) throw new Error('unexpected end of input');
    this.pos++;
    if (t.kind === 'str') return { t: 'str', v: t.text };
    if (t.kind === 'int') return { t: 'int', v: Number(t.text) };
    if (t.kind === 'ident') {
      const bound = this.env.get(t.text);
      if (bound) return bound;
      const applied = this.apply(t.text);
      if (applied) return applied;
      if (this.startsValue()) return { t: 'ctor', name: t.text, arg: this.primary() };
      return { t: 'ctor', name: t.text };
    }
    if (t.text === '(') {
      const hostSize = this.hostFileSize();
      if (hostSize) return hostSize;
      if (this.isPunct(')')) { this.pos++; return { t: 'tuple', items: [] }; }
      const v = this.expr();
      this.expect(')');
      return v;
    }
    if (t.text === '[') {
      const items: OValue[] = [];
      while (!this.isPunct(']')) {
        items.push(this.expr());
        if (this.isPunct(';')) this.pos++;
      }
      this.pos++;
      return { t: 'list', items };
    }
    throw new Error(`unexpected '${t.text}' at token ${this.pos - 1}`);
  }
}
