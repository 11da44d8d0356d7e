import { describe, expect, it } from 'vitest';
import { humanReadable } from '../../../../src/util/human.js';
import { csvField } from '../../../../src/util/csv.js';
import { modeString } from '../../../../src/util/mode-string.js';
import { sdDevNumber } from '../../../../src/util/linux-dev.js';
import { cksumCrc } from '../../../../src/util/cksum.js';
import { lsDate } from '../../../../src/util/ls-la.js';

describe('output helpers', () => {
  it('prints sizes like GNU human_readable', () => {
    expect(humanReadable(19)).toBe('19');
    expect(humanReadable(1023)).toBe('1023');
    expect(humanReadable(1024)).toBe('1.0K');
    expect(humanReadable(12288)).toBe('12K');
    expect(humanReadable(2688895)).toBe('2.6M');
    expect(humanReadable(1048575)).toBe('1.0M');
  });
  it('quotes CSV fields only when needed', () => {
    expect(csvField('/a/b')).toBe('/a/b');
    expect(csvField('a b')).toBe('"a b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
  });
  it('builds ls mode strings', () => {
    expect(modeString(0o40755)).toBe('drwxr-xr-x');
    expect(modeString(0o41777)).toBe('drwxrwxrwt');
    expect(modeString(0o104644)).toBe('-rwSr--r--');
    expect(modeString(0o120777)).toBe('lrwxrwxrwx');
  });
  it('numbers sd devices as Linux does', () => {
    expect(sdDevNumber('/dev/sda')).toBe(2048);
    expect(sdDevNumber('/dev/sda1')).toBe(2049);
    expect(sdDevNumber('/dev/sdb2')).toBe(2066);
  });
  it('computes the cksum CRC', () => {
    const c = cksumCrc();
    c.update(new TextEncoder().encode('hello, world\n'));
    expect(c.digest()).toBe(1398783287); // printf 'hello, world\n' | cksum
  });
  it('formats ls dates for old and recent files', () => {
    expect(lsDate(1700000000, 1795872240)).toBe('Nov 14  2023');
    expect(lsDate(1700000000, 1700000000 + 3600)).toBe('Nov 14 22:13');
  });
});
