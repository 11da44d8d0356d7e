/**
 * --edit FILE:EXPR without Perl: EXPR is one or more Perl substitutions
 * (`s/PATTERN/REPLACEMENT/FLAGS`, separated by `;`), applied to each line of the
 * file in turn as virt-customize's `perl -e 'while (<STDIN>) { eval EXPR; print }'`
 * does. The patterns are translated to JavaScript regular expressions where both
 * languages mean the same thing; what JavaScript cannot honour (possessive
 * quantifiers, atomic groups, \K, \G, inline modifiers, variable interpolation, the
 * /e flag, ...) is refused with a message naming it, never approximated.
 *
 * Lines are handled as bytes (latin1 strings), as Perl does without `use utf8`, so
 * files that are not UTF-8 come back byte for byte.
 */
import { ErrnoError } from '../errors/index.js';

type ReplacementPart = { text: string } | { group: number | string } | { special: 'match' | 'pre' | 'post' | 'lineno' };

export interface Substitution {
  /** The expression as written, for messages. */
  source: string;
  regex: RegExp;
  parts: ReplacementPart[];
}

export interface PerlEdit {
  substitutions: Substitution[];
  /** Applies the substitutions to one line ($_, its "\n" included); lineno counts from 1. */
  applyLine(line: string, lineno: number): string;
  /** Applies the substitutions to a whole file, line by line. */
  applyFile(content: Uint8Array): Uint8Array;
}

function bad(expr: string, problem: string): ErrnoError {
  return new ErrnoError('EINVAL', `--edit: ${problem} in '${expr}'`);
}

const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };

/** Reads a delimited section starting after its opening delimiter; returns it raw and the index after the closer. */
function readDelimited(expr: string, start: number, open: string): { body: string; end: number } {
  const close = CLOSERS[open] ?? open;
  let depth = 0;
  for (let i = start; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === close && depth === 0) return { body: expr.slice(start, i), end: i + 1 };
    if (open !== close) {
      if (c === open) depth++;
      else if (c === close) depth--;
    }
  }
  throw bad(expr, `unterminated substitution (missing closing '${close}')`);
}

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z', digit: '0-9', alnum: 'a-zA-Z0-9', upper: 'A-Z', lower: 'a-z', space: '\\s', blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~', xdigit: '0-9A-Fa-f', word: '\\w', cntrl: '\\x00-\\x1f\\x7f', print: ' -~', graph: '!-~',
};

const UNSUPPORTED_ESCAPES: Record<string, string> = {
  K: '\\K (keep)', G: '\\G (end of previous match)', R: '\\R (any newline)', X: '\\X (grapheme)', h: '\\h', H: '\\H', v: '\\v',
  V: '\\V', N: '\\N', p: '\\p{...} (Unicode property)', P: '\\P{...} (Unicode property)', g: '\\g (backreference syntax)', Q: '\\Q...\\E quoting',
  E: '\\E', l: '\\l', u: '\\u', L: '\\L', U: '\\U', C: '\\C',
};

/** A \x / octal escape as a \xHH the byte-oriented regex understands; returns [text, chars consumed after the backslash]. */
function hexEscape(expr: string, body: string, i: number): [string, number] {
  const c = body[i]!;
  if (c === 'x') {
    if (body[i + 1] === '{') {
      const close = body.indexOf('}', i + 2);
      if (close < 0) throw bad(expr, 'unterminated \\x{...}');
      const code = parseInt(body.slice(i + 2, close) || '0', 16);
      if (!Number.isFinite(code) || code > 0xff) throw bad(expr, `\\x{${body.slice(i + 2, close)}}: characters above \\xff are not supported (the file is edited as bytes)`);
      return [`\\x${code.toString(16).padStart(2, '0')}`, close - i + 1];
    }
    const m = /^[0-9a-fA-F]{0,2}/.exec(body.slice(i + 1))![0];
    return [`\\x${(parseInt(m || '0', 16)).toString(16).padStart(2, '0')}`, 1 + m.length];
  }
  // \0, \0NN: octal.
  const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
  return [`\\x${(parseInt(m, 8) & 0xff).toString(16).padStart(2, '0')}`, m.length];
}

