/**
 * A ~20 MB SOFTWARE-like hive (tens of thousands of keys, ri subkey lists,
 * big data), built through the API, then opened and walked in full.
 * Times are printed, not asserted.
 */
import { describe, expect, it } from 'vitest';
import { Hive } from '../../../../src/hive/index.js';
import { buildLargeSoftwareHive } from '../../../../fixtures/hive/large-hive.js';


describe('large hive', () => {
  it('builds, opens and walks a 20 MB SOFTWARE-like hive', async () => {
    const t0 = performance.now();
    const { bytes, keys, values } = buildLargeSoftwareHive();
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
