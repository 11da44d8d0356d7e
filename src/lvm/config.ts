/**
 * LVM2's configuration text format, as used by the VG metadata stored on
 * every PV:
 *
 *   vgname {
 *       id = "xxxxxx-..."      # comment
 *       seqno = 3
 *       status = ["RESIZEABLE", "READ", "WRITE"]
 *       physical_volumes { pv0 { ... } }
 *   }
 *   contents = "Text Format Volume Group"
 *
 * Values are strings (double or single quoted; `\` escapes the next
 * character), integers, floats, or flat arrays of those. Sections nest.
 * Keys keep their order (a Map, so LV names such as "1" stay in place).
 */

export type ConfigScalar = string | number;
export type ConfigValue = ConfigScalar | ConfigScalar[];

export class ConfigSection {
  readonly entries = new Map<string, ConfigValue | ConfigSection>();

  get(key: string): ConfigValue | ConfigSection | undefined {
    return this.entries.get(key);
  }
  section(key: string): ConfigSection | undefined {
    const v = this.entries.get(key);
    return v instanceof ConfigSection ? v : undefined;
  }
  /** Child sections in file order. */
  sections(): [string, ConfigSection][] {
    const out: [string, ConfigSection][] = [];
    for (const [k, v] of this.entries) if (v instanceof ConfigSection) out.push([k, v]);
    return out;
  }
  string(key: string): string | undefined {
    const v = this.entries.get(key);
    return typeof v === 'string' ? v : undefined;
  }
  number(key: string): number | undefined {
    const v = this.entries.get(key);
    return typeof v === 'number' ? v : undefined;
  }
  /** An array of strings (a missing key gives []); undefined when the value is not such an array. */
  strings(key: string): string[] | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return undefined;
    return v as string[];
  }
  array(key: string): ConfigScalar[] | undefined {
    const v = this.entries.get(key);
    return Array.isArray(v) ? v : undefined;
  }
}

export class ConfigSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = 'ConfigSyntaxError';
  }
}

const MAX_DEPTH = 32;

function isIdentChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || // 0-9
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    c === 0x5f || // _
    c === 0x2d || // -
    c === 0x2b || // +
    c === 0x2e || // .
    c === 0x2f // / (lvm.conf style paths; harmless here)
  );
}

