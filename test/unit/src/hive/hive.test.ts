import { describe, expect, it } from 'vitest';
import { GuestkitError } from '../../../../src/errors/index.js';
import { encodeValueData, exportReg, headerChecksum, Hive, HiveError, REG_BINARY, REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_EXPAND_SZ, REG_LINK, REG_MULTI_SZ, REG_NONE, REG_QWORD, REG_SZ, windowsChecksum } from '../../../../src/hive/index.js';
import { buildHive, buildWindowsSoftwareHive, buildWindowsSystemHive, emptyHive } from '../../../../fixtures/hive/index.js';

const T = new Date('2024-01-02T03:04:05Z');
const enc = (t: number, v: Parameters<typeof encodeValueData>[1]) => encodeValueData(t, v);

function fixHeader(b: Uint8Array): void {
  new DataView(b.buffer, b.byteOffset).setUint32(0x1fc, windowsChecksum(headerChecksum(b)), true);
}

describe('empty hive', () => {
  it('has a valid header and one root key', () => {
    const b = emptyHive({ rootName: 'CMI-CreateHive{TEST}', timestamp: T });
    expect(b.length).toBe(8192);
    const h = Hive.open(b);
    expect(h.dirty).toBe(false);
    expect(h.majorVersion).toBe(1);
    expect(h.minorVersion).toBe(5);
    expect(h.nodeName(h.root())).toBe('CMI-CreateHive{TEST}');
    expect(h.root()).toBe(0x1020);
    expect(h.nodeChildren(h.root())).toEqual([]);
    expect(h.nodeValues(h.root())).toEqual([]);
    expect(() => h.nodeParent(h.root())).toThrow(/no parent/);
    const dv = new DataView(b.buffer, b.byteOffset);
    expect(dv.getUint32(4, true)).toBe(dv.getUint32(8, true));
  });
});

describe('read API', () => {
  const big = Uint8Array.from({ length: 50000 }, (_, i) => (i * 13) & 0xff);
  const bytes = buildHive({
    timestamp: T,
    keys: {
      'Microsoft\\Windows NT\\CurrentVersion': {
        ProductName: 'Windows 10 Pro',
        CurrentMajorVersionNumber: { type: REG_DWORD, value: 10 },
        '@': 'default',
        Exp: { type: REG_EXPAND_SZ, value: '%SystemRoot%' },
        Link: { type: REG_LINK, value: '\\Registry\\Machine\\X' },
        Multi: ['one', 'two', 'three'],
        Q: 0x1122334455667788n,
        BE: { type: REG_DWORD_BIG_ENDIAN, value: 0x01020304 },
        Bin: new Uint8Array([1, 2, 3, 4, 5, 6, 7]),
        None: { type: REG_NONE, value: new Uint8Array(0) },
        Big: big,
        Odd: { type: 0x12345, value: new Uint8Array([9]) },
      },
      'Ключ\\Über': { 'Значение': 'текст ✓' },
    },
  });
  const h = Hive.open(bytes);

  it('navigates case-insensitively', () => {
    const cv = h.nodeAt('microsoft\\WINDOWS nt\\currentversion')!;
    expect(cv).toBeDefined();
    expect(h.nodeName(cv)).toBe('CurrentVersion');
    expect(h.nodePath(cv)).toBe('\\Microsoft\\Windows NT\\CurrentVersion');
    expect(h.nodeName(h.nodeParent(cv))).toBe('Windows NT');
    expect(h.nodeGetChild(h.root(), 'nope')).toBeUndefined();
    expect(h.nodeChildren(h.root()).map((c) => h.nodeName(c))).toEqual(['Microsoft', 'Ключ']);
    expect(h.nodeTimestamp(cv)).toBe((BigInt(T.getTime()) + 11644473600000n) * 10000n);
  });

  it('decodes every value type', () => {
    const cv = h.nodeAt('Microsoft\\Windows NT\\CurrentVersion')!;
    const v = (k: string) => h.nodeGetValue(cv, k)!;
    expect(h.valueString(v('productname'))).toBe('Windows 10 Pro');
    expect(h.valueType(v('ProductName'))).toBe(REG_SZ);
    expect(h.valueDword(v('CurrentMajorVersionNumber'))).toBe(10);
    expect(h.valueKey(v(''))).toBe('');
    expect(h.valueString(v(''))).toBe('default');
    expect(h.valueString(v('Exp'))).toBe('%SystemRoot%');
    expect(h.valueString(v('Link'))).toBe('\\Registry\\Machine\\X');
    expect(h.valueMultipleStrings(v('Multi'))).toEqual(['one', 'two', 'three']);
    expect(h.valueQword(v('Q'))).toBe(0x1122334455667788n);
    expect(h.valueDword(v('BE'))).toBe(0x01020304);
    expect(h.valueValue(v('Bin'))).toEqual({ type: REG_BINARY, bytes: new Uint8Array([1, 2, 3, 4, 5, 6, 7]) });
    expect(h.valueValue(v('None'))).toEqual({ type: REG_NONE, bytes: new Uint8Array(0) });
    expect(Buffer.from(h.valueValue(v('Big')).bytes).equals(big)).toBe(true);
    expect(h.valueType(v('Odd'))).toBe(0x12345);
    expect(() => h.valueString(v('Bin'))).toThrow(HiveError);
    expect(() => h.valueDword(v('ProductName'))).toThrow(/not a DWORD/);
    expect(() => h.valueQword(v('CurrentMajorVersionNumber'))).toThrow(/not a QWORD/);
    expect(() => h.valueMultipleStrings(v('ProductName'))).toThrow(/not REG_MULTI_SZ/);
    const u = h.nodeAt('ключ\\ÜBER')!;
    expect(h.nodeName(u)).toBe('Über');
    expect(h.valueString(h.nodeGetValue(u, 'ЗНАЧЕНИЕ')!)).toBe('текст ✓');
  });

  it('refuses writes when opened read-only', () => {
    expect(() => h.nodeAddChild(h.root(), 'x')).toThrow(expect.objectContaining({ code: 'EROFS' }));
  });
});

