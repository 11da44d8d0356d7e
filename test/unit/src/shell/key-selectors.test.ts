import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyStore, parseKeySelector } from '../../../../src/shell/key-selectors.js';

describe('--key selectors', () => {
  it('parses the three types', () => {
    expect(parseKeySelector('/dev/sda2:key:secret')).toEqual({ id: '/dev/sda2', type: 'key', key: 'secret' });
    expect(parseKeySelector('all:file:/k')).toEqual({ id: 'all', type: 'file', file: '/k' });
    expect(parseKeySelector('uuid:clevis')).toEqual({ id: 'uuid', type: 'clevis' });
  });

  it("refuses what guestfish refuses, in guestfish's words", () => {
    expect(() => parseKeySelector('foo')).toThrow("selector 'foo': missing TYPE");
    expect(() => parseKeySelector('d:bogus:x')).toThrow("selector 'd:bogus:x': invalid TYPE");
    expect(() => parseKeySelector('d:key')).toThrow("selector 'd:key': missing KEY_STRING, or too many fields");
    expect(() => parseKeySelector('d:key:a:b')).toThrow('missing KEY_STRING, or too many fields');
    expect(() => parseKeySelector('d:file')).toThrow("selector 'd:file': missing FILENAME, or too many fields");
  });

  it('gives the keys of the selectors naming a device (by name, UUID or all), else asks once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    try {
      writeFileSync(join(dir, 'k'), 'from-file\n');
      const asked: string[] = [];
      const store = new KeyStore(
        [parseKeySelector('/dev/sda2:key:one'), parseKeySelector(`U-1:file:${join(dir, 'k')}`), parseKeySelector('all:key:every')],
        async (prompt) => { asked.push(prompt); return 'typed'; },
      );
      expect(await store.keysFor('/dev/sda2')).toEqual(['one', 'every']);
      expect(await store.keysFor('/dev/sda3', 'U-1')).toEqual(['from-file', 'every']);
      expect(asked).toEqual([]);
      expect(await new KeyStore([], async (p) => { asked.push(p); return 'typed'; }).keysFor('/dev/sdb1')).toEqual(['typed']);
      expect(asked).toEqual(['Enter key or passphrase ("/dev/sdb1"): ']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
