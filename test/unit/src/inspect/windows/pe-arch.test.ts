/** Architecture from PE headers, and the fixture's cmd.exe as file(1) (what libguestfs asks) reads it. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureCmdExe } from '../../../../../fixtures/windows/fixture-hives.js';
import { peArch } from '../../../../../src/inspect/windows/pe-arch.js';

/** The fixture's PE image with another machine and optional-header magic. */
function pe(machine: number, magic: number): Uint8Array {
  const b = fixtureCmdExe();
  const dv = new DataView(b.buffer);
  dv.setUint16(0x84, machine, true);
  dv.setUint16(0x98, magic, true);
  return b;
}

describe('peArch', () => {
  it('names the machines libguestfs names', () => {
    expect(peArch(fixtureCmdExe())).toBe('x86_64');
    expect(peArch(pe(0x014c, 0x10b))).toBe('i386');
    expect(peArch(pe(0xaa64, 0x20b))).toBe('aarch64');
    expect(peArch(pe(0x0200, 0x20b))).toBe('ia64');
    expect(peArch(pe(0x01c4, 0x10b))).toBe('arm');
  });

  it('falls back to PE32 → i386, PE32+ → x86_64 for machines it does not know (as file(1) does)', () => {
    expect(peArch(pe(0x1234, 0x10b))).toBe('i386');
    expect(peArch(pe(0x1234, 0x20b))).toBe('x86_64');
  });

  it('returns null for anything that is not a PE image', () => {
    expect(peArch(new Uint8Array(0))).toBeNull();
    expect(peArch(new TextEncoder().encode('#!/bin/sh\necho not a PE file at all, just a script......\n'))).toBeNull();
    const mzOnly = fixtureCmdExe().slice(0, 0x80); // DOS header, PE header cut off
    expect(peArch(mzOnly)).toBeNull();
    const farHeader = fixtureCmdExe();
    new DataView(farHeader.buffer).setUint32(0x3c, 0xfffffff0, true);
    expect(peArch(farHeader)).toBeNull();
    const badSig = fixtureCmdExe();
    badSig[0x81] = 0x58; // "PX\0\0"
    expect(peArch(badSig)).toBeNull();
    expect(peArch(pe(0x8664, 0x107))).toBeNull(); // ROM image magic
  });

  it.skipIf(spawnSync('sh', ['-c', 'command -v file']).status !== 0)('the fixture cmd.exe is what file(1) calls PE32+ x86-64', () => {
    const dir = mkdtempSync(join(tmpdir(), 'guestkit-pe-'));
    try {
      writeFileSync(join(dir, 'cmd.exe'), fixtureCmdExe());
      const out = spawnSync('file', ['-b', join(dir, 'cmd.exe')], { encoding: 'utf8' }).stdout;
      expect(out).toMatch(/^PE32\+ executable \(console\) x86-64/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
