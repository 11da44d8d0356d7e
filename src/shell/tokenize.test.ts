import { describe, expect, it } from 'vitest';
import { splitCommands, tokenize } from './tokenize.js';
import { parseBool, parseInteger, convertArgs } from './convert.js';
import { findCommand } from '../api/commands.js';

describe('fish tokenizer', () => {
  it('splits on blanks and keeps quoted words whole', () => {
    expect(tokenize(`write /a "hello world\\n" 'x y'`).map((w) => w.text)).toEqual(['write', '/a', 'hello world\n', 'x y']);
  });
  it('interprets escapes in double quotes only', () => {
    expect(tokenize(`"a\\tb\\x41\\101" 'a\\tb'`).map((w) => w.text)).toEqual(['a\tbAA', 'a\\tb']);
  });
  it('treats # as a comment start', () => {
    expect(tokenize('  # nothing here')).toEqual([]);
    expect(tokenize('ls / # trailing').map((w) => w.text)).toEqual(['ls', '/']);
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
    expect(parseInteger('0755', 'mode')).toBe(0o755);
    expect(parseInteger('0x1ed', 'mode')).toBe(0x1ed);
    expect(parseInteger('-12', 'n')).toBe(-12);
    expect(parseInteger('0', 'n')).toBe(0);
    expect(() => parseInteger('08', 'n')).toThrow(/invalid integer/);
    expect(() => parseInteger('abc', 'n')).toThrow(/invalid integer/);
  });
  it('reads booleans', () => {
    expect(parseBool('true', 'b')).toBe(true);
    expect(parseBool('OFF', 'b')).toBe(false);
    expect(() => parseBool('maybe', 'b')).toThrow();
  });
  it('takes name:value optional arguments after the required ones', () => {
    const def = findCommand('add-drive')!;
    const call = convertArgs(def, tokenize('disk.img format:raw readonly:true'));
    expect(call).toEqual({ args: ['disk.img'], optargs: { format: 'raw', readonly: true } });
    expect(() => convertArgs(def, tokenize('disk.img bogus:1'))).toThrow(/not recognized/);
    expect(() => convertArgs(findCommand('chmod')!, tokenize('0755'))).toThrow(/invalid number of arguments/);
  });
});
