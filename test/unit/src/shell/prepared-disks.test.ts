import { describe, expect, it } from 'vitest';
import { isPreparedHelp, parsePreparedSpec, splitLvName } from '../../../../src/shell/prepared-disks.js';

describe('-N specs', () => {
  it('fills in defaults, numbers default names and takes filename=', () => {
    const d = parsePreparedSpec('fs:ext4', 2);
    expect(d.file).toBe('test2.img');
    expect(d.type.name).toBe('fs');
    expect(d.params).toEqual({ filesystem: 'ext4', size: '1G', partition: 'mbr' });
    expect(parsePreparedSpec('blank.img=disk:200M', 1)).toMatchObject({ file: 'blank.img', spec: 'disk:200M', params: { size: '200M' } });
  });

  it('matches an abbreviated type as guestfish does (the first type it begins)', () => {
    expect(parsePreparedSpec('f', 1).type.name).toBe('fs');
    expect(parsePreparedSpec('l', 1).type.name).toBe('lv');
    expect(parsePreparedSpec('BOOTROOTLV', 1).type.name).toBe('bootrootlv');
  });

  it('refuses unknown types, bad LV names and extra parameters', () => {
    expect(() => parsePreparedSpec('bogus', 1)).toThrow("-N parameter ‘bogus’: no such prepared disk image known.");
    expect(() => parsePreparedSpec('lv:VGLV', 1)).toThrow("error creating prepared disk image ‘lv:VGLV’ on ‘test1.img’: incorrect format for LV name, use '/dev/VG/LV'");
    expect(() => parsePreparedSpec('disk:1G:extra', 1)).toThrow('too many parameters');
  });

  it('knows help and LV names', () => {
    expect(['help', 'LIST', 'h', '?'].every(isPreparedHelp)).toBe(true);
    expect(splitLvName('/dev/vg/lv')).toEqual(['vg', 'lv']);
    expect(splitLvName('vg/lv')).toEqual(['vg', 'lv']);
    expect(splitLvName('/dev/vglv')).toBeUndefined();
  });
});