/** Perl pattern → JavaScript pattern (flags i/s are passed separately; ^ and $ are rewritten here). */
export function translatePattern(expr: string, body: string, flags: { m: boolean; x: boolean }): string {
  let out = '';
  let inClass = false;
  let classStart = false;
  let lastQuantifier = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    const wasQuantifier: boolean = lastQuantifier;
    lastQuantifier = false;
    if (c === '\\') {
      const n = body[i + 1];
      if (n === undefined) throw bad(expr, 'trailing backslash in the pattern');
      i++;
      classStart = false;
      if (n in UNSUPPORTED_ESCAPES) throw bad(expr, `${UNSUPPORTED_ESCAPES[n]} is not supported`);
      if (!inClass && n === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && n === 'z') out += '(?![\\s\\S])';
      else if (!inClass && n === 'Z') out += '(?=\\n?(?![\\s\\S]))';
      else if (n === 'x' || n === '0') {
        const [t, used] = hexEscape(expr, body, i);
        out += t;
        i += used - 1;
      } else if (n === 'e') out += '\\x1b';
      else if (n === 'a') out += '\\x07';
      else if (n === 'k' && body[i + 1] === '<') out += '\\k';
      else if (/[1-9]/.test(n)) out += `\\${n}`;
      else if (/[dDwWsSbBntrf]/.test(n)) out += `\\${n}`;
      else if (/[A-Za-z]/.test(n)) throw bad(expr, `unknown escape \\${n}`);
      else out += `\\${n}`;
      continue;
    }
    if (inClass) {
      if (c === ']' && !classStart) {
        inClass = false;
        out += ']';
      } else if (c === ']') {
        out += '\\]';
      } else if (c === '[' && body[i + 1] === ':') {
        const close = body.indexOf(':]', i + 2);
        const name = close < 0 ? '' : body.slice(i + 2, close);
        const neg = name.startsWith('^');
        const cls = POSIX_CLASSES[neg ? name.slice(1) : name];
        if (!cls || neg) throw bad(expr, `POSIX class [:${name}:] is not supported`);
        out += cls;
        i = close + 1;
      } else if (c === '[') {
        out += '\\[';
      } else {
        out += c;
      }
      classStart = false;
      continue;
    }
    if (flags.x && /\s/.test(c)) continue;
    if (flags.x && c === '#') {
      while (i < body.length && body[i] !== '\n') i++;
      continue;
    }
    switch (c) {
      case '[':
        inClass = true;
        out += '[';
        if (body[i + 1] === '^') {
          out += '^';
          i++;
        }
        classStart = true;
        break;
      case '$': {
        const n = body[i + 1];
        if (n !== undefined && /[A-Za-z_{0-9&`'+!@]/.test(n)) throw bad(expr, `variable interpolation ($${n}...) in the pattern is not supported: write \\$ for a literal '$'`);
        out += flags.m ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))';
        break;
      }
      case '@':
        if (/[A-Za-z_{]/.test(body[i + 1] ?? '')) throw bad(expr, `array interpolation (@${body[i + 1]}...) in the pattern is not supported: write \\@ for a literal '@'`);
        out += '@';
        break;
      case '^':
        out += flags.m ? '(?:(?<![\\s\\S])|(?<=\\n)(?=[\\s\\S]))' : '^';
        break;
      case '(': {
        if (body[i + 1] !== '?') {
          out += '(';
          break;
        }
        const rest = body.slice(i + 2);
        if (rest.startsWith(':') || rest.startsWith('=') || rest.startsWith('!') || rest.startsWith('<=') || rest.startsWith('<!')) {
          out += '(?';
          i++;
        } else if (/^<[A-Za-z_]\w*>/.test(rest)) {
          out += '(?';
          i++;
        } else if (/^P<[A-Za-z_]\w*>/.test(rest)) {
          out += '(?';
          i += 2; // drop the P
        } else if (/^'[A-Za-z_]\w*'/.test(rest)) {
          const name = /^'([A-Za-z_]\w*)'/.exec(rest)![1]!;
          out += `(?<${name}>`;
          i += 2 + name.length + 2;
        } else if (rest.startsWith('#')) {
          const close = body.indexOf(')', i);
          if (close < 0) throw bad(expr, 'unterminated (?#...) comment');
          i = close;
        } else {
          const what = rest.startsWith('>') ? 'atomic groups (?>...)' : rest.startsWith('|') ? 'branch reset groups (?|...)'
            : /^[imsxn^-]/.test(rest) ? 'inline modifiers (?flags)' : `(?${rest.slice(0, 1)}...)`;
          throw bad(expr, `${what} are not supported`);
        }
        break;
      }
      case '*':
      case '+':
      case '?':
        if (c === '+' && wasQuantifier) throw bad(expr, 'possessive quantifiers (*+, ++, ?+, {n}+) are not supported');
        out += c;
        // A '?' after a quantifier makes it lazy; both read the same in JavaScript.
        lastQuantifier = !(c === '?' && wasQuantifier);
        break;
      case '{': {
        const q = /^\{\d+(,\d*)?\}/.exec(body.slice(i));
        if (q) {
          out += q[0];
          i += q[0].length - 1;
          lastQuantifier = true;
        } else {
          out += '\\{';
        }
        break;
      }
      case '}':
        out += '\\}';
        break;
      default:
        out += c;
    }
  }
  if (inClass) throw bad(expr, 'unterminated character class [...]');
  return out;
}

/** Parses a double-quoted (interpolating) replacement; single quotes ('') keep it literal. */
export function parseReplacement(expr: string, body: string, literal: boolean): ReplacementPart[] {
  if (literal) return [{ text: body }];
  const parts: ReplacementPart[] = [];
  let text = '';
  const flush = () => {
    if (text) parts.push({ text });
    text = '';
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      const n = body[i + 1];
      if (n === undefined) throw bad(expr, 'trailing backslash in the replacement');
      i++;
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', e: '\x1b', a: '\x07' };
      if (n in simple) text += simple[n];
      else if (n === 'x' || n === '0') {
        const [t, used] = hexEscape(expr, body, i);
        text += String.fromCharCode(parseInt(t.slice(2), 16));
        i += used - 1;
      } else if (/[1-9]/.test(n)) {
        flush();
        parts.push({ group: Number(n) });
      } else if ('ulULEQ'.includes(n)) throw bad(expr, `case modification \\${n} in the replacement is not supported`);
      else if (/[A-Za-z]/.test(n)) throw bad(expr, `unknown escape \\${n} in the replacement`);
      else text += n;
      continue;
    }
    if (c === '$') {
      const rest = body.slice(i + 1);
      let m: RegExpExecArray | null;
      if ((m = /^(\d+)/.exec(rest)) || (m = /^\{(\d+)\}/.exec(rest))) {
        flush();
        parts.push({ group: Number(m[1]) });
        i += m[0].length;
      } else if ((m = /^\+\{([A-Za-z_]\w*)\}/.exec(rest))) {
        flush();
        parts.push({ group: m[1]! });
        i += m[0].length;
      } else if (rest[0] === '&' || rest[0] === '`' || rest[0] === "'") {
        flush();
        parts.push({ special: rest[0] === '&' ? 'match' : rest[0] === '`' ? 'pre' : 'post' });
        i += 1;
      } else if ((m = /^(lineno\b|\{lineno\})/.exec(rest))) {
        flush();
        parts.push({ special: 'lineno' });
        i += m[0].length;
      } else if (rest === '' ) {
        text += '$';
      } else {
        const name = /^\{?[A-Za-z_]\w*\}?/.exec(rest)?.[0] ?? rest[0];
        throw bad(expr, `variable $${name} in the replacement is not supported (only $1..$N, \${N}, $+{name}, $&, $\`, $' and $lineno): write \\$ for a literal '$'`);
      }
      continue;
    }
    if (c === '@' && /[A-Za-z_{]/.test(body[i + 1] ?? '')) {
      throw bad(expr, `array interpolation (@${body[i + 1]}...) in the replacement is not supported: write \\@ for a literal '@'`);
    }
    text += c;
  }
  flush();
  return parts;
}

/** Parses EXPR: `s/.../.../flags` statements separated by ';'. */
export function parsePerlEdit(expr: string): PerlEdit {
  const subs: Substitution[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < expr.length && /[\s;]/.test(expr[i]!)) i++;
  };
  skipSpace();
  if (i >= expr.length) throw bad(expr, 'empty expression');
  while (i < expr.length) {
    const start = i;
    if (expr.startsWith('$_', i)) {
      const m = /^\$_\s*=~\s*/.exec(expr.slice(i));
      if (m) i += m[0].length;
    }
    if (expr[i] !== 's' || /[\w\s]/.test(expr[i + 1] ?? ' ')) {
      const word = /^[A-Za-z_]\w*/.exec(expr.slice(i))?.[0];
      throw bad(expr, word === 'tr' || word === 'y' ? 'tr/// is not supported (only s/// substitutions)' : `only s/PATTERN/REPLACEMENT/FLAGS substitutions are supported (found '${expr.slice(i, i + 10)}')`);
    }
    const open = expr[i + 1]!;
    const pat = readDelimited(expr, i + 2, open);
    let j = pat.end;
    let rep: { body: string; end: number };
    let repOpen = open;
    if (open in CLOSERS) {
      while (j < expr.length && /\s/.test(expr[j]!)) j++;
      repOpen = expr[j] ?? '';
      if (!repOpen) throw bad(expr, 'missing replacement part');
      rep = readDelimited(expr, j + 1, repOpen);
    } else {
      rep = readDelimited(expr, j, open);
    }
    i = rep.end;
    const flagText = /^[A-Za-z]*/.exec(expr.slice(i))![0];
    i += flagText.length;
    const flags = new Set(flagText);
    for (const f of flags) {
      if (f === 'e') throw bad(expr, 'the /e flag (Perl code in the replacement) is not supported');
      if (!'gimsx'.includes(f)) throw bad(expr, `the /${f} flag is not supported (only g, i, m, s, x)`);
    }
    if (pat.body === '') throw bad(expr, 'an empty pattern (reusing the last pattern) is not supported');
    const source = expr.slice(start, i);
    const js = translatePattern(expr, pat.body, { m: flags.has('m'), x: flags.has('x') });
    let regex: RegExp;
    try {
      regex = new RegExp(js, `${flags.has('g') ? 'g' : ''}${flags.has('i') ? 'i' : ''}${flags.has('s') ? 's' : ''}`);
    } catch (e) {
      throw bad(expr, `invalid pattern: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
    }
    const parts = parseReplacement(expr, rep.body, open === "'" || repOpen === "'");
    subs.push({ source, regex, parts });
    while (i < expr.length && /\s/.test(expr[i]!)) i++;
    if (i < expr.length && expr[i] !== ';') throw bad(expr, `expected ';' after ${source}`);
    skipSpace();
  }
  return makeEdit(subs);
}

function makeEdit(subs: Substitution[]): PerlEdit {
  const applyLine = (line: string, lineno: number): string => {
    let s = line;
    for (const sub of subs) {
      sub.regex.lastIndex = 0;
      s = s.replace(sub.regex, (...a: unknown[]) => {
        let k = a.length - 1;
        const groups = typeof a[k] === 'object' && a[k] !== null ? (a[k--] as Record<string, string | undefined>) : undefined;
        const input = a[k--] as string;
        const offset = a[k] as number;
        const match = a[0] as string;
        const caps = a.slice(1, k) as (string | undefined)[];
        let out = '';
        for (const p of sub.parts) {
          if ('text' in p) out += p.text;
          else if ('group' in p) out += (typeof p.group === 'number' ? caps[p.group - 1] : groups?.[p.group]) ?? '';
          else if (p.special === 'match') out += match;
          else if (p.special === 'pre') out += input.slice(0, offset);
          else if (p.special === 'post') out += input.slice(offset + match.length);
          else out += String(lineno);
        }
        return out;
      });
    }
    return s;
  };
  return {
    substitutions: subs,
    applyLine,
    applyFile(content: Uint8Array): Uint8Array {
      const text = Buffer.from(content).toString('latin1');
      let out = '';
      let lineno = 0;
      for (let pos = 0; pos < text.length;) {
        const nl = text.indexOf('\n', pos);
        const end = nl < 0 ? text.length : nl + 1;
        out += applyLine(text.slice(pos, end), ++lineno);
        pos = end;
      }
      return new Uint8Array(Buffer.from(out, 'latin1'));
    },
  };
}
