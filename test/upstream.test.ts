/**
 * libguestfs's own per-command tests (generator/actions_*.ml, converted into
 * test/upstream/cases.json by test/upstream/convert.ts) run against guestkit on
 * each test backend. Every failure must be listed in test/upstream/known-failures.txt
 * with its reason, and the pass rate of the tests whose commands all exist must
 * stay at or above test/upstream/floor.json. The per-test report goes to
 * bench/out/upstream-BACKEND.txt.
 *
 * By default the appliance runs only the tests the wasm backend did not pass in the
 * same run. UPSTREAM_TESTS=all runs every test on the appliance and also, on wasm, the InitBasicFS tests (the wasm backend
 * makes no filesystems, so each one re-makes sda1 with the host's mke2fs and
 * relaunches: ~5 s a test); UPSTREAM_TESTS=REGEX runs only the test ids it matches.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS } from './helpers/backends.js';
import { FIXTURES, ROOT, scratch } from './helpers/fixtures.js';
import { loadUpstreamCases } from './upstream/cases.js';
import { UpstreamHarness, type Outcome } from './upstream/harness.js';
import { formatReport, knownFailures, passRateFloor, summarise } from './upstream/report.js';

const MODE = process.env.UPSTREAM_TESTS ?? '';
const data = loadUpstreamCases();

/** Tests that passed on the wasm backend in this run: by default the appliance runs the others only. */
const passedOnWasm = new Set<string>();

function selected(backend: string, init: string, id: string): boolean {
  if (MODE && MODE !== 'all') return new RegExp(MODE).test(id);
  if (MODE === 'all') return true;
  // The default keeps the suite short: a test the in-process backend passes is not
  // repeated on the appliance (the tools' matrix and scenario tests compare the two
  // backends); UPSTREAM_TESTS=all runs every test on both.
  return backend === 'wasm' ? !init.startsWith('InitBasicFS') : !passedOnWasm.has(id);
}

for (const backend of TEST_BACKENDS) {
  describe(`libguestfs per-command tests on the ${backend} backend`, () => {
    let tmp: ReturnType<typeof scratch>;
    let harness: UpstreamHarness;
    const outcomes: Outcome[] = [];
    let seconds = 0;

    beforeAll(async () => {
      tmp = scratch();
      harness = new UpstreamHarness(data, backend, { dir: tmp.dir, iso: join(FIXTURES, 'upstream-test.iso'), data: join(FIXTURES, 'upstream-data') });
      const t0 = Date.now();
      await harness.start();
      for (const c of data.cases) {
        if (!selected(backend, c.init, c.id)) continue;
        const outcome = await harness.run(c);
        outcomes.push(outcome);
        if (backend === 'wasm' && outcome.status === 'pass') passedOnWasm.add(c.id);
      }
      seconds = (Date.now() - t0) / 1000;
    }, 20 * 60_000);

    afterAll(async () => {
      await harness?.stop();
      tmp?.cleanup();
    });

    it('writes the per-test report', () => {
      const s = summarise(outcomes);
      const report = formatReport(backend, outcomes, s, seconds);
      mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
      writeFileSync(join(ROOT, 'bench', 'out', `upstream-${backend}.txt`), report);
      console.log(report.split('\n').slice(0, 3).join('\n'));
      expect(outcomes.length).toBeGreaterThan(0);
    });

    it('fails only where known-failures.txt says why', () => {
      const known = knownFailures(backend);
      const unexplained = outcomes.filter((o) => o.status === 'fail' && !known.has(o.id)).map((o) => `${o.id}: ${o.reason}`);
      expect(unexplained).toEqual([]);
    });

    it('keeps the pass rate of the tests whose commands exist at or above the floor', () => {
      if (MODE && MODE !== 'all') return; // a filtered run says nothing about the rate
      expect(summarise(outcomes).passRate).toBeGreaterThanOrEqual(passRateFloor(backend));
    });
  });
}
