/**
 * guestfish's word syntax: words split on blanks; "double quotes" interpret
 * backslash escapes (\n \t \" \\ \xHH \NNN); 'single quotes' are literal;
 * a leading # starts a comment. Quoted words are marked so that a quoted ":"
 * or "name:value" is never taken for syntax.
 */
export interface Word {
  text: string;
  quoted: boolean;
}

export class ParseError extends Error {}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '"': '"', '\\': '\\', "'": "'", '?': '?' };

export function tokenize(line: string): Word[] {
  const words: Word[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && /\s/.test(line[i]!)) i++;
    if (i >= n) break;
    if (line[i] === '#' ) break;
    let text = '';
    let quoted = false;
    while (i < n && !/\s/.test(line[i]!)) {
      const c = line[i]!;
      if (c === '"') {
        quoted = true;
        i++;
        for (;;) {
          if (i >= n) throw new ParseError('unterminated double quote');
          const d = line[i]!;
          if (d === '"') { i++; break; }
          if (d === '\\') {
            const e = line[i + 1];
            if (e === undefined) throw new ParseError('unterminated double quote');
            if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
              text += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
              i += 4;
            } else if (/[0-7]/.test(e)) {
              const m = /^[0-7]{1,3}/.exec(line.slice(i + 1))![0];
              text += String.fromCharCode(parseInt(m, 8));
              i += 1 + m.length;
            } else if (e in ESCAPES) {
              text += ESCAPES[e];
              i += 2;
            } else {
              throw new ParseError(`invalid escape sequence in string (starting at offset ${i})`);
            }
            continue;
          }
          text += d;
          i++;
        }
      } else if (c === "'") {
        quoted = true;
        const end = line.indexOf("'", i + 1);
        if (end < 0) throw new ParseError('unterminated single quote');
        text += line.slice(i + 1, end);
        i = end + 1;
      } else {
        text += c;
        i++;
      }
    }
    words.push({ text, quoted });
  }
  return words;
}

/** Splits a word list at unquoted ':' words (guestfish's command-line chaining). */
export function splitCommands(words: Word[]): Word[][] {
  const out: Word[][] = [[]];
  for (const w of words) {
    if (!w.quoted && w.text === ':') out.push([]);
    else out[out.length - 1]!.push(w);
  }
  return out.filter((c) => c.length > 0);
}
