/** Plain ISO 9660 and Joliet identifiers turned into names as Linux's isofs shows them. */
import { describe, expect, it } from 'vitest';
import { jolietName, plainName } from '../../../../../src/fs/iso9660/names.js';

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const ucs2 = (s: string) => new Uint8Array(Buffer.from(s, 'utf16le').swap16());

describe('iso9660 names', () => {
  it('plain identifiers: lower case, ";1" and a period before it dropped, other ";" and "/" as "."', () => {
    expect(plainName(latin1('README.TXT;1'))).toBe('readme.txt');
    expect(plainName(latin1('EMPTY.;1'))).toBe('empty');
    expect(plainName(latin1('DIR'))).toBe('dir');
    expect(plainName(latin1('FILE.TXT;2'))).toBe('file.txt.2');
    expect(plainName(latin1('A/B;1'))).toBe('a.b');
    expect(plainName(latin1('NUL\0AFTER'))).toBe('nul');
  });

  it('Joliet identifiers: UCS-2 big-endian, ";1" and trailing periods dropped, case kept', () => {
    expect(jolietName(ucs2('Mixed Case.txt;1'))).toBe('Mixed Case.txt');
    expect(jolietName(ucs2('trailing..'))).toBe('trailing');
    expect(jolietName(ucs2('Ünïcødé;1'))).toBe('Ünïcødé');
    expect(jolietName(ucs2(';1'))).toBe(';1');
  });
});