describe('write API', () => {
  it('adds, replaces and deletes, and commits a consistent header', () => {
    const h = Hive.create({ timestamp: T });
    const a = h.nodeAddChild(h.root(), 'A');
    expect(() => h.nodeAddChild(h.root(), 'a')).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => h.nodeAddChild(h.root(), 'x\\y')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    h.nodeSetValue(a, { key: 'v', type: REG_SZ, value: enc(REG_SZ, 'first') });
    h.nodeSetValue(a, { key: 'V', type: REG_DWORD, value: enc(REG_DWORD, 7) });
    expect(h.nodeValues(a).length).toBe(1);
    expect(h.valueDword(h.nodeGetValue(a, 'v')!)).toBe(7);
    expect(h.valueKey(h.nodeGetValue(a, 'v')!)).toBe('v');
    h.nodeSetValues(a, [
      { key: 'x', type: REG_SZ, value: enc(REG_SZ, 'X') },
      { key: 'y', type: REG_BINARY, value: new Uint8Array(20000).fill(7) },
    ]);
    expect(h.nodeValues(a).map((v) => h.valueKey(v))).toEqual(['x', 'y']);
    expect(h.nodeDeleteValue(a, 'Y')).toBe(true);
    expect(h.nodeDeleteValue(a, 'Y')).toBe(false);
    const b = h.nodeAddChild(a, 'B');
    h.nodeAddChild(b, 'C');
    expect(h.nodeParent(b)).toBe(a);
    h.nodeDeleteChild(b);
    expect(h.nodeChildren(a)).toEqual([]);
    expect(() => h.nodeDeleteChild(h.root())).toThrow(/root/);
    const out = h.commit();
    const dv = new DataView(out.buffer);
    expect(dv.getUint32(4, true)).toBe(2);
    expect(dv.getUint32(8, true)).toBe(2);
    expect(dv.getUint32(0x28, true)).toBe(out.length - 4096);
    expect(dv.getUint32(0x1fc, true)).toBe(windowsChecksum(headerChecksum(out)));
    const r = Hive.open(out);
    expect(exportReg(r)).toBe('Windows Registry Editor Version 5.00\n\n[\\]\n\n[\\A]\n"x"=hex(1):58,00,00,00\n\n');
  });

  it('keeps subkeys sorted through lh and ri lists, and deletes them all again', () => {
    const h = Hive.create({ timestamp: T });
    const p = h.nodeAddChild(h.root(), 'P');
    const names: string[] = [];
    for (let i = 0; i < 1600; i++) names.push(`Key${((i * 7919) % 1600).toString().padStart(4, '0')}`);
    for (const n of names) h.nodeAddChild(p, n);
    const kids = h.nodeChildren(p).map((c) => h.nodeName(c));
    expect(kids).toEqual([...names].sort());
    const bytes = h.commit();
    // an ri list is in use: the top list cell has signature "ri"
    const dv = new DataView(bytes.buffer);
    const top = dv.getUint32(p + 4 + 0x1c, true) + 0x1000;
    expect(String.fromCharCode(bytes[top + 4]!, bytes[top + 5]!)).toBe('ri');
    const r = Hive.open(bytes, { write: true });
    const rp = r.nodeAt('P')!;
    expect(r.nodeGetChild(rp, 'KEY1234')).toBeDefined();
    for (const c of r.nodeChildren(rp)) r.nodeDeleteChild(c);
    expect(r.nodeChildren(rp)).toEqual([]);
    const again = Hive.open(r.commit());
    expect(again.nodeChildren(again.nodeAt('P')!)).toEqual([]);
  });

  it('reuses freed space: repeated add/delete does not grow the file', () => {
    const h = Hive.create({ timestamp: T });
    const sizes: number[] = [];
    for (let round = 0; round < 6; round++) {
      const k = h.nodeAddChild(h.root(), 'Tmp');
      for (let i = 0; i < 200; i++) {
        const c = h.nodeAddChild(k, `c${i}`);
        h.nodeSetValue(c, { key: 'data', type: REG_BINARY, value: new Uint8Array(300 + i) });
      }
      h.nodeSetValue(k, { key: 'big', type: REG_BINARY, value: new Uint8Array(40000) });
      h.nodeDeleteChild(k);
      sizes.push(h.size);
    }
    expect(sizes[5]).toBe(sizes[1]);
    const r = Hive.open(h.commit());
    expect(r.nodeChildren(r.root())).toEqual([]);
  });

  it('shares the parent security record and counts references', () => {
    const h = Hive.create({ timestamp: T });
    const bytes0 = h.commit();
    const skRel = new DataView(bytes0.buffer).getUint32(0x1024 + 0x2c, true);
    const refs = () => new DataView(h.commit().buffer).getUint32(0x1000 + skRel + 4 + 0x0c, true);
    expect(refs()).toBe(1);
    const a = h.nodeAddChild(h.root(), 'a');
    h.nodeAddChild(a, 'b');
    expect(refs()).toBe(3);
    h.nodeDeleteChild(a);
    expect(refs()).toBe(1);
  });

  it('does not change the caller’s bytes', () => {
    const b = emptyHive();
    const copy = b.slice();
    const h = Hive.open(b, { write: true });
    h.nodeAddChild(h.root(), 'x');
    h.commit();
    expect(b).toEqual(copy);
  });
});

