/**
 * guestfish's word syntax: words split on blanks; "double quotes" interpret
 * backslash escapes (\n \t \" \\ \xHH \NNN); 'single quotes' are literal;
 * a line whose first word starts with # is a comment. Quoted words are marked so that a quoted ":"
 * or "name:value" is never taken for syntax.
 */
export interface Word {
  text: string;
  quoted: boolean;
}

export class ParseError extends Error {}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '"': '"', '\\': '\\', "'": "'", '?': '?' };

/** A double-quoted string's content from just after the opening quote; returns it and the index after the closing quote. */
function doubleQuoted(line: string, start: number): [string, number] {
  let text = '';
  let i = start;
  // guestfish reports escape errors at their offset inside the string.
  const bad = () => new ParseError(`invalid escape sequence in string (starting at offset ${i - start})`);
  for (;;) {
    if (i >= line.length) throw new ParseError('unterminated double quote');
    const d = line[i]!;
    if (d === '"') return [text, i + 1];
    if (d !== '\\') {
      text += d;
      i++;
      continue;
    }
    const e = line[i + 1];
    if (e === undefined) throw new ParseError('unterminated double quote');
    if (e === 'x') {
      const hex = line.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw bad();
      text += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else if (/[0-7]/.test(e)) {
      const oct = line.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 0o377) throw bad();
      text += String.fromCharCode(parseInt(oct, 8));
      i += 4;
    } else if (e in ESCAPES) {
      text += ESCAPES[e];
      i += 2;
    } else throw bad();
  }
}

/** A line's words and, after an argument that starts with '|', the host command its output is piped to. */
export interface ParsedLine {
  words: Word[];
  pipe?: string;
}

export function tokenize(line: string): Word[] {
  return tokenizeLine(line).words;
}

export function tokenizeLine(line: string): ParsedLine {
  const words: Word[] = [];
  let i = 0;
  const n = line.length;
  const blank = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  while (i < n && blank(line[i])) i++;
  // Only a whole line is a comment: a '#' later on is an ordinary word, as in guestfish.
  if (line[i] === '#') return { words };
  while (i < n) {
    while (i < n && blank(line[i])) i++;
    if (i >= n) break;
    const c = line[i]!;
    // As guestfish: only an argument (not the command name) may start the pipe, and the rest of the line is the host command.
    if (c === '|' && words.length > 0) return { words, pipe: line.slice(i + 1) };
    if (c === '"' || c === "'") {
      let text: string;
      if (c === '"') [text, i] = doubleQuoted(line, i + 1);
      else {
        const end = line.indexOf("'", i + 1);
        if (end < 0) throw new ParseError('unterminated single quote');
        text = line.slice(i + 1, end);
        i = end + 1;
      }
      if (i < n && !blank(line[i])) throw new ParseError('command arguments not separated by whitespace');
      words.push({ text, quoted: true });
    } else {
      const start = i;
      while (i < n && !blank(line[i])) i++;
      words.push({ text: line.slice(start, i), quoted: false });
    }
  }
  return { words };
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
