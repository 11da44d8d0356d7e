/** Architecture names from ELF headers, and which guest binary decides. */
import { afterEach, describe, expect, it } from 'vitest';
import { dirReader, makeTree } from '../../../../helpers/dir-reader.js';
import { scratch } from '../../../../helpers/fixtures.js';
import { elfArchitecture, guestArchitecture } from '../../../../../src/inspect/linux/elf-arch.js';

/** The first 20 bytes of an ELF header: class (1/2 = 32/64-bit), data (1/2 = LSB/MSB), e_type, e_machine. */
function elf(cls: number, data: number, type: number, machine: number): Uint8Array {
  const h = new Uint8Array(64);
  h.set([0x7f, 0x45, 0x4c, 0x46, cls, data, 1]);
  const dv = new DataView(h.buffer);
  dv.setUint16(16, type, data === 1);
  dv.setUint16(18, machine, data === 1);
  return h;
}

let tmp: ReturnType<typeof scratch> | undefined;
afterEach(() => tmp?.cleanup());

describe('ELF architecture', () => {
  it('names machines as libguestfs does', () => {
    const cases: [number, number, number, string][] = [
      [2, 1, 62, 'x86_64'], [1, 1, 3, 'i386'], [1, 1, 6, 'i386'], [2, 1, 183, 'aarch64'], [1, 1, 40, 'arm'],
      [2, 1, 21, 'ppc64le'], [2, 2, 21, 'ppc64'], [1, 2, 20, 'ppc'], [2, 1, 243, 'riscv64'], [1, 1, 243, 'riscv32'],
      [2, 2, 22, 's390x'], [1, 2, 22, 's390'], [2, 2, 43, 'sparc64'], [1, 2, 2, 'sparc'], [2, 1, 50, 'ia64'],
      [2, 1, 258, 'loongarch64'],
    ];
    for (const [cls, data, machine, name] of cases) expect(elfArchitecture(elf(cls, data, 2, machine))).toBe(name);
    expect(elfArchitecture(elf(2, 1, 3, 62))).toBe('x86_64'); // shared object (PIE)
  });
  it('refuses what file(1) would not call an executable of a known machine', () => {
    expect(elfArchitecture(new TextEncoder().encode('#!/bin/sh\necho hi\n'))).toBeUndefined();
    expect(elfArchitecture(elf(2, 1, 4, 62))).toBeUndefined(); // core dump
    expect(elfArchitecture(elf(3, 1, 2, 62))).toBeUndefined(); // bad class
    expect(elfArchitecture(elf(2, 1, 2, 9999))).toBeUndefined();
    expect(elfArchitecture(elf(2, 1, 2, 62).subarray(0, 10))).toBeUndefined();
  });
  it('follows absolute and relative symlinks inside the guest, skipping scripts', async () => {
    tmp = scratch();
    makeTree(tmp.dir, {
      'bin/bash': '#!/not/elf\n',
      'bin/ls': { symlink: '/bin/busybox' },
      'bin/busybox': elf(2, 1, 2, 183),
    });
    const warnings: string[] = [];
    expect(await guestArchitecture(dirReader(tmp.dir, warnings))).toBe('aarch64');
    expect(warnings).toEqual(['/bin/bash: not an ELF binary of a known architecture']);
  });
  it('finds nothing in a guest without binaries, and survives a symlink loop', async () => {
    tmp = scratch();
    makeTree(tmp.dir, { 'bin/bash': { symlink: 'sh' }, 'bin/sh': { symlink: 'bash' } });
    expect(await guestArchitecture(dirReader(tmp.dir))).toBeUndefined();
  });
});
