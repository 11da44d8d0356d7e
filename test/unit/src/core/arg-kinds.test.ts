/**
 * The list argument kinds validate each element as libguestfs does (generator:
 * StringList (Device|Filename|Pathname, _)), with guestfish 1.48's messages
 * (captured: `-lstatnslist / "a/b"` → "lstatnslist: names: 'a/b' is not a file name";
 * `-vgcreate VG "foo"` → "vgcreate: ...: foo: No such file or directory").
 */
import { describe, expect, it } from 'vitest';
import { validateArg } from '../../../../src/core/arg-kinds.js';

const arg = (kind: 'DeviceList' | 'FilenameList' | 'PathnameList' | 'StringList', name = 'names') => ({ name, kind } as const);

describe('list argument kinds', () => {
  it('FilenameList: names in a directory, without a slash', () => {
    expect(validateArg(arg('FilenameList'), ['passwd', '..', '.', '', 'a b'])).toEqual(['passwd', '..', '.', '', 'a b']);
    expect(() => validateArg(arg('FilenameList'), ['passwd', 'a/b'])).toThrow("names: 'a/b' is not a file name");
    expect(() => validateArg(arg('FilenameList'), ['/etc'])).toThrow("names: '/etc' is not a file name");
    expect(() => validateArg(arg('FilenameList'), ['x/'])).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('DeviceList: each element a device, normalised as a single Device is', () => {
    expect(validateArg(arg('DeviceList', 'physvols'), ['/dev/vda1', '/dev/sdb', '/dev/VG/LV'])).toEqual(['/dev/sda1', '/dev/sdb', '/dev/VG/LV']);
    expect(() => validateArg(arg('DeviceList', 'physvols'), ['/dev/sda1', 'foo'])).toThrow('foo: No such file or directory');
    expect(() => validateArg(arg('DeviceList', 'devices'), ['sda'])).toThrow('sda: No such file or directory');
    expect(validateArg(arg('DeviceList'), [])).toEqual([]);
  });

  it('PathnameList: each element an absolute guest path, as a single Pathname is', () => {
    expect(validateArg(arg('PathnameList', 'paths'), ['/etc', '/'])).toEqual(['/etc', '/']);
    expect(() => validateArg(arg('PathnameList', 'paths'), ['/etc', 'etc'])).toThrow('etc: path must start with a / character');
    expect(() => validateArg(arg('PathnameList', 'paths'), ['/a\0b'])).toThrow('paths: path contains a NUL byte');
  });

  it('every list kind takes only an array of strings; StringList elements are not checked', () => {
    for (const k of ['DeviceList', 'FilenameList', 'PathnameList', 'StringList'] as const) {
      expect(() => validateArg(arg(k), '/etc')).toThrow('names: expecting a list of strings, got "/etc"');
      expect(() => validateArg(arg(k), [1])).toThrow('expecting a list of strings');
    }
    expect(validateArg(arg('StringList'), ['a/b', 'foo'])).toEqual(['a/b', 'foo']);
  });
});