describe('Windows fixtures', () => {
  it('SOFTWARE and SYSTEM have what inspection reads', () => {
    const sw = Hive.open(buildWindowsSoftwareHive({ timestamp: T }));
    const cv = sw.nodeAt('Microsoft\\Windows NT\\CurrentVersion')!;
    expect(sw.valueString(sw.nodeGetValue(cv, 'ProductName')!)).toBe('Windows 10 Pro');
    expect(sw.valueDword(sw.nodeGetValue(cv, 'CurrentMajorVersionNumber')!)).toBe(10);
    const un32 = sw.nodeAt('Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall')!;
    expect(sw.nodeChildren(un32).length).toBe(2);
    const sys = Hive.open(buildWindowsSystemHive({ timestamp: T, computerName: 'BOX' }));
    const cur = sys.valueDword(sys.nodeGetValue(sys.nodeAt('Select')!, 'Current')!);
    const cn = sys.nodeAt(`ControlSet00${cur}\\Control\\ComputerName\\ComputerName`)!;
    expect(sys.valueString(sys.nodeGetValue(cn, 'ComputerName')!)).toBe('BOX');
    const md = sys.nodeGetValue(sys.nodeAt('MountedDevices')!, '\\DosDevices\\C:')!;
    expect(sys.valueValue(md).bytes.length).toBe(12);
  });

  it('builds reproducibly', () => {
    expect(buildWindowsSoftwareHive({ timestamp: T })).toEqual(buildWindowsSoftwareHive({ timestamp: T }));
  });
});

