/**
 * POSIX regular expressions (grep's basic and extended syntax, GNU extensions
 * included) translated to JavaScript RegExps, so that grep in process matches
 * what grep in the guest would: in a BRE "\(" groups and "(" is a literal; in an
 * ERE it is the other way round; bracket expressions keep backslashes literal and
 * know the [:class:] names.
 */

const CLASSES: Record<string, string> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: '0-9A-Za-z', upper: 'A-Z', lower: 'a-z', space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', print: ' -~', graph: '!-~', cntrl: '\\x00-\\x1f\\x7f', xdigit: '0-9A-Fa-f',
};

const JS_SPECIAL = /[\\^$.*+?()[\]{}|/-]/;
const lit = (c: string) => (JS_SPECIAL.test(c) ? `\\${c}` : c);

/** A bracket expression starting at re[i] === '['; returns its JS text and the index after it. */
function bracket(re: string, i: number): [string, number] {
  let j = i + 1;
  let out = '[';
  if (re[j] === '^') {
    out += '^';
    j++;
  }
  let first = true;
  while (j < re.length) {
    const c = re[j]!;
    if (c === ']' && !first) return [out + ']', j + 1];
    first = false;
    if (c === '[' && (re[j + 1] === ':' || re[j + 1] === '.' || re[j + 1] === '=')) {
      const kind = re[j + 1]!;
      const end = re.indexOf(`${kind}]`, j + 2);
      if (end < 0) throw new SyntaxError('Unmatched [, [^, [:, [., or [=');
      const name = re.slice(j + 2, end);
      if (kind === ':') {
        const cls = CLASSES[name];
        if (cls === undefined) throw new SyntaxError('Invalid character class name');
        out += cls;
      } else {
        out += lit(name);
      }
      j = end + 2;
      continue;
    }
    out += c === '-' ? '-' : lit(c);
    j++;
  }
  throw new SyntaxError('Unmatched [, [^, [:, [., or [=');
}

/** GNU escapes shared by both syntaxes; undefined when `c` is not one. */
function gnuEscape(c: string): string | undefined {
  switch (c) {
    case 'w': return '[0-9A-Za-z_]';
    case 'W': return '[^0-9A-Za-z_]';
    case 's': return '\\s';
    case 'S': return '\\S';
    case 'b': return '\\b';
    case 'B': return '\\B';
    case '<': return '\\b(?=\\w)';
    case '>': return '\\b(?<=\\w)';
    case '`': return '^';
    case "'": return '$';
    default: return /[1-9]/.test(c) ? `\\${c}` : undefined;
  }
}

function translateOne(re: string, extended: boolean): string {
  let out = '';
  // Where '*' is literal and '^' an anchor: at the start, after an open group or an alternation.
  let atStart: boolean = true;
  for (let i = 0; i < re.length; ) {
    const c = re[i]!;
    const startHere: boolean = atStart;
    atStart = false;
    if (c === '[') {
      const [text, next] = bracket(re, i);
      out += text;
      i = next;
      continue;
    }
    if (c === '\\') {
      const n = re[i + 1];
      if (n === undefined) throw new SyntaxError('Trailing backslash');
      i += 2;
      if (!extended && '(){}|+?'.includes(n)) {
        out += n;
        atStart = n === '(' || n === '|';
        continue;
      }
      out += gnuEscape(n) ?? lit(n);
      continue;
    }
    i++;
    if (c === '^') {
      out += startHere || extended ? '^' : '\\^';
      atStart = startHere;
      continue;
    }
    if (c === '$') {
      const rest = re.slice(i);
      const atEnd = extended || rest === '' || rest.startsWith('\\)') || rest.startsWith('\\|');
      out += atEnd ? '$' : '\\$';
      continue;
    }
    if (extended && startHere && '*+?{'.includes(c)) {
      // GNU grep -E ignores a repetition with nothing before it ("a leading * matches nothing").
      if (c === '{') {
        const close = re.indexOf('}', i);
        if (close >= 0 && /^\d*(,\d*)?$/.test(re.slice(i, close))) i = close + 1;
      }
      atStart = true;
      continue;
    }
    if (c === '*') {
      out += startHere ? '\\*' : '*';
      continue;
    }
    if (c === '.') {
      out += '.';
      continue;
    }
    if (extended && '(){}|+?'.includes(c)) {
      out += c;
      atStart = c === '(' || c === '|';
      continue;
    }
    out += lit(c);
  }
  return out;
}

export interface GrepOptions {
  extended?: boolean;
  fixed?: boolean;
  insensitive?: boolean;
}

/**
 * The matcher for one grep pattern. As grep does, a pattern holding newlines is
 * several patterns, any of which may match.
 */
export function grepMatcher(pattern: string, opts: GrepOptions): RegExp {
  const parts = pattern.split('\n').map((p) => (opts.fixed ? [...p].map(lit).join('') : translateOne(p, !!opts.extended)));
  return new RegExp(parts.length === 1 ? parts[0]! : parts.map((p) => `(?:${p})`).join('|'), opts.insensitive ? 'i' : '');
}