/** Parses LVM config text into its top-level section. Throws ConfigSyntaxError. */
export function parseConfig(text: string): ConfigSection {
  // Metadata on disk ends with a NUL; stop at the first one.
  const nul = text.indexOf('\0');
  const src = nul >= 0 ? text.slice(0, nul) : text;
  let pos = 0;
  let line = 1;
  const n = src.length;

  const fail = (problem: string): never => {
    throw new ConfigSyntaxError(line, problem);
  };

  const skipSpace = (): void => {
    while (pos < n) {
      const c = src.charCodeAt(pos);
      if (c === 0x0a) {
        line++;
        pos++;
      } else if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c) {
        pos++;
      } else if (c === 0x23) {
        // '#' comment to end of line
        while (pos < n && src.charCodeAt(pos) !== 0x0a) pos++;
      } else break;
    }
  };

  const readIdent = (): string => {
    const start = pos;
    while (pos < n && isIdentChar(src.charCodeAt(pos))) pos++;
    if (pos === start) fail(`expected a name, found ${describe(src, pos)}`);
    return src.slice(start, pos);
  };

  const readString = (): string => {
    const quote = src[pos];
    pos++;
    let out = '';
    let chunkStart = pos;
    for (;;) {
      if (pos >= n) fail('unterminated string');
      const ch = src[pos];
      if (ch === quote) {
        out += src.slice(chunkStart, pos);
        pos++;
        return out;
      }
      if (ch === '\\') {
        out += src.slice(chunkStart, pos);
        if (pos + 1 >= n) fail('unterminated string');
        out += src[pos + 1];
        if (src[pos + 1] === '\n') line++;
        pos += 2;
        chunkStart = pos;
        continue;
      }
      if (ch === '\n') line++;
      pos++;
    }
  };

  const readNumber = (): number => {
    const m = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)/.exec(src.slice(pos, pos + 64));
    if (!m) fail(`expected a value, found ${describe(src, pos)}`);
    pos += m![0].length;
    const v = Number(m![0]);
    if (!Number.isFinite(v)) fail(`bad number ${m![0]}`);
    return v;
  };

  const readScalar = (): ConfigScalar => {
    const c = src[pos];
    if (c === '"' || c === "'") return readString();
    return readNumber();
  };

  const readValue = (): ConfigValue => {
    if (src[pos] !== '[') return readScalar();
    pos++;
    const arr: ConfigScalar[] = [];
    skipSpace();
    if (src[pos] === ']') {
      pos++;
      return arr;
    }
    for (;;) {
      skipSpace();
      if (pos >= n) fail('unterminated array');
      arr.push(readScalar());
      skipSpace();
      if (src[pos] === ',') {
        pos++;
        skipSpace();
        // LVM tolerates a trailing comma before ']'.
        if (src[pos] === ']') {
          pos++;
          return arr;
        }
        continue;
      }
      if (src[pos] === ']') {
        pos++;
        return arr;
      }
      fail(`expected ',' or ']' in array, found ${describe(src, pos)}`);
    }
  };

  const readBody = (into: ConfigSection, depth: number, closing: boolean): void => {
    for (;;) {
      skipSpace();
      if (pos >= n) {
        if (closing) fail("missing '}' at end of text");
        return;
      }
      if (src[pos] === '}') {
        if (!closing) fail("unexpected '}'");
        pos++;
        return;
      }
      const key = readIdent();
      skipSpace();
      const c = src[pos];
      if (c === '{') {
        if (depth + 1 > MAX_DEPTH) fail('sections nested too deeply');
        pos++;
        const child = new ConfigSection();
        readBody(child, depth + 1, true);
        into.entries.set(key, child);
      } else if (c === '=') {
        pos++;
        skipSpace();
        if (pos >= n) fail(`missing value for ${key}`);
        into.entries.set(key, readValue());
      } else {
        fail(`expected '=' or '{' after ${key}, found ${describe(src, pos)}`);
      }
    }
  };

  const root = new ConfigSection();
  readBody(root, 0, false);
  return root;
}

function describe(src: string, pos: number): string {
  if (pos >= src.length) return 'end of text';
  const c = src[pos]!;
  const code = c.charCodeAt(0);
  if (code < 0x20 || code > 0x7e) return `byte 0x${code.toString(16).padStart(2, '0')}`;
  return `'${c}'`;
}

function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (m) => `\\${m}`)}"`;
}

function formatScalar(v: ConfigScalar): string {
  if (typeof v === 'string') return quote(v);
  if (!Number.isFinite(v)) throw new Error(`cannot write ${v} in LVM config text`);
  return String(v);
}

/** Writes a section's entries the way LVM lays out its metadata (tab indents). */
export function formatConfig(section: ConfigSection, indent = 0): string {
  const tabs = '\t'.repeat(indent);
  let out = '';
  for (const [key, v] of section.entries) {
    if (v instanceof ConfigSection) {
      out += `${tabs}${key} {\n${formatConfig(v, indent + 1)}${tabs}}\n`;
    } else if (Array.isArray(v)) {
      out += `${tabs}${key} = [${v.map(formatScalar).join(', ')}]\n`;
    } else {
      out += `${tabs}${key} = ${formatScalar(v)}\n`;
    }
  }
  return out;
}

/** Builds a section from a plain object (in key order); nested plain objects become sections. */
export function sectionFrom(obj: Record<string, unknown> | [string, unknown][]): ConfigSection {
  const s = new ConfigSection();
  const pairs = Array.isArray(obj) ? obj : Object.entries(obj);
  for (const [k, v] of pairs) {
    if (v === undefined) continue;
    if (v instanceof ConfigSection) s.entries.set(k, v);
    else if (typeof v === 'string' || typeof v === 'number') s.entries.set(k, v);
    else if (Array.isArray(v)) s.entries.set(k, v as ConfigScalar[]);
    else if (v && typeof v === 'object') s.entries.set(k, sectionFrom(v as Record<string, unknown>));
    else throw new Error(`cannot write ${String(v)} for ${k} in LVM config text`);
  }
  return s;
}