describe('bad input', () => {
  const good = buildHive({ timestamp: T, keys: { 'A\\B': { v: 'x', d: 1 } } });
  const cases: [string, (b: Uint8Array) => Uint8Array, RegExp][] = [
    ['empty file', () => new Uint8Array(0), /truncated/],
    ['short file', (b) => b.slice(0, 100), /truncated/],
    ['bad magic', (b) => (b.set([0x78], 0), b), /regf/],
    ['bad checksum', (b) => (b[0x30] ^= 1, b), /checksum/],
    ['truncated bins', (b) => b.slice(0, 4096 + 100), /truncated/],
    ['bad hbin magic', (b) => (b.set([0x78], 0x1000), b), /hbin/],
    ['zero cell size', (b) => (b.fill(0, 0x1020, 0x1024), b), /bad size/],
    ['cell past the hbin', (b) => (new DataView(b.buffer).setInt32(0x1020, -0x7ffffff8, true), b), /bad size/],
    ['version 2', (b) => (new DataView(b.buffer).setUint32(0x14, 2, true), fixHeader(b), b), /version/],
    ['root outside', (b) => (new DataView(b.buffer).setUint32(0x24, 0x7ffff000, true), fixHeader(b), b), /outside/],
    ['root not a cell start', (b) => (new DataView(b.buffer).setUint32(0x24, 0x28, true), fixHeader(b), b), /not the start of a cell/],
    ['log file', (b) => (new DataView(b.buffer).setUint32(0x1c, 1, true), fixHeader(b), b), /log/],
    ['garbage', () => Uint8Array.from({ length: 20000 }, (_, i) => (i * 31 + 7) & 0xff), /regf/],
  ];
  for (const [name, mutate, re] of cases) {
    it(name, () => {
      let err: unknown;
      try {
        Hive.open(mutate(good.slice()));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GuestkitError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).not.toContain('\n');
    });
  }

  it('a dirty hive opens read-only with a warning, not for writing', () => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(8, 99, true);
    fixHeader(b);
    const h = Hive.open(b);
    expect(h.dirty).toBe(true);
    expect(h.warnings.join()).toMatch(/not cleanly written/);
    expect(h.nodeAt('A\\B')).toBeDefined();
    expect(() => Hive.open(b, { write: true })).toThrow(expect.objectContaining({ code: 'EROFS' }));
  });

  it('a subkey list that points back to an ancestor is a loop error in walk()', () => {
    const h = Hive.create({ timestamp: T });
    const a = h.nodeAddChild(h.root(), 'A');
    const b = h.nodeAddChild(a, 'B');
    h.nodeAddChild(b, 'C');
    const bytes = h.commit();
    // Point B's only subkey entry at A.
    const bd = b + 4;
    const dv = new DataView(bytes.buffer);
    const list = dv.getUint32(bd + 0x1c, true) + 0x1000;
    dv.setUint32(list + 8, a - 0x1000, true);
    const r = Hive.open(bytes);
    expect(() => r.walk(() => {})).toThrow(/loop/);
    expect(() => exportReg(r)).toThrow();
  });
});
