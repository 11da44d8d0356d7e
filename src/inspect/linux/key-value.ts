/**
 * KEY=VALUE files (os-release, lsb-release, sysconfig) and the two ways
 * libguestfs unquotes their values.
 */

/**
 * Unquotes a value the way a POSIX shell reads one word: '…' literally,
 * "…" with \\ \" \$ \` escapes, and a backslash outside quotes escaping the next character.
 */
export function shellUnquote(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return out + s.slice(i + 1);
      out += s.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length && '\\"$`\n'.includes(s[i + 1])) {
          if (s[i + 1] !== '\n') out += s[i + 1];
          i += 2;
        } else {
          out += s[i++];
        }
      }
      i++;
    } else if (c === '\\' && i + 1 < s.length) {
      out += s[i + 1];
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Strips one pair of matching outer quotes and nothing else (lsb-release). */
export function simpleUnquote(s: string): string {
  const n = s.length;
  if (n >= 2 && ((s[0] === '"' && s[n - 1] === '"') || (s[0] === "'" && s[n - 1] === "'"))) return s.slice(1, -1);
  return s;
}

/**
 * KEY=VALUE pairs in file order: empty lines and lines starting with '#' are
 * skipped, the key is everything before the first '=' (a line without '='
 * gives an empty value), and the value is unquoted with `unquote`.
 */
export function parseKeyValues(lines: string[], unquote: (v: string) => string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const line of lines) {
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) pairs.push([line, unquote('')]);
    else pairs.push([line.slice(0, eq), unquote(line.slice(eq + 1))]);
  }
  return pairs;
}
