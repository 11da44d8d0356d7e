import { describe, expect, it } from 'vitest';
import { splitCommands, tokenize, tokenizeLine } from '../../../../src/shell/tokenize.js';
import { parseBool, parseInteger, convertArgs } from '../../../../src/shell/convert.js';
import { findCommand } from '../../../../src/api/commands.js';

describe('fish tokenizer', () => {
  it('splits on blanks and keeps quoted words whole', () => {
    expect(tokenize(`write /a "hello world\\n" 'x y'`).map((w) => w.text)).toEqual(['write', '/a', 'hello world\n', 'x y']);
  });
  it('interprets escapes in double quotes only', () => {
    expect(tokenize(`"a\\tb\\x41\\101" 'a\\tb'`).map((w) => w.text)).toEqual(['a\tbAA', 'a\\tb']);
  });
  it('treats a line starting with # as a comment, and a later # as a word (as guestfish does)', () => {
    expect(tokenize('  # nothing here')).toEqual([]);
    expect(tokenize('echo a # b').map((w) => w.text)).toEqual(['echo', 'a', '#', 'b']);
  });
  it('rejects a quoted word run together with the next, and bad escapes at their offset in the string', () => {
    expect(() => tokenize('echo "a"b')).toThrow('command arguments not separated by whitespace');
    expect(() => tokenize("echo 'a'b")).toThrow('command arguments not separated by whitespace');
    expect(tokenize('echo a"b"').map((w) => w.text)).toEqual(['echo', 'a"b"']);
    expect(() => tokenize('echo "bad\\q"')).toThrow('invalid escape sequence in string (starting at offset 3)');
    expect(() => tokenize('echo "\\777"')).toThrow('(starting at offset 0)');
    expect(() => tokenize('echo "x\\x4"')).toThrow('(starting at offset 1)');
    expect(() => tokenize('echo "\\0"')).toThrow('(starting at offset 0)');
  });
  it('rejects unterminated quotes', () => {
    expect(() => tokenize('echo "abc')).toThrow(/unterminated/);
    expect(() => tokenize("echo 'abc")).toThrow(/unterminated/);
  });
  it('chains commands on unquoted colons only', () => {
    const cmds = splitCommands(tokenize('run : echo ":" : ls /'));
    expect(cmds.map((c) => c.map((w) => w.text))).toEqual([['run'], ['echo', ':'], ['ls', '/']]);
  });
});

describe('fish argument conversion', () => {
  it('reads decimal, octal and hex integers', () => {
    expect(parseInteger('0755', 'chmod', 'mode')).toBe(0o755);
    expect(parseInteger('0x1ed', 'chmod', 'mode')).toBe(0x1ed);
    expect(parseInteger('-12', 'c', 'n')).toBe(-12);
    expect(parseInteger('0', 'c', 'n')).toBe(0);
    expect(() => parseInteger('08', 'chmod', 'mode')).toThrow('chmod: mode: invalid integer parameter (xstrtoll returned 2)\n');
    expect(() => parseInteger('abc', 'chmod', 'mode')).toThrow('chmod: mode: invalid integer parameter (xstrtoll returned 4)\n');
    expect(() => parseInteger('99999999999', 'head-n', 'nrlines', 32)).toThrow('head-n: nrlines: integer out of range\n');
    expect(parseInteger('99999999999', 'c', 'n', 64)).toBe(99999999999);
  });
  it('reads booleans', () => {
    expect(parseBool('true')).toBe(true);
    expect(parseBool('OFF')).toBe(false);
    expect(() => parseBool('maybe')).toThrow("guestfish: 'maybe': invalid boolean value, use 'true' or 'false'\n");
  });
  it('takes name:value optional arguments after the required ones', () => {
    const def = findCommand('add-drive')!;
    const call = convertArgs(def, tokenize('disk.img format:raw readonly:true'));
    expect(call).toEqual({ args: ['disk.img'], optargs: { format: 'raw', readonly: true } });
    expect(() => convertArgs(def, tokenize('disk.img bogus:1'))).toThrow('add-drive: unknown optional argument "bogus:1"\n');
    expect(() => convertArgs(findCommand('chmod')!, tokenize('0755'))).toThrow(
      "error: incorrect number of arguments\nusage: chmod mode path\ntype 'help chmod' for more help on chmod\n",
    );
  });
});

describe('fish pipes', () => {
  it("takes the rest of the line after an argument starting with '|' as the host command", () => {
    expect(tokenizeLine('cat /etc/passwd | grep root | wc -l')).toEqual({ words: [{ text: 'cat', quoted: false }, { text: '/etc/passwd', quoted: false }], pipe: ' grep root | wc -l' });
    expect(tokenizeLine('echo a |tr a b').pipe).toBe('tr a b');
  });

  it("leaves '|' inside a word, in quotes, or as the command name alone", () => {
    expect(tokenizeLine('echo a|b').pipe).toBeUndefined();
    expect(tokenizeLine('echo "|x"')).toEqual({ words: [{ text: 'echo', quoted: false }, { text: '|x', quoted: true }] });
    expect(tokenizeLine('|echo').pipe).toBeUndefined();
  });
});
