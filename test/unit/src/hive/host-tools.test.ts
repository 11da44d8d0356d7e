/**
 * Cross-checks with hivex's tools on the host (Debian: libhivex-bin,
 * libwin-hivex-perl): hives we write are read back by hivexsh and
 * hivexregedit --export, hives hivexregedit --merge writes are read by us, and
 * hivex-written hives edited by us are read back by hivex.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { specToValue, type HiveSpec } from '../../../../fixtures/hive/build.js';
import { encodeValueData, exportReg, Hive, REG_BINARY, REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_EXPAND_SZ, REG_FULL_RESOURCE_DESCRIPTOR, REG_LINK, REG_MULTI_SZ, REG_NONE, REG_QWORD, REG_RESOURCE_LIST, REG_RESOURCE_REQUIREMENTS_LIST, REG_SZ } from '../../../../src/hive/index.js';
import { buildHive, emptyHive } from '../../../../fixtures/hive/index.js';

const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const HAVE_HIVEX = have('hivexsh') && have('hivexregedit');
const T = new Date('2024-05-06T07:08:09Z');
const dir = mkdtempSync(join(tmpdir(), 'guestkit-hive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let seq = 0;

// PERL_UNICODE=SAOD: hivexregedit reads and prints UTF-8 (its default is bytes).
function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, PERL_UNICODE: 'SAOD' }, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function save(bytes: Uint8Array): string {
  const f = join(dir, `h${seq++}.hive`);
  writeFileSync(f, bytes);
  return f;
}

function hivexsh(file: string, script: string): string {
  const f = join(dir, `s${seq++}.txt`);
  writeFileSync(f, script);
  return run('hivexsh', ['-f', f, file]);
}

/** hivexml walks the whole hive (it writes to /dev/stdout: give it a file). */
function hivexml(file: string): string {
  const out = join(dir, `x${seq++}.xml`);
  run('sh', ['-c', 'hivexml "$1" > "$2"', 'sh', file, out]);
  return readFileSync(out, 'utf8');
}

const hivexExport = (file: string, key = '\\'): string => run('hivexregedit', ['--export', file, key]);

function hivexMerge(file: string, reg: string): void {
  const f = join(dir, `m${seq++}.reg`);
  writeFileSync(f, reg);
  run('hivexregedit', ['--merge', file, f]);
}

