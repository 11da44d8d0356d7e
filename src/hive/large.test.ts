/**
 * A ~20 MB SOFTWARE-like hive (tens of thousands of keys, ri subkey lists,
 * big data), built through the API, then opened and walked in full.
 * Times are printed, not asserted.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../fs/fuzz-walk.js';
import { encodeValueData, Hive, REG_BINARY, REG_DWORD, REG_EXPAND_SZ, REG_SZ } from './index.js';


describe('large hive', () => {
  it('builds, opens and walks a 20 MB SOFTWARE-like hive', async () => {
    const r = seededRandom(42);
    const t0 = performance.now();
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
    const bytes = h.commit();
    if (process.env.GUESTKIT_HIVE_OUT) (await import('node:fs')).writeFileSync(process.env.GUESTKIT_HIVE_OUT, bytes);
    const tBuild = performance.now() - t0;

    const t1 = performance.now();
    const g = Hive.open(bytes);
    const tOpen = performance.now() - t1;
    const t2 = performance.now();
    let seenKeys = 0;
    let seenValues = 0;
    let dataBytes = 0;
    g.walk((n) => {
      seenKeys++;
      g.nodeName(n);
      for (const v of g.nodeValues(n)) {
        seenValues++;
        g.valueKey(v);
        dataBytes += g.valueValue(v).bytes.length;
      }
    });
    const tWalk = performance.now() - t2;
    console.log(
      `hive ${(bytes.length / 1048576).toFixed(1)} MiB, ${seenKeys} keys, ${seenValues} values, ${(dataBytes / 1048576).toFixed(1)} MiB of data: ` +
        `build ${tBuild.toFixed(0)} ms, open ${tOpen.toFixed(0)} ms, walk ${tWalk.toFixed(0)} ms`,
    );
    expect(bytes.length).toBeGreaterThan(15 * 1048576);
    expect(seenKeys).toBe(keys);
    expect(seenValues).toBe(values);
    expect(g.nodeChildren(g.nodeAt('Classes')!).length).toBe(14000);
    const some = g.nodeChildren(g.nodeAt('Microsoft\\Windows\\CurrentVersion\\Uninstall')!)[1234]!;
    expect(g.valueString(g.nodeGetValue(some, 'displayname')!)).toMatch(/^Application number \d+$/);
  });
});
