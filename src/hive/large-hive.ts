/**
 * A ~20 MB SOFTWARE-like hive: 14,000 file classes with shell/open/command subkeys,
 * 3,000 Uninstall entries with five values each, and 110 big-data values. Built the
 * same way every time (seeded), for the large-hive test and the breadth bench.
 */
import { seededRandom } from '../util/seeded-random.js';
import { encodeValueData, Hive, REG_BINARY, REG_DWORD, REG_EXPAND_SZ, REG_SZ } from './index.js';

export interface LargeHive {
  bytes: Uint8Array;
  /** Keys and values written, the root key included. */
  keys: number;
  values: number;
}

export function buildLargeSoftwareHive(): LargeHive {
  const r = seededRandom(42);
  const h = Hive.create({ rootName: 'ROOT', timestamp: new Date('2024-01-01T00:00:00Z') });
  const sz = (s: string) => encodeValueData(REG_SZ, s);
  const classes = h.nodeAddChild(h.root(), 'Classes');
  let keys = 2;
  let values = 0;
  for (let i = 0; i < 14000; i++) {
    const ext = h.nodeAddChild(classes, `.ext${Math.floor(r() * 1e9).toString(36)}${i}`);
    h.nodeSetValue(ext, { key: '', type: REG_SZ, value: sz(`App.File.${i}`) });
    h.nodeSetValue(ext, { key: 'Content Type', type: REG_SZ, value: sz(`application/x-guestkit-${i}`) });
    const cmd = h.nodeAddChild(h.nodeAddChild(h.nodeAddChild(ext, 'shell'), 'open'), 'command');
    h.nodeSetValue(cmd, { key: '', type: REG_EXPAND_SZ, value: sz(`"%ProgramFiles%\\App ${i}\\app.exe" "%1"`) });
    keys += 4;
    values += 3;
  }
  const un = h.nodeAddChild(h.nodeAddChild(h.nodeAddChild(h.nodeAddChild(h.root(), 'Microsoft'), 'Windows'), 'CurrentVersion'), 'Uninstall');
  keys += 4;
  for (let i = 0; i < 3000; i++) {
    const app = h.nodeAddChild(un, `{${(r() * 2 ** 32).toString(16).padStart(8, '0')}-APP-${i}}`);
    h.nodeSetValues(app, [
      { key: 'DisplayName', type: REG_SZ, value: sz(`Application number ${i}`) },
      { key: 'DisplayVersion', type: REG_SZ, value: sz(`${i % 17}.${i % 5}.${i}`) },
      { key: 'Publisher', type: REG_SZ, value: sz(`Publisher ${i % 97}`) },
      { key: 'EstimatedSize', type: REG_DWORD, value: encodeValueData(REG_DWORD, i * 100) },
      { key: 'Blob', type: REG_BINARY, value: new Uint8Array(200 + (i % 300)).fill(i & 0xff) },
    ]);
    keys++;
    values += 5;
  }
  const blobs = h.nodeAddChild(h.root(), 'Blobs');
  keys++;
  for (let i = 0; i < 110; i++) {
    h.nodeSetValue(blobs, { key: `big${i}`, type: REG_BINARY, value: new Uint8Array(60000 + i).fill(i) });
    values++;
  }
  return { bytes: h.commit(), keys, values };
}