/** The .reg text hivexregedit should print for a description, computed from the description alone. */
function expectedReg(keys: HiveSpec['keys']): string {
  interface N {
    name: string;
    kids: Map<string, N>;
    values: Map<string, { type: number; value: Uint8Array }>;
  }
  const root: N = { name: '', kids: new Map(), values: new Map() };
  for (const [path, values] of Object.entries(keys)) {
    let n = root;
    for (const part of path.split('\\').filter(Boolean)) {
      const k = part.toUpperCase();
      if (!n.kids.has(k)) n.kids.set(k, { name: part, kids: new Map(), values: new Map() });
      n = n.kids.get(k)!;
    }
    for (const [name, spec] of Object.entries(values)) n.values.set(name === '@' ? '' : name, specToValue(spec));
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const out = ['Windows Registry Editor Version 5.00', ''];
  const visit = (n: N, path: string) => {
    out.push(`[${path}]`);
    for (const [name, { type, value }] of [...n.values].sort((a, b) => cmp(a[0], b[0]))) {
      const lhs = name === '' ? '@' : q(name);
      if (type === REG_DWORD && value.length === 4) out.push(`${lhs}=dword:${new DataView(value.buffer, value.byteOffset).getUint32(0, true).toString(16).padStart(8, '0')}`);
      else out.push(`${lhs}=hex(${type.toString(16)}):${Array.from(value, (b) => b.toString(16).padStart(2, '0')).join(',')}`);
    }
    out.push('');
    for (const k of [...n.kids.values()].sort((a, b) => cmp(a.name, b.name))) visit(k, path === '\\' ? `\\${k.name}` : `${path}\\${k.name}`);
  };
  visit(root, '\\');
  return out.join('\n') + '\n';
}

const big = Uint8Array.from({ length: 70000 }, (_, i) => (i * 31 + (i >> 9)) & 0xff);
const SPEC: HiveSpec['keys'] = {
  'Microsoft\\Windows NT\\CurrentVersion': {
    ProductName: 'Windows 10 Pro',
    CurrentVersion: '6.3',
    CurrentMajorVersionNumber: { type: REG_DWORD, value: 10 },
    '@': 'the default',
    Expand: { type: REG_EXPAND_SZ, value: '%SystemRoot%\\System32' },
    Link: { type: REG_LINK, value: '\\Registry\\Machine\\Software' },
    Multi: ['alpha', 'βeta', ''],
    Qword: 0xfedcba9876543210n,
    BigEndian: { type: REG_DWORD_BIG_ENDIAN, value: 0xdeadbeef },
    Binary: new Uint8Array([0, 1, 2, 0xff]),
    Empty: { type: REG_NONE, value: new Uint8Array(0) },
    ResList: { type: REG_RESOURCE_LIST, value: new Uint8Array([8, 8, 8, 8, 8, 8]) },
    FullRes: { type: REG_FULL_RESOURCE_DESCRIPTOR, value: new Uint8Array([9, 9, 9, 9, 9]) },
    ReqList: { type: REG_RESOURCE_REQUIREMENTS_LIST, value: new Uint8Array(10).fill(10) },
    'Big data': big,
    'Exactly 16344': new Uint8Array(16344).fill(0x44),
    'Just over': new Uint8Array(16345).fill(0x45),
    'quote"and\\backslash': 'x',
  },
  'Ünïcödé\\Ключ 键': { 'Значение': 'текст', 'ascii': 'ça va ✓' },
  'Empty\\Deep\\Chain\\Of\\Keys': {},
  'ZZ last': { '@': { type: REG_DWORD, value: 0 } },
};

describe.skipIf(!HAVE_HIVEX)('hivex tools on the host', () => {
  it('read back what buildHive writes, identically', () => {
    const bytes = buildHive({ timestamp: T, keys: SPEC });
    const file = save(bytes);
    const theirs = hivexExport(file);
    expect(theirs).toBe(expectedReg(SPEC));
    expect(exportReg(Hive.open(bytes))).toBe(theirs);
    // hivexsh: values as it prints them
    const sh = hivexsh(file, 'cd \\Microsoft\\Windows NT\\CurrentVersion\nlsval\ncd \\Ünïcödé\\Ключ 键\nlsval\n');
    expect(sh).toContain('"ProductName"="Windows 10 Pro"\n');
    expect(sh).toContain('"CurrentMajorVersionNumber"=dword:0000000a\n');
    expect(sh).toContain('"@"="the default"\n');
    expect(sh).toContain('"Значение"="текст"\n');
    // hivexml walks the whole hive
    expect(hivexml(file)).toContain('</hive>');
  });

  it('reads the Windows fixtures as we do', async () => {
    const { buildWindowsSoftwareHive, buildWindowsSystemHive } = await import('../../../../fixtures/hive/windows-hives.js');
    for (const b of [buildWindowsSoftwareHive(), buildWindowsSystemHive()]) expect(hivexExport(save(b))).toBe(exportReg(Hive.open(b)));
  });

  it('we read hives written by hivexregedit --merge (adds, replacements, deletions)', () => {
    const file = save(emptyHive({ timestamp: T }));
    let reg = 'Windows Registry Editor Version 5.00\n\n[\\Software]\n"S"="hello"\n@="dflt"\n"D"=dword:00000010\n';
    reg += `"Big"=hex(3):${Array.from(big.subarray(0, 30000), (b) => b.toString(16).padStart(2, '0')).join(',')}\n`;
    reg += '"M"=hex(7):61,00,00,00,62,00,00,00,00,00\n"Q"=hex(b):01,02,03,04,05,06,07,08\n\n[\\Software\\Many]\n\n';
    for (let i = 0; i < 1300; i++) reg += `[\\Software\\Many\\Key ${i}]\n"N"=dword:${i.toString(16).padStart(8, '0')}\n\n`;
    reg += '[\\Ünï]\n"ключ"="значение"\n\n[\\Gone]\n"x"="y"\n\n';
    hivexMerge(file, reg);
    hivexMerge(file, 'Windows Registry Editor Version 5.00\n\n[-\\Gone]\n\n[\\Software]\n"S"="replaced"\n"D"=-\n\n[-\\Software\\Many\\Key 7]\n\n');
    const bytes = readFileSync(file);
    const h = Hive.open(bytes);
    expect(exportReg(h)).toBe(hivexExport(file));
    const sw = h.nodeAt('software')!;
    expect(h.valueString(h.nodeGetValue(sw, 's')!)).toBe('replaced');
    expect(h.nodeGetValue(sw, 'D')).toBeUndefined();
    expect(h.valueString(h.nodeGetValue(sw, '')!)).toBe('dflt');
    expect(Buffer.from(h.valueValue(h.nodeGetValue(sw, 'Big')!).bytes).equals(big.subarray(0, 30000))).toBe(true);
    expect(h.valueMultipleStrings(h.nodeGetValue(sw, 'M')!)).toEqual(['a', 'b']);
    expect(h.valueQword(h.nodeGetValue(sw, 'Q')!)).toBe(0x0807060504030201n);
    expect(h.nodeChildren(h.nodeAt('Software\\Many')!).length).toBe(1299);
    expect(h.valueDword(h.nodeGetValue(h.nodeAt('SOFTWARE\\MANY\\KEY 1299')!, 'n')!)).toBe(1299);
    expect(h.nodeAt('Software\\Many\\Key 7')).toBeUndefined();
    expect(h.nodeAt('Gone')).toBeUndefined();
    expect(h.valueString(h.nodeGetValue(h.nodeAt('ÜNÏ')!, 'КЛЮЧ')!)).toBe('значение');
  });

  it('hivex reads hives we edited (a hivex-written hive: add, delete, every type, big data, UTF-16 names, ri lists)', () => {
    const file = save(emptyHive({ timestamp: T }));
    hivexMerge(file, 'Windows Registry Editor Version 5.00\n\n[\\A]\n"keep"="k"\n"drop"="d"\n\n[\\A\\Old]\n"v"=dword:00000001\n\n[\\A\\Old\\Sub]\n\n[\\B]\n\n');
    const h = Hive.open(readFileSync(file), { write: true, timestamp: T });
    const a = h.nodeAt('A')!;
    h.nodeDeleteChild(h.nodeAt('A\\Old')!);
    h.nodeDeleteValue(a, 'drop');
    const specKeys = SPEC['Microsoft\\Windows NT\\CurrentVersion']!;
    const n = h.nodeAddChild(a, 'New ключ');
    const vals = Object.entries(specKeys).map(([k, s]) => ({ key: k === '@' ? '' : k, ...specToValue(s) }));
    h.nodeSetValues(n, vals);
    h.nodeSetValue(n, { key: 'ProductName', type: REG_SZ, value: encodeValueData(REG_SZ, 'Windows Server 2022') });
    h.nodeSetValue(n, { key: 'Big data', type: REG_BINARY, value: big.subarray(100, 40100) });
    const many = h.nodeAddChild(h.nodeAt('B')!, 'Many');
    for (let i = 0; i < 1200; i++) h.nodeAddChild(many, `Child ${String(i).padStart(4, '0')}`);
    h.nodeSetValue(h.root(), { key: 'Übersicht', type: REG_MULTI_SZ, value: encodeValueData(REG_MULTI_SZ, ['ä', 'ö']) });
    const out = h.commit();
    const f2 = save(out);
    const theirs = hivexExport(f2);
    expect(exportReg(Hive.open(out))).toBe(theirs);
    const expectKeys: HiveSpec['keys'] = {
      '\\': { 'Übersicht': { type: REG_MULTI_SZ, value: ['ä', 'ö'] } },
      A: { keep: 'k' },
      'A\\New ключ': {
        ...specKeys,
        ProductName: 'Windows Server 2022',
        'Big data': big.subarray(100, 40100),
      },
      'B\\Many': {},
    };
    for (let i = 0; i < 1200; i++) expectKeys[`B\\Many\\Child ${String(i).padStart(4, '0')}`] = {};
    expect(theirs).toBe(expectedReg(expectKeys));
    const ls = hivexsh(f2, 'cd \\B\\Many\nls\n').trim().split('\n');
    expect(ls.length).toBe(1200);
    expect(hivexml(f2)).toContain('</hive>');
  });
});
